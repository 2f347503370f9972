"""Live updates: what a new event stream may see, decided in one short read transaction.

The stream itself holds no database session: the viewer and their followees are read here, once,
and again only when the viewer follows or unfollows someone.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Follow
from app.events.streams import Feed, StreamScope
from app.exceptions import NotAuthenticated
from app.security.tokens import TokenClaims
from app.services.articles import find as find_article
from app.services.context import AppContext
from app.services.identity import optional_user_id


async def _followees(session: AsyncSession, user_id: int) -> set[int]:
    rows = await session.scalars(select(Follow.followee_id).where(Follow.follower_id == user_id))
    return set(rows)


async def stream_scope(
    ctx: AppContext, claims: TokenClaims | None, *, article: str | None, feed: Feed | None
) -> StreamScope:
    """The scope of a new stream; 404 for an unknown article, 401 for "following" without sign-in."""

    async def work(session: AsyncSession) -> StreamScope:
        viewer_id = await optional_user_id(session, claims)
        scope = StreamScope(feed=feed, viewer_id=viewer_id)
        if article is not None:
            scope.article = (await find_article(session, article, viewer_id=viewer_id)).slug
        if feed == "following":
            if viewer_id is None:
                raise NotAuthenticated("the following feed needs a signed-in user")
            scope.followees = await _followees(session, viewer_id)
        return scope

    return await ctx.db.read(work)


async def refresh_followees(ctx: AppContext, scope: StreamScope) -> None:
    """After the viewer followed or unfollowed someone, read who they follow now."""
    if scope.viewer_id is not None:
        viewer_id = scope.viewer_id
        scope.followees = await ctx.db.read(lambda session: _followees(session, viewer_id))
