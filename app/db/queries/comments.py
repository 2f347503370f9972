"""An article's comments, and one comment, as a viewer sees them, in one statement."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, String, and_, bindparam, exists, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app import domain
from app.db.direct import RowReader
from app.db.models import Article, Comment, Follow, User
from app.db.queries.viewer import VIEWER_ID, Viewer, viewer_params, viewer_valid

# Built once with bound parameters (see article_lists.py), reused by every request.


def _comment_columns(*, signed_in: bool) -> list[Any]:
    if signed_in:
        following: ColumnElement[bool] = exists().where(
            Follow.follower_id == VIEWER_ID, Follow.followee_id == Comment.author_id
        )
    else:
        following = false()
    return [
        viewer_valid(signed_in=signed_in).label("viewer_valid"),
        Comment.id,
        Comment.body,
        Comment.created_at,
        Comment.updated_at,
        User.username,
        User.bio,
        User.image,
        following.label("following"),
    ]


@functools.cache
def _list_statement(signed_in: bool) -> Select[Any]:
    return (
        select(*_comment_columns(signed_in=signed_in))
        .select_from(Article)
        # Comments staff have hidden are in no list; a hidden article is "no such article" to all
        # but its author.
        .outerjoin(Comment, and_(Comment.article_id == Article.id, Comment.hidden_at.is_(None)))
        .outerjoin(User, User.id == Comment.author_id)
        .where(
            Article.slug == bindparam("slug", type_=String),
            or_(Article.hidden_at.is_(None), Article.author_id == VIEWER_ID),
        )
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )


@functools.cache
def _view_statement() -> Select[Any]:
    return (
        select(*_comment_columns(signed_in=True))
        .join(User, User.id == Comment.author_id)
        .where(Comment.id == bindparam("comment_id"))
    )


def _to_view(row: Mapping[str, Any]) -> domain.Comment:
    author = domain.Profile(
        username=row["username"], bio=row["bio"], image=row["image"], following=bool(row["following"])
    )
    return domain.Comment(
        id=row["id"],
        body=row["body"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        author=author,
    )


async def list_for_slug(
    reader: RowReader, slug: str, *, viewer: Viewer | None
) -> tuple[list[domain.Comment] | None, bool]:
    """All comments of the article that staff have not hidden, newest first, and whether the
    viewer's token is still good, in one statement. ``None`` if there is no such article (then the
    check is not made: ``True``); the article is the statement's first table, so one without
    comments is one row of NULLs."""
    params = {**viewer_params(viewer), "slug": slug}
    rows = await reader.rows(_list_statement(viewer is not None), params)
    if not rows:
        return None, True
    return [_to_view(row) for row in rows if row["id"] is not None], bool(rows[0]["viewer_valid"])


async def get_view(session: AsyncSession, comment_id: int, *, viewer_id: int) -> domain.Comment:
    """The comment as ``viewer_id`` (already checked) sees it, inside a write's transaction."""
    params = {**viewer_params(Viewer(viewer_id, "")), "comment_id": comment_id}
    row = (await (await session.connection()).execute(_view_statement(), params)).mappings().one()
    return _to_view(row)
