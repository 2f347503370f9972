"""Turning a token's claims into the user behind it, inside the request's transaction."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.database import Database
from app.db.models import User
from app.db.queries.viewer import Viewer
from app.db.session_check import live
from app.exceptions import NotAuthenticated, NotFound
from app.security.tokens import TokenClaims

T = TypeVar("T")

STALE_TOKEN = "token is no longer valid"  # noqa: S105 - a message, not a secret


def viewer_of(claims: TokenClaims | None) -> Viewer | None:
    """The viewer a read checks in its own statement (see ``ensure_current``)."""
    return None if claims is None else Viewer(id=claims.user_id, session_id=claims.session_id)


def ensure_current(viewer_valid: bool) -> None:
    """401 when a read's own check found the token's session ended or its user deactivated."""
    if not viewer_valid:
        raise NotAuthenticated(STALE_TOKEN)


async def current_user(session: AsyncSession, claims: TokenClaims) -> User:
    """The user the token speaks for; 401 if its session ended (signed out, password changed
    elsewhere, account deactivated or deleted). One statement, with the reads' own check."""
    query = select(User).where(User.id == claims.user_id, live(claims.user_id, claims.session_id))
    user = (await session.scalars(query)).one_or_none()
    if user is None:
        raise NotAuthenticated(STALE_TOKEN)
    return user


async def optional_user_id(session: AsyncSession, claims: TokenClaims | None) -> int | None:
    """The viewer's id for optional-auth reads; an invalid token is still 401, never anonymous."""
    if claims is None:
        return None
    return (await current_user(session, claims)).id


async def found_for(
    db: Database, claims: TokenClaims | None, found: T | None, viewer_valid: bool, missing: str
) -> T:
    """What a single-statement read found, as its caller may see it: 401 for a stale token, else 404
    (``missing``) when nothing was found. A read that found nothing made no token check of its own,
    so that check is then a read of its own (an invalid token is 401 before "not found")."""
    if found is None:
        if claims is not None:
            await db.read(lambda session: current_user(session, claims))
        raise NotFound(missing)
    ensure_current(viewer_valid)
    return found
