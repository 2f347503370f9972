"""Comments on articles: the writes (the reads are in ``app/db/queries/comments.py``)."""

from __future__ import annotations

from sqlalchemy import delete, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Article, Comment
from app.db.repositories.articles import visible_to


async def add(session: AsyncSession, *, slug: str, author_id: int, body: str) -> int | None:
    """Add the comment to the article with this slug, in one statement with the article's look-up;
    its id, or ``None`` if there is no such article (or it is hidden from the author)."""
    article = select(Article.id, literal(author_id), literal(body)).where(
        Article.slug == slug, visible_to(author_id)
    )
    statement = insert(Comment).from_select(["article_id", "author_id", "body"], article)
    comment_id: int | None = await session.scalar(statement.returning(Comment.id))
    return comment_id


async def get_on_article(
    session: AsyncSession, *, comment_id: int, slug: str, viewer_id: int
) -> Comment | None:
    """The comment, if it is on the article with this slug, which the viewer may see (hidden: only
    its author), and not hidden by staff; one statement for both look-ups."""
    article = select(Article.id).where(Article.slug == slug, visible_to(viewer_id)).scalar_subquery()
    query = select(Comment).where(
        Comment.id == comment_id, Comment.article_id == article, Comment.hidden_at.is_(None)
    )
    return (await session.scalars(query)).one_or_none()


async def get_by_id(session: AsyncSession, comment_id: int) -> Comment | None:
    return await session.get(Comment, comment_id)


async def remove(session: AsyncSession, comment: Comment) -> None:
    await session.execute(delete(Comment).where(Comment.id == comment.id))


async def remove_all_by(session: AsyncSession, *, author_id: int) -> None:
    """Every comment the user wrote, on any article."""
    await session.execute(delete(Comment).where(Comment.author_id == author_id))
