"""Comments on articles: the writes (the reads are in ``app/db/queries/comments.py``)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Comment


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
