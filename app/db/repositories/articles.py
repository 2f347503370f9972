"""Articles, their tags and favorites.

List pages are served by a constant number of statements whatever the page size: one for the page
(author, "following" and "favorited" flags included), one for the total, one for the page's tags.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, exists, false, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app import domain
from app.db.models import Article, ArticleTag, Favorite, Follow, Tag, User
from app.db.repositories import search
from app.db.repositories._upsert import insert_or_ignore


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Which articles a list shows. ``feed_of`` restricts to authors that user follows; ``search``
    to full-text matches (see ``search.py``), then listed best match first."""

    tag: str | None = None
    author: str | None = None
    favorited_by: str | None = None
    feed_of: int | None = None
    search: str | None = None


def _user_id_by_username(username: str) -> Any:
    return select(User.id).where(func.lower(User.username) == username.lower()).scalar_subquery()


def _conditions(filters: ArticleFilter) -> list[ColumnElement[bool]]:
    # Moderation: articles hidden by staff are in no list, feed or count, for anyone (their author
    # still opens them by slug). The one place this rule lives for lists.
    conditions: list[ColumnElement[bool]] = [Article.hidden_at.is_(None)]
    if filters.tag is not None:
        tagged = (
            select(ArticleTag.article_id)
            .join(Tag, Tag.id == ArticleTag.tag_id)
            .where(Tag.name == filters.tag)
        )
        conditions.append(Article.id.in_(tagged))
    if filters.author is not None:
        conditions.append(Article.author_id == _user_id_by_username(filters.author))
    if filters.favorited_by is not None:
        favorites = select(Favorite.article_id).where(
            Favorite.user_id == _user_id_by_username(filters.favorited_by)
        )
        conditions.append(Article.id.in_(favorites))
    if filters.feed_of is not None:
        followed = select(Follow.followee_id).where(Follow.follower_id == filters.feed_of)
        conditions.append(Article.author_id.in_(followed))
    return conditions


def _search_conditions(session: AsyncSession, filters: ArticleFilter) -> list[ColumnElement[bool]]:
    if filters.search is None:
        return []
    return [search.matches(session.get_bind().dialect.name, filters.search)]


def _best_match_first(session: AsyncSession, filters: ArticleFilter) -> list[ColumnElement[Any]]:
    if filters.search is None:
        return []
    return [search.relevance(session.get_bind().dialect.name, filters.search).desc()]


def _select_articles(viewer_id: int | None, *, with_body: bool) -> Select[Any]:
    """Articles joined with everything a view of them needs, as the viewer sees them."""
    if viewer_id is None:
        favorited: ColumnElement[bool] = false()
        following: ColumnElement[bool] = false()
    else:
        favorited = exists().where(Favorite.user_id == viewer_id, Favorite.article_id == Article.id)
        following = exists().where(Follow.follower_id == viewer_id, Follow.followee_id == Article.author_id)
    columns: list[Any] = [
        Article.id,
        Article.slug,
        Article.title,
        Article.description,
        Article.created_at,
        Article.updated_at,
        Article.favorites_count,
        favorited.label("favorited"),
        User.username,
        User.bio,
        User.image,
        following.label("following"),
    ]
    if with_body:
        columns.append(Article.body)
    return select(*columns).join(User, User.id == Article.author_id)


