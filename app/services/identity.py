"""Turning a token's claims into the user behind it, inside the request's transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import User
from app.db.repositories import users
from app.exceptions import NotAuthenticated
from app.security.tokens import TokenClaims


async def current_user(session: AsyncSession, claims: TokenClaims) -> User:
    """The user the token speaks for; 401 if they are gone, deactivated, or their password changed since."""
    user = await users.get_by_id(session, claims.user_id)
    if user is None or not user.is_active or user.token_version != claims.token_version:
        raise NotAuthenticated("token is no longer valid")
    return user


async def optional_user_id(session: AsyncSession, claims: TokenClaims | None) -> int | None:
    """The viewer's id for optional-auth reads; an invalid token is still 401, never anonymous."""
    if claims is None:
        return None
    return (await current_user(session, claims)).id
