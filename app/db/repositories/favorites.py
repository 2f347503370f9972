"""Favorites: adding and removing them, with the counters they move."""

from __future__ import annotations

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Article, Favorite, User
from app.db.repositories._upsert import insert_or_ignore


async def _count_favorite(session: AsyncSession, *, user_id: int, article_id: int, delta: int) -> None:
    await session.execute(
        update(Article)
        .where(Article.id == article_id)
        .values(favorites_count=Article.favorites_count + delta)
    )
    # The user's total counts visible articles only (``set_hidden``); only its author can favorite
    # a hidden one.
    visible = exists().where(Article.id == article_id, Article.hidden_at.is_(None))
    await session.execute(
        update(User).where(User.id == user_id, visible).values(favorites_count=User.favorites_count + delta)
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
        await _count_favorite(session, user_id=user_id, article_id=article_id, delta=1)
    return inserted is not None


async def unfavorite(session: AsyncSession, *, user_id: int, article_id: int) -> bool:
    """Idempotent; the counters move only when a row was really removed (then ``True``)."""
    removed = await session.scalar(
        delete(Favorite)
        .where(Favorite.user_id == user_id, Favorite.article_id == article_id)
        .returning(Favorite.article_id)
    )
    if removed is not None:
        await _count_favorite(session, user_id=user_id, article_id=article_id, delta=-1)
    return removed is not None


# Bound parameters per statement stay far below both engines' limits (SQLite 32,766; asyncpg 32,767).
_CHUNK = 1000


async def unfavorite_all(session: AsyncSession, *, user_id: int) -> None:
    """Remove every favorite of the user; each article loses exactly the favorite removed from it
    (``RETURNING`` says which, so a concurrent unfavorite is never counted twice)."""
    removed = (
        await session.scalars(
            delete(Favorite).where(Favorite.user_id == user_id).returning(Favorite.article_id)
        )
    ).all()
    article_ids = sorted(removed)  # one order for every writer: row locks taken in the same order
    for start in range(0, len(article_ids), _CHUNK):
        await session.execute(
            update(Article)
            .where(Article.id.in_(article_ids[start : start + _CHUNK]))
            .values(favorites_count=Article.favorites_count - 1)
            .execution_options(synchronize_session=False)
        )