async def _tags_by_article(session: AsyncSession, article_ids: Sequence[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = defaultdict(list)
    if article_ids:
        rows = await session.execute(
            select(ArticleTag.article_id, Tag.name)
            .join(Tag, Tag.id == ArticleTag.tag_id)
            .where(ArticleTag.article_id.in_(article_ids))
            .order_by(ArticleTag.article_id, Tag.name)
        )
        for article_id, name in rows:
            tags[article_id].append(name)
    return tags


def _to_view(row: Any, tags: list[str], *, with_body: bool) -> domain.ArticleSummary:
    author = domain.Profile(
        username=row.username, bio=row.bio, image=row.image, following=bool(row.following)
    )
    fields = {
        "id": row.id,
        "slug": row.slug,
        "title": row.title,
        "description": row.description,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "favorited": bool(row.favorited),
        "favorites_count": row.favorites_count,
        "author": author,
        "tag_list": tags,
    }
    if with_body:
        return domain.Article(**fields, body=row.body)
    return domain.ArticleSummary(**fields)


async def list_page(
    session: AsyncSession, filters: ArticleFilter, *, viewer_id: int | None, limit: int, offset: int
) -> domain.ArticlePage:
    """One page, newest first (ties by id, so pages never overlap), and the total that matched."""
    conditions = _conditions(filters) + _search_conditions(session, filters)
    total = await session.scalar(select(func.count()).select_from(Article).where(*conditions))
    rows = (
        await session.execute(
            _select_articles(viewer_id, with_body=False)
            .where(*conditions)
            .order_by(*_best_match_first(session, filters), Article.created_at.desc(), Article.id.desc())
            .limit(limit)
            .offset(offset)
        )
    ).all()
    tags = await _tags_by_article(session, [row.id for row in rows])
    articles = [_to_view(row, tags.get(row.id, []), with_body=False) for row in rows]
    return domain.ArticlePage(articles=articles, articles_count=total or 0)


async def get_view(session: AsyncSession, article_id: int, *, viewer_id: int | None) -> domain.Article:
    """The full article with body, as ``viewer_id`` sees it."""
    row = (
        await session.execute(_select_articles(viewer_id, with_body=True).where(Article.id == article_id))
    ).one()
    tags = await _tags_by_article(session, [article_id])
    view = _to_view(row, tags.get(article_id, []), with_body=True)
    assert isinstance(view, domain.Article)
    return view


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


async def get_by_id(session: AsyncSession, article_id: int) -> Article | None:
    return await session.get(Article, article_id)


async def delete_article(session: AsyncSession, article: Article) -> None:
    await session.execute(delete(Article).where(Article.id == article.id))


async def set_hidden(session: AsyncSession, article: Article, hidden_at: datetime | None) -> None:
    """Hide (a time) or show (``None``) the article; its tags count only visible articles."""
    was_counted = article.hidden_at is None
    article.hidden_at = hidden_at
    await session.flush()
    if was_counted != (hidden_at is None):
        tag_ids = select(ArticleTag.tag_id).where(ArticleTag.article_id == article.id)
        step = 1 if hidden_at is None else -1
        await session.execute(
            update(Tag).where(Tag.id.in_(tag_ids)).values(articles_count=Tag.articles_count + step)
        )


async def delete_all_by(session: AsyncSession, *, author_id: int) -> None:
    """Delete every article of the author and stop counting the visible ones in their tags (hidden
    articles are not counted: ``set_hidden``). Their tag links,
    favorites and comments go by cascade (favorites_count lived on the deleted rows).

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
    await session.execute(delete(Article).where(Article.author_id == author_id))


# --- tags ---------------------------------------------------------------------------------------


async def tag_names_of(session: AsyncSession, article_id: int) -> list[str]:
    return (await _tags_by_article(session, [article_id])).get(article_id, [])


async def add_tags(
    session: AsyncSession, article_id: int, names: Iterable[str], *, counted: bool = True
) -> None:
    """Attach tags (creating missing ones race-free) and count the article in each (``counted``: visible)."""
    names = sorted(set(names))
    if not names:
        return
    await session.execute(insert_or_ignore(session, Tag), [{"name": name} for name in names])
    tag_ids = list((await session.scalars(select(Tag.id).where(Tag.name.in_(names)).order_by(Tag.id))).all())
    # Counted only where a link was really added: a racing writer may have added it first.
    linked = (
        await session.scalars(
            insert_or_ignore(session, ArticleTag)
            .values([{"article_id": article_id, "tag_id": tag_id} for tag_id in tag_ids])
            .returning(ArticleTag.tag_id)
        )
    ).all()
    if linked and counted:
        await session.execute(
            update(Tag).where(Tag.id.in_(linked)).values(articles_count=Tag.articles_count + 1)
        )
    await _copy_tag_names(session, article_id)


async def remove_tags(
    session: AsyncSession, article_id: int, names: Iterable[str], *, counted: bool = True
) -> None:
    """Detach tags from the article and stop counting it in them (``counted``: it was visible)."""
    names = sorted(set(names))
    if not names:
        return
    tag_ids = list((await session.scalars(select(Tag.id).where(Tag.name.in_(names)).order_by(Tag.id))).all())
    # Uncounted only where a link was really removed: a racing writer (the same article deleted
    # twice at once, or its author's account) may have removed it first.
    unlinked = (
        await session.scalars(
            delete(ArticleTag)
            .where(ArticleTag.article_id == article_id, ArticleTag.tag_id.in_(tag_ids))
            .returning(ArticleTag.tag_id)
        )
    ).all()
    if unlinked and counted:
        await session.execute(
            update(Tag).where(Tag.id.in_(unlinked)).values(articles_count=Tag.articles_count - 1)
        )
    await _copy_tag_names(session, article_id)


async def _copy_tag_names(session: AsyncSession, article_id: int) -> None:
    """Writes the article's tag names onto its row (``tag_names``), where full-text search reads them."""
    names = (
        select(func.coalesce(func.aggregate_strings(Tag.name, " "), ""))
        .join(ArticleTag, ArticleTag.tag_id == Tag.id)
        .where(ArticleTag.article_id == article_id)
        .scalar_subquery()
    )
    await session.execute(update(Article).where(Article.id == article_id).values(tag_names=names))


async def popular_tags(session: AsyncSession) -> list[str]:
    """Tags on at least one article, most used first, then alphabetically."""
    query = select(Tag.name).where(Tag.articles_count > 0).order_by(Tag.articles_count.desc(), Tag.name)
    return list((await session.scalars(query)).all())


# --- favorites ----------------------------------------------------------------------------------


async def favorite(session: AsyncSession, *, user_id: int, article_id: int) -> bool:
    """Idempotent; the article's counter moves only when a row was really added (then ``True``)."""
    inserted = await session.scalar(
        insert_or_ignore(session, Favorite)
        .values(user_id=user_id, article_id=article_id)
        .returning(Favorite.article_id)
    )
    if inserted is not None:
        await session.execute(
            update(Article)
            .where(Article.id == article_id)
            .values(favorites_count=Article.favorites_count + 1)
        )
    return inserted is not None


async def unfavorite(session: AsyncSession, *, user_id: int, article_id: int) -> bool:
    """Idempotent; the counter moves only when a row was really removed (then ``True``)."""
    removed = await session.scalar(
        delete(Favorite)
        .where(Favorite.user_id == user_id, Favorite.article_id == article_id)
        .returning(Favorite.article_id)
    )
    if removed is not None:
        await session.execute(
            update(Article)
            .where(Article.id == article_id)
            .values(favorites_count=Article.favorites_count - 1)
        )
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
