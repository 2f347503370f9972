"""Articles: the writes (the reads are in ``app/db/queries``).

Every counter an article moves (global, its author's, its tags', its favoriters', see
``app/db/counts.py``) changes through ``count_deltas`` rows inserted in the same transaction, only
for rows really inserted or deleted (``RETURNING`` says which), and only while the article is
visible: hiding takes it out of every total, showing puts it back.
"""

from __future__ import annotations

from collections import Counter as Tally
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.db.counts import GLOBAL, Count
from app.db.models import Article, ArticleTag, Favorite
from app.db.repositories import deltas, tags
from app.db.repositories._upsert import insert_or_ignore
from app.db.repositories.deltas import Delta


def visible_to(user_id: int) -> ColumnElement[bool]:
    """Whether the user may see the article: a hidden one is "no such article" to all but its author."""
    return or_(Article.hidden_at.is_(None), Article.author_id == user_id)


async def get_by_slug(session: AsyncSession, slug: str) -> Article | None:
    return (await session.scalars(select(Article).where(Article.slug == slug))).one_or_none()


async def insert_with_slug(session: AsyncSession, values: dict[str, Any], slug: str) -> int | None:
    """Insert the article under ``slug`` in one statement; its id, or ``None`` (nothing written) if
    the slug is taken, by a committed or a racing writer (the unique index says so, without a
    check before nor a savepoint around it)."""
    statement = insert_or_ignore(session, Article).values(**values, slug=slug).returning(Article.id)
    inserted: int | None = await session.scalar(statement)
    return inserted


async def slug_taken(session: AsyncSession, slug: str) -> bool:
    return bool(await session.scalar(select(exists().where(Article.slug == slug))))


async def try_save_with_slug(session: AsyncSession, article: Article, slug: str) -> bool:
    """Give ``article`` the slug and flush it; ``False`` (and nothing written) if a racing writer took it."""
    previous = article.slug if article.id is not None else None
    try:
        async with session.begin_nested():
            article.slug = slug
            session.add(article)
            await session.flush()
    except IntegrityError as error:
        if "slug" not in str(error.orig):
            raise
        if previous is not None:
            article.slug = previous
        return False
    return True


async def get_by_id(session: AsyncSession, article_id: int) -> Article | None:
    return await session.get(Article, article_id)


async def lock_for_delete(session: AsyncSession, article_id: int) -> bool | None:
    """Lock the article's row until the transaction ends; whether it is visible (counted), or
    ``None`` if it is gone (a concurrent delete committed first)."""
    hidden_at = select(Article.hidden_at).where(Article.id == article_id).with_for_update()
    row = (await session.execute(hidden_at)).one_or_none()
    return None if row is None else row.hidden_at is None


class SharedState(NamedTuple):
    """An article's identity and visibility, read under a share lock."""

    id: int
    author_id: int
    slug: str
    visible: bool  # not hidden by staff


async def share_lock_state(
    session: AsyncSession, *, article_id: int | None = None, slug: str | None = None
) -> SharedState | None:
    """The article (by id or by slug) with its row share-locked until the transaction ends, so that
    no one hides, shows or renames it meanwhile (PostgreSQL; SQLite has one writer at a time);
    ``None`` if it is gone. Shared: writers that only read it do not wait for each other."""
    key = Article.id == article_id if slug is None else Article.slug == slug
    query = select(Article.id, Article.author_id, Article.slug, Article.hidden_at).where(key)
    row = (await session.execute(query.with_for_update(read=True))).one_or_none()
    return None if row is None else SharedState(row.id, row.author_id, row.slug, row.hidden_at is None)


async def delete_article(session: AsyncSession, article: Article, *, counted: bool) -> None:
    """Delete the article, its tag links and favorites, and stop counting it (``counted``: it was
    visible) in every total. Call ``lock_for_delete`` first."""
    changes = await tags.unlink_all(session, article.id)
    if counted:
        favoriters = await session.scalars(
            delete(Favorite).where(Favorite.article_id == article.id).returning(Favorite.user_id)
        )
        changes += [(Count.USER_FAVORITES, user_id, -1) for user_id in favoriters]
        changes += deltas.article_counted(article.author_id, -1)
    else:
        changes = []  # a hidden article was in no count
    await deltas.add(session, changes)
    await deltas.forget_article(session, article.id)
    await session.execute(delete(Article).where(Article.id == article.id))


async def set_hidden(session: AsyncSession, article: Article, hidden_at: datetime | None) -> None:
    """Hide (a time) or show (``None``) the article. Every total counts only visible articles, so
    they all move with it, in one insert: global, author's, its tags', its favoriters'."""
    was_counted = article.hidden_at is None
    article.hidden_at = hidden_at
    await session.flush()
    if was_counted != (hidden_at is None):
        step = 1 if hidden_at is None else -1
        await deltas.add_from(
            session,
            deltas.constant(Count.ARTICLES, GLOBAL, step),
            deltas.constant(Count.USER_ARTICLES, article.author_id, step),
            deltas.constant(Count.TAG_ARTICLES, ArticleTag.tag_id, step).where(
                ArticleTag.article_id == article.id
            ),
            deltas.constant(Count.USER_FAVORITES, Favorite.user_id, step).where(
                Favorite.article_id == article.id
            ),
        )


async def delete_all_by(session: AsyncSession, *, author_id: int) -> None:
    """Delete every article of a user about to be deleted and stop counting the visible ones (hidden
    articles are not counted: ``set_hidden``) in their tags, the global total and their favoriters'
    totals; their comments go by cascade.

    The articles are locked first (PostgreSQL), so nothing new can refer to them; their links and
    favorites are deleted here ``RETURNING`` what they counted, so a concurrent unlink or unfavorite
    either finished first (its row is gone) or waits and then finds nothing: never counted twice."""
    authored = select(Article.id, Article.hidden_at).where(Article.author_id == author_id)
    locked = (await session.execute(authored.order_by(Article.id).with_for_update())).all()
    visible = sum(1 for row in locked if row.hidden_at is None)
    counted = select(Article.id).where(Article.author_id == author_id, Article.hidden_at.is_(None))
    tag_ids = await session.scalars(
        delete(ArticleTag).where(ArticleTag.article_id.in_(counted)).returning(ArticleTag.tag_id)
    )
    favoriters = await session.scalars(
        delete(Favorite).where(Favorite.article_id.in_(counted)).returning(Favorite.user_id)
    )
    changes: list[Delta] = [(Count.ARTICLES, GLOBAL, -visible)]
    changes += [(Count.TAG_ARTICLES, tag_id, -n) for tag_id, n in sorted(Tally(tag_ids).items())]
    changes += [(Count.USER_FAVORITES, user_id, -n) for user_id, n in sorted(Tally(favoriters).items())]
    await deltas.add(session, changes)
    await deltas.forget_user(session, author_id)
    await session.execute(delete(Article).where(Article.author_id == author_id))
