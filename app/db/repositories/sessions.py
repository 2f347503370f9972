"""Sign-in sessions: the rows every token is checked against.

A token names its user and its session (``app/security/tokens.py``). It works while that session
row exists and its user is active: ``app/db/session_check.live`` is that check, the ONE expression
every read embeds in its own statement and every write runs in ``identity.current_user``. Ending a
session deletes its row, so its token gets 401 at the next request, in every process.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from app.db.models import UserSession


def new_id() -> str:
    """Random, 192 bits: unguessable, and never the id of an ended session (the primary key would
    refuse a repeat rather than revive one)."""
    return secrets.token_urlsafe(24)


async def start(
    session: AsyncSession, *, user_id: int, user_agent: str, client_address: str, now: datetime
) -> str:
    session_id = new_id()
    session.add(
        UserSession(
            id=session_id,
            user_id=user_id,
            created_at=now,
            last_used_at=now,
            user_agent=user_agent,
            client_address=client_address,
        )
    )
    await session.flush()
    return session_id


async def of_user(session: AsyncSession, user_id: int) -> list[UserSession]:
    """The user's sessions, most recently used first."""
    rows = await session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user_id)
        .order_by(UserSession.last_used_at.desc(), UserSession.created_at.desc(), UserSession.id)
    )
    return list(rows)


async def end(session: AsyncSession, *, user_id: int, session_id: str) -> bool:
    """End one of the user's sessions; False if they have none with that id."""
    ended = await session.execute(
        delete(UserSession)
        .where(UserSession.id == session_id, UserSession.user_id == user_id)
        .returning(UserSession.id)
    )
    return ended.first() is not None


async def end_all(session: AsyncSession, user_id: int, *, keep: str | None = None) -> None:
    """End every session of the user, but ``keep`` if given."""
    statement = delete(UserSession).where(UserSession.user_id == user_id)
    if keep is not None:
        statement = statement.where(UserSession.id != keep)
    await session.execute(statement)


async def end_idle(session: AsyncSession, user_id: int, *, used_before: datetime) -> None:
    """Forget the user's sessions unused since ``used_before``: their tokens have expired."""
    await session.execute(
        delete(UserSession).where(UserSession.user_id == user_id, UserSession.last_used_at < used_before)
    )


def record_use(session_id: str, *, now: datetime, unless_since: datetime) -> Executable:
    """Set the session's last use to ``now``, unless it was recorded since ``unless_since`` (by
    another process): at most one write per session and interval whatever the number of processes."""
    return (
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.last_used_at < unless_since)
        .values(last_used_at=now)
    )
