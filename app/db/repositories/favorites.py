"""Favorites: adding and removing them, with the counter changes they make (``count_deltas``)."""

from __future__ import annotations

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.counts import Count
from app.db.models import Article, Favorite
from app.db.repositories import deltas
from app.db.repositories._upsert import insert_or_ignore


async def _count_favorite(session: AsyncSession, *, user_id: int, article_id: int, step: int) -> None:
    """The article's total, and the user's, which counts visible articles only (``set_hidden``;
    only its author can favorite a hidden one), in one insert."""
    visible = exists().where(Article.id == article_id, Article.hidden_at.is_(None))
    await deltas.add_from(
        session,
        deltas.constant(Count.ARTICLE_FAVORITES, article_id, step),
        deltas.constant(Count.USER_FAVORITES, user_id, step).where(visible),
    )


async def favorite(session: AsyncSession, *, user_id: int, article_id: int) -> bool:
    """Idempotent; the counters move only when a row was really added (then ``True``)."""
    created_at = select(Article.created_at).where(Article.id == article_id).scalar_subquery()
    inserted = await session.scalar(
        insert_or_ignore(session, Favorite)
        .values(user_id=user_id, article_id=article_id, article_created_at=created_at)
        .returning(Favorite.article_id)
    )
    if inserted is not None:
        await _count_favorite(session, user_id=user_id, article_id=article_id, step=1)
    return inserted is not None


async def unfavorite(session: AsyncSession, *, user_id: int, article_id: int) -> bool:
    """Idempotent; the counters move only when a row was really removed (then ``True``)."""
    removed = await session.scalar(
        delete(Favorite)
        .where(Favorite.user_id == user_id, Favorite.article_id == article_id)
        .returning(Favorite.article_id)
    )
    if removed is not None:
        await _count_favorite(session, user_id=user_id, article_id=article_id, step=-1)
    return removed is not None


async def unfavorite_all(session: AsyncSession, *, user_id: int) -> None:
    """Remove every favorite of a user about to be deleted; each article loses exactly the favorite
    removed from it (``RETURNING`` says which, so a concurrent unfavorite is never counted twice).
    The user's own total goes with the user."""
    removed = await session.scalars(
        delete(Favorite).where(Favorite.user_id == user_id).returning(Favorite.article_id)
    )
    await deltas.add(session, [(Count.ARTICLE_FAVORITES, article_id, -1) for article_id in removed])
