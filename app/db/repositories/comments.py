"""Comments on articles."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, exists, false, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app import domain
from app.db.models import Comment, Follow, User


def _select_comments(viewer_id: int | None) -> Select[Any]:
    following: ColumnElement[bool] = (
        false()
        if viewer_id is None
        else exists().where(Follow.follower_id == viewer_id, Follow.followee_id == Comment.author_id)
    )
    columns: list[Any] = [
        Comment.id,
        Comment.body,
        Comment.created_at,
        Comment.updated_at,
        User.username,
        User.bio,
        User.image,
        following.label("following"),
    ]
    return select(*columns).join(User, User.id == Comment.author_id)


def _to_view(row: Any) -> domain.Comment:
    author = domain.Profile(
        username=row.username, bio=row.bio, image=row.image, following=bool(row.following)
    )
    return domain.Comment(
        id=row.id, body=row.body, created_at=row.created_at, updated_at=row.updated_at, author=author
    )


async def list_for_article(
    session: AsyncSession, article_id: int, *, viewer_id: int | None
) -> list[domain.Comment]:
    """All comments of the article that staff have not hidden, newest first, in one statement."""
    rows = await session.execute(
        _select_comments(viewer_id)
        .where(Comment.article_id == article_id, Comment.hidden_at.is_(None))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )
    return [_to_view(row) for row in rows]


async def get_view(session: AsyncSession, comment_id: int, *, viewer_id: int | None) -> domain.Comment:
    row = (await session.execute(_select_comments(viewer_id).where(Comment.id == comment_id))).one()
    return _to_view(row)


async def add(session: AsyncSession, *, article_id: int, author_id: int, body: str) -> Comment:
    comment = Comment(article_id=article_id, author_id=author_id, body=body)
    session.add(comment)
    await session.flush()
    return comment


async def get_on_article(session: AsyncSession, *, comment_id: int, article_id: int) -> Comment | None:
    """The comment, if it is on that article and not hidden by staff."""
    query = select(Comment).where(
        Comment.id == comment_id, Comment.article_id == article_id, Comment.hidden_at.is_(None)
    )
    return (await session.scalars(query)).one_or_none()


async def get_by_id(session: AsyncSession, comment_id: int) -> Comment | None:
    return await session.get(Comment, comment_id)


async def remove(session: AsyncSession, comment: Comment) -> None:
    await session.execute(delete(Comment).where(Comment.id == comment.id))


async def remove_all_by(session: AsyncSession, *, author_id: int) -> None:
    """Every comment the user wrote, on any article."""
    await session.execute(delete(Comment).where(Comment.author_id == author_id))
