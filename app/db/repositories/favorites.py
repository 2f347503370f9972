"""Favorites: adding and removing them, with the counter changes they make (``count_deltas``)."""

from __future__ import annotations

from sqlalchemy import and_, delete, exists, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.db.counts import Count
from app.db.models import Article, Favorite
from app.db.repositories import deltas
from app.db.repositories._upsert import insert_or_ignore
from app.db.repositories.articles import visible_to


async def _count_favorite(session: AsyncSession, *, user_id: int, article_id: int, step: int) -> None:
    """The article's total, and the user's, which counts visible articles only (``set_hidden``;
    only its author can favorite a hidden one), in one insert."""
    visible = exists().where(Article.id == article_id, Article.hidden_at.is_(None))
    await deltas.add_from(
        session,
        deltas.constant(Count.ARTICLE_FAVORITES, article_id, step),
        deltas.constant(Count.USER_FAVORITES, user_id, step).where(visible),
    )


def _article_by_slug(slug: str, user_id: int) -> ColumnElement[bool]:
    """The article with this slug, if the user may see it (hidden ones: only their author)."""
    return and_(Article.slug == slug, visible_to(user_id))


async def favorite(session: AsyncSession, *, user_id: int, slug: str) -> bool:
    """Idempotent, in one statement with the article's look-up; the counters move only when a row
    was really added (then ``True``). ``False`` also when there is no such article."""
    # The SELECT has a WHERE of its own: SQLite would read a bare one's ON CONFLICT as a join's ON.
    source = select(literal(user_id), Article.id, Article.created_at).where(_article_by_slug(slug, user_id))
    columns = ["user_id", "article_id", "article_created_at"]
    statement = insert_or_ignore(session, Favorite).from_select(columns, source)
    article_id = await session.scalar(statement.returning(Favorite.article_id))
    if article_id is not None:
        await _count_favorite(session, user_id=user_id, article_id=article_id, step=1)
    return article_id is not None


async def unfavorite(session: AsyncSession, *, user_id: int, slug: str) -> bool:
    """Idempotent, in one statement with the article's look-up; the counters move only when a row
    was really removed (then ``True``)."""
    article_id = select(Article.id).where(_article_by_slug(slug, user_id)).scalar_subquery()
    removed = await session.scalar(
        delete(Favorite)
        .where(Favorite.user_id == user_id, Favorite.article_id == article_id)
        .returning(Favorite.article_id)
    )
    if removed is not None:
        await _count_favorite(session, user_id=user_id, article_id=removed, step=-1)
    return removed is not None


async def unfavorite_all(session: AsyncSession, *, user_id: int) -> None:
    """Remove every favorite of a user about to be deleted; each article loses exactly the favorite
    removed from it (``RETURNING`` says which, so a concurrent unfavorite is never counted twice).
    The user's own total goes with the user."""
    removed = await session.scalars(
        delete(Favorite).where(Favorite.user_id == user_id).returning(Favorite.article_id)
    )
    await deltas.add(session, [(Count.ARTICLE_FAVORITES, article_id, -1) for article_id in removed])
