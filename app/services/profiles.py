"""Profiles and following."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app import domain
from app.db.models import User
from app.db.repositories import users
from app.events.model import Event, EventType
from app.exceptions import InvalidInput, NotFound
from app.security.tokens import TokenClaims
from app.services.context import AppContext
from app.services.identity import current_user, optional_user_id
from app.services.removed import not_found_if_removed


async def _find(session: AsyncSession, username: str) -> User:
    user = await users.get_by_username(session, username)
    if user is None:
        raise NotFound("profile not found")
    return user


def _profile(user: User, *, following: bool) -> domain.Profile:
    return domain.Profile(username=user.username, bio=user.bio, image=user.image, following=following)


async def get(ctx: AppContext, claims: TokenClaims | None, username: str) -> domain.Profile:
    async def work(session: AsyncSession) -> domain.Profile:
        viewer_id = await optional_user_id(session, claims)
        user = await _find(session, username)
        following = await users.is_following(session, follower_id=viewer_id, followee_id=user.id)
        return _profile(user, following=following)

    return await ctx.db.read(work)


async def follow(ctx: AppContext, claims: TokenClaims, username: str) -> domain.Profile:
    async def work(session: AsyncSession) -> domain.Profile:
        viewer = await current_user(session, claims)
        user = await _find(session, username)
        if user.id == viewer.id:
            raise InvalidInput.for_field("username", "can't be followed by yourself")
        with not_found_if_removed("profile not found"):
            await users.follow(session, follower_id=viewer.id, followee_id=user.id)
        await ctx.events.stage(session, Event(type=EventType.FOLLOWS_CHANGED, user_id=viewer.id))
        return _profile(user, following=True)

    return await ctx.db.write(work)


async def unfollow(ctx: AppContext, claims: TokenClaims, username: str) -> domain.Profile:
    async def work(session: AsyncSession) -> domain.Profile:
        viewer = await current_user(session, claims)
        user = await _find(session, username)
        await users.unfollow(session, follower_id=viewer.id, followee_id=user.id)
        await ctx.events.stage(session, Event(type=EventType.FOLLOWS_CHANGED, user_id=viewer.id))
        return _profile(user, following=False)

    return await ctx.db.write(work)
