"""One article as a viewer sees it (the columns every article read shares), in one statement."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, and_, bindparam, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app import domain
from app.db.counts import Count, current
from app.db.direct import RowReader
from app.db.models import Article, ArticleTag, Favorite, Follow, Tag, User
from app.db.queries.viewer import VIEWER_ID, Viewer, viewer_params, viewer_valid

# Joins a row's tag names; tags cannot contain control characters (see app/schemas/articles.py).
TAG_SEPARATOR = "\x1f"


def view_columns(*, signed_in: bool, with_body: bool) -> list[Any]:
    """Everything a view of an article needs, as the viewer sees it (tags joined into one string),
    and whether the viewer's token is still good."""
    if signed_in:
        favorited: ColumnElement[bool] = exists().where(
            Favorite.user_id == VIEWER_ID, Favorite.article_id == Article.id
        )
        following: ColumnElement[bool] = exists().where(
            Follow.follower_id == VIEWER_ID, Follow.followee_id == Article.author_id
        )
    else:
        favorited = following = false()
    # Each name by primary key: a join would let the planner hash (scan) all tags for every row.
    tag_name = select(Tag.name).where(Tag.id == ArticleTag.tag_id).scalar_subquery()
    tags = (
        select(func.aggregate_strings(tag_name, TAG_SEPARATOR))
        .select_from(ArticleTag)
        .where(ArticleTag.article_id == Article.id)
        .scalar_subquery()
    )
    columns: list[Any] = [
        viewer_valid(signed_in=signed_in).label("viewer_valid"),
        Article.id,
        Article.slug,
        Article.title,
        Article.description,
        Article.created_at,
        Article.updated_at,
        current(Article.favorites_count, Count.ARTICLE_FAVORITES, Article.id).label("favorites_count"),
        favorited.label("favorited"),
        User.username,
        User.bio,
        User.image,
        following.label("following"),
        tags.label("tags"),
    ]
    if with_body:
        columns += [Article.body, Article.body_html]
    return columns


@functools.cache
def _view_statement(by_slug: bool, signed_in: bool) -> Select[Any]:
    # By slug, as readers ask: a hidden article is "no such article" to all but its author. By id,
    # after a write by someone who could already see it.
    key = (
        and_(
            Article.slug == bindparam("slug", type_=String),
            or_(Article.hidden_at.is_(None), Article.author_id == VIEWER_ID),
        )
        if by_slug
        else Article.id == bindparam("article_id")
    )
    return (
        select(*view_columns(signed_in=signed_in, with_body=True))
        .join(User, User.id == Article.author_id)
        .where(key)
    )


def to_view(row: Mapping[str, Any], *, with_body: bool) -> domain.ArticleSummary:
    author = domain.Profile(
        username=row["username"], bio=row["bio"], image=row["image"], following=bool(row["following"])
    )
    tags = row["tags"]
    fields = {
        "id": row["id"],
        "slug": row["slug"],
        "title": row["title"],
        "description": row["description"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "favorited": bool(row["favorited"]),
        "favorites_count": row["favorites_count"],
        "author": author,
        "tag_list": sorted(tags.split(TAG_SEPARATOR)) if tags else [],
    }
    if with_body:
        return domain.Article(**fields, body=row["body"], body_html=row["body_html"])
    return domain.ArticleSummary(**fields)


async def find_view(
    reader: RowReader, slug: str, *, viewer: Viewer | None
) -> tuple[domain.Article | None, bool]:
    """The full article with body as the viewer sees it (``None`` if there is none), and whether the
    viewer's token is still good, in one statement. Without an article the check is not made
    (``True``): call ``current_user`` to tell a stale token from a missing article."""
    params = {**viewer_params(viewer), "slug": slug}
    rows = await reader.rows(_view_statement(True, viewer is not None), params)
    if not rows:
        return None, True
    view = to_view(rows[0], with_body=True)
    assert isinstance(view, domain.Article)
    return view, bool(rows[0]["viewer_valid"])


async def get_view(session: AsyncSession, article_id: int, *, viewer_id: int) -> domain.Article | None:
    """The full article with body, as ``viewer_id`` (already checked) sees it, inside a write's
    transaction; ``None`` if a concurrent writer deleted it meanwhile."""
    return await _view_in(session, False, {"article_id": article_id}, viewer_id)


@dataclass(frozen=True, slots=True)
class Written:
    """An article as its writer sees it after a change, and what an event about it needs."""

    view: domain.Article
    author_id: int
    visible: bool  # not hidden by staff


async def written_by_slug(session: AsyncSession, slug: str, *, viewer_id: int) -> Written | None:
    """The same by slug, with the article's row share-locked until the transaction ends (PostgreSQL;
    SQLite has one writer at a time), so its visibility cannot change before the writer's event is
    staged; ``None`` also for an article hidden from the viewer (not its author). Shared: writers of
    one article do not wait for each other."""
    row = await _row_in(session, _written_statement(), {"slug": slug}, viewer_id)
    if row is None:
        return None
    view = to_view(row, with_body=True)
    assert isinstance(view, domain.Article)
    return Written(view=view, author_id=row["author_id"], visible=row["hidden_at"] is None)


@functools.cache
def _written_statement() -> Select[Any]:
    extra = (Article.author_id.label("author_id"), Article.hidden_at.label("hidden_at"))
    return _view_statement(True, True).add_columns(*extra).with_for_update(read=True, of=Article)


async def _view_in(
    session: AsyncSession, by_slug: bool, key: dict[str, Any], viewer_id: int
) -> domain.Article | None:
    row = await _row_in(session, _view_statement(by_slug, True), key, viewer_id)
    if row is None:
        return None
    view = to_view(row, with_body=True)
    assert isinstance(view, domain.Article)
    return view


async def _row_in(
    session: AsyncSession, statement: Select[Any], key: dict[str, Any], viewer_id: int
) -> Mapping[str, Any] | None:
    params = {**viewer_params(Viewer(viewer_id, "")), **key}
    result = await (await session.connection()).execute(statement, params)
    row: Mapping[str, Any] | None = result.mappings().one_or_none()
    return row
