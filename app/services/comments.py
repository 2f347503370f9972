"""Comments on articles."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app import domain
from app.db.queries import comments as comment_views
from app.db.repositories import comments
from app.events.model import EventType
from app.exceptions import Forbidden, NotFound
from app.schemas.articles import NewComment
from app.security.tokens import TokenClaims
from app.services.article_events import announce_by_slug
from app.services.articles import find as find_article
from app.services.context import AppContext
from app.services.identity import current_user, found_for, viewer_of
from app.services.removed import not_found_if_removed


async def list_comments(ctx: AppContext, claims: TokenClaims | None, slug: str) -> list[domain.Comment]:
    found, viewer_valid = await comment_views.list_for_slug(ctx.db, slug, viewer=viewer_of(claims))
    return await found_for(ctx.db, claims, found, viewer_valid, "article not found")


async def add(ctx: AppContext, claims: TokenClaims, slug: str, data: NewComment) -> domain.Comment:
    async def work(session: AsyncSession) -> domain.Comment:
        author = await current_user(session, claims)
        with not_found_if_removed("article not found"):  # its deletion committed meanwhile
            comment_id = await comments.add(session, slug=slug, author_id=author.id, body=data.body)
        if comment_id is None:
            raise NotFound("article not found")
        await announce_by_slug(ctx, session, slug, EventType.COMMENT_CREATED, comment_id=comment_id)
        return await comment_views.get_view(session, comment_id, viewer_id=author.id)

    return await ctx.db.write(work)


async def delete(ctx: AppContext, claims: TokenClaims, slug: str, comment_id: int) -> None:
    async def work(session: AsyncSession) -> None:
        user = await current_user(session, claims)
        comment = await comments.get_on_article(session, comment_id=comment_id, slug=slug, viewer_id=user.id)
        if comment is None:
            # 404 for the article first, as a reader would see it, then for the comment.
            await find_article(session, slug, viewer_id=user.id)
            raise NotFound("comment not found")
        if comment.author_id != user.id:
            raise Forbidden("only the author may delete this comment")
        await comments.remove(session, comment)
        await announce_by_slug(ctx, session, slug, EventType.COMMENT_DELETED, comment_id=comment_id)

    await ctx.db.write(work)
