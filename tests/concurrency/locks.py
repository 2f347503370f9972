"""Waiting, in a test, until requests are queued behind a row lock on PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# Sessions of this database waiting for a lock (a row lock's wait is on a transaction id, which
# belongs to no database, so the session's database is what tells).
LOCK_WAITERS = text(
    "SELECT count(DISTINCT locks.pid) FROM pg_locks AS locks"
    " JOIN pg_stat_activity AS activity ON activity.pid = locks.pid"
    " WHERE NOT locks.granted AND activity.datname = current_database()"
)


async def wait_for_lock_waiters(connection: AsyncConnection, expected: int) -> None:
    """Polls until ``expected`` sessions wait on a lock (there is no event to await)."""
    while True:
        waiting = await connection.scalar(LOCK_WAITERS)
        # pg_stat_activity is a snapshot taken once per transaction: without a new one, sessions
        # that connected since the first poll would never be seen.
        await connection.rollback()
        if waiting == expected:
            return
        await asyncio.sleep(0.02)
