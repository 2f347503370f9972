"""Comments on articles."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, exists, false, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app import domain
from app.db.models import Article, Comment, Follow, User


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


async def list_for_slug(
    session: AsyncSession, slug: str, *, viewer_id: int | None
) -> list[domain.Comment] | None:
    """All comments of the article, newest first, in one statement; ``None`` if there is no such
    article (it is the statement's first table: an article without comments is one row of NULLs)."""
    query = (
        select(Article.id.label("article_id"), *_select_comments(viewer_id).selected_columns)
        .select_from(Article)
        .outerjoin(Comment, Comment.article_id == Article.id)
        .outerjoin(User, User.id == Comment.author_id)
        .where(Article.slug == slug)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )
    rows = (await session.execute(query)).all()
    if not rows:
        return None
    return [_to_view(row) for row in rows if row.id is not None]


async def get_view(session: AsyncSession, comment_id: int, *, viewer_id: int | None) -> domain.Comment:
    row = (await session.execute(_select_comments(viewer_id).where(Comment.id == comment_id))).one()
    return _to_view(row)


async def add(session: AsyncSession, *, article_id: int, author_id: int, body: str) -> Comment:
    comment = Comment(article_id=article_id, author_id=author_id, body=body)
    session.add(comment)
    await session.flush()
    return comment


async def get_on_article(session: AsyncSession, *, comment_id: int, article_id: int) -> Comment | None:
    query = select(Comment).where(Comment.id == comment_id, Comment.article_id == article_id)
    return (await session.scalars(query)).one_or_none()


async def remove(session: AsyncSession, comment: Comment) -> None:
    await session.execute(delete(Comment).where(Comment.id == comment.id))
