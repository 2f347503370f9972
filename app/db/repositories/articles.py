"""Articles: the writes (the reads are in ``app/db/queries``).

Counters (``counters.articles``, ``users.articles_count``/``favorites_count``,
``tags.articles_count``, ``articles.favorites_count``) change in the same transaction as the rows
they count, through the helpers here and in ``tags.py``/``favorites.py``, so that "hide" calls the
same ones.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.counts import ARTICLES_COUNTER
from app.db.models import Article, ArticleTag, Counter, Favorite, Tag, User


async def get_by_slug(session: AsyncSession, slug: str) -> Article | None:
    return (await session.scalars(select(Article).where(Article.slug == slug))).one_or_none()


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


async def count_article(session: AsyncSession, *, author_id: int, delta: int) -> None:
    """Count a visible article in (``delta=1``) or out (``-1``) of the global and the author's totals."""
    await session.execute(
        update(Counter).where(Counter.name == ARTICLES_COUNTER).values(value=Counter.value + delta)
    )
    await session.execute(
        update(User).where(User.id == author_id).values(articles_count=User.articles_count + delta)
    )


async def _count_favorites_of(session: AsyncSession, article_id: int, delta: int) -> None:
    """Move the favorites total of everyone who favorited the article (it appears or disappears)."""
    favoriters = select(Favorite.user_id).where(Favorite.article_id == article_id)
    await session.execute(
        update(User).where(User.id.in_(favoriters)).values(favorites_count=User.favorites_count + delta),
        execution_options={"synchronize_session": False},
    )


async def get_by_id(session: AsyncSession, article_id: int) -> Article | None:
    return await session.get(Article, article_id)


async def lock_for_delete(session: AsyncSession, article_id: int) -> bool | None:
    """Lock the article's row until the transaction ends; whether it is visible (counted), or
    ``None`` if it is gone (a concurrent delete committed first)."""
    hidden_at = select(Article.hidden_at).where(Article.id == article_id).with_for_update()
    row = (await session.execute(hidden_at)).one_or_none()
    return None if row is None else row.hidden_at is None


async def delete_article(session: AsyncSession, article: Article, *, counted: bool) -> None:
    """Delete the article and stop counting it, and its favorites, if it was ``counted`` (visible;
    tags: see ``remove_tags``). Call ``lock_for_delete`` first."""
    if counted:
        await _count_favorites_of(session, article.id, -1)
        await count_article(session, author_id=article.author_id, delta=-1)
    await session.execute(delete(Article).where(Article.id == article.id))


async def set_hidden(session: AsyncSession, article: Article, hidden_at: datetime | None) -> None:
    """Hide (a time) or show (``None``) the article. Every total counts only visible articles, so
    they all move with it: global, author's, its tags', its favoriters'."""
    was_counted = article.hidden_at is None
    article.hidden_at = hidden_at
    await session.flush()
    if was_counted != (hidden_at is None):
        step = 1 if hidden_at is None else -1
        tag_ids = select(ArticleTag.tag_id).where(ArticleTag.article_id == article.id)
        await session.execute(
            update(Tag).where(Tag.id.in_(tag_ids)).values(articles_count=Tag.articles_count + step)
        )
        await count_article(session, author_id=article.author_id, delta=step)
        await _count_favorites_of(session, article.id, step)


async def delete_all_by(session: AsyncSession, *, author_id: int) -> None:
    """Delete every article of the author and stop counting the visible ones (hidden articles are
    not counted: ``set_hidden``) in their tags, the global total and their favoriters' totals.
    Their tag links, favorites and comments go by cascade.

    The articles are locked first (PostgreSQL), so no tag can be linked to one of them between the
    count and the delete; a concurrent unlink either finishes first or deadlocks with this and one
    transaction is re-run (``Database``), so every tag's counter stays exact."""
    authored = select(Article.id).where(Article.author_id == author_id)
    await session.execute(authored.order_by(Article.id).with_for_update())
    counted = authored.where(Article.hidden_at.is_(None))
    links = (
        select(func.count())
        .select_from(ArticleTag)
        .where(ArticleTag.tag_id == Tag.id, ArticleTag.article_id.in_(counted))
        .scalar_subquery()
    )
    used = select(ArticleTag.tag_id).where(ArticleTag.article_id.in_(counted))
    await session.execute(
        update(Tag).where(Tag.id.in_(used)).values(articles_count=Tag.articles_count - links),
        execution_options={"synchronize_session": False},
    )
    favorites = (
        select(func.count())
        .select_from(Favorite)
        .where(Favorite.user_id == User.id, Favorite.article_id.in_(counted))
        .scalar_subquery()
    )
    favoriters = select(Favorite.user_id).where(Favorite.article_id.in_(counted))
    await session.execute(
        update(User).where(User.id.in_(favoriters)).values(favorites_count=User.favorites_count - favorites),
        execution_options={"synchronize_session": False},
    )
    visible = select(func.count()).select_from(counted.subquery()).scalar_subquery()
    await session.execute(
        update(Counter).where(Counter.name == ARTICLES_COUNTER).values(value=Counter.value - visible)
    )
    await session.execute(delete(Article).where(Article.author_id == author_id))
