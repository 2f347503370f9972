"""Sessions people can see and end: one per sign-in, each ended by signing out (here or elsewhere).

Every sign-in (API login, registration, the pages' sign-in and sign-up) starts a session in its own
transaction (:func:`start`); the token issued names it. Ending one deletes its row, so its token gets
401 at the next request in every process: the check is in the database (``app/db/session_check.live``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app import domain
from app.db.repositories import sessions
from app.db.types import utc_now
from app.exceptions import NotFound
from app.security.tokens import TokenClaims
from app.services.activity import INTERVAL
from app.services.context import AppContext
from app.services.identity import current_user

# "Last used" lags the real last use by up to two intervals (see app/services/activity.py), and a
# token may be re-issued at any use (GET /api/user): a session unused for a token's lifetime plus
# this margin has no token left that works.
IDLE_MARGIN = max(timedelta(hours=1), 2 * INTERVAL)
SESSION_NOT_FOUND = "session not found"


def _idle_before(ctx: AppContext, now: datetime) -> datetime:
    return now - timedelta(seconds=ctx.settings.jwt_lifetime_seconds) - IDLE_MARGIN


async def start(
    ctx: AppContext,
    session: AsyncSession,
    user_id: int,
    client: domain.SignInClient,
    *,
    new_user: bool = False,
) -> str:
    """A new session of the user, in the sign-in's transaction; their sessions whose tokens have all
    expired are forgotten on the way (a ``new_user`` has none)."""
    now = utc_now()
    if not new_user:
        await sessions.end_idle(session, user_id, used_before=_idle_before(ctx, now))
    session_id = await sessions.start(
        session, user_id=user_id, user_agent=client.user_agent, client_address=client.address, now=now
    )
    ctx.activity.started(session_id, now)
    return session_id


async def list_sessions(ctx: AppContext, claims: TokenClaims) -> list[domain.SignInSession]:
    """The caller's sessions, most recently used first, the one making this request marked current."""

    async def work(session: AsyncSession) -> list[domain.SignInSession]:
        user = await current_user(session, claims)
        idle_before = _idle_before(ctx, utc_now())
        return [
            domain.SignInSession(
                id=row.id,
                created_at=row.created_at,
                last_used_at=row.last_used_at,
                user_agent=row.user_agent,
                client_address=row.client_address,
                current=row.id == claims.session_id,
            )
            for row in await sessions.of_user(session, user.id)
            if row.last_used_at >= idle_before or row.id == claims.session_id
        ]

    return await ctx.db.read(work)


async def end(ctx: AppContext, claims: TokenClaims, session_id: str) -> None:
    """End one of the caller's sessions (their current one too, if named); 404 if they have no such one."""

    async def work(session: AsyncSession) -> None:
        user = await current_user(session, claims)
        if not await sessions.end(session, user_id=user.id, session_id=session_id):
            raise NotFound(SESSION_NOT_FOUND)

    await ctx.db.write(work)


async def end_others(ctx: AppContext, claims: TokenClaims) -> None:
    """Sign out everywhere else: every session of the caller but the current one ends."""

    async def work(session: AsyncSession) -> None:
        user = await current_user(session, claims)
        await sessions.end_all(session, user.id, keep=claims.session_id)

    await ctx.db.write(work)


async def sign_out(ctx: AppContext, claims: TokenClaims) -> None:
    """End the caller's own session: its token gets 401 from now on."""
    await end(ctx, claims, claims.session_id)
