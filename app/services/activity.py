"""When each session was last used: written at most once a minute per session, never by a request.

A request that carries a token tells :class:`SessionActivity` its session was used. The first time in
an interval (per process) that schedules one conditional UPDATE in a task of its own, after which
the request goes on without waiting; the UPDATE changes the row only if no process recorded a use
within the interval, so a session used by many processes is still written about once an interval.
Other uses in the interval cost a dictionary look-up. "Last used" is therefore accurate to about an
interval, which is what the list of sessions shows it for.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from app.db.database import Database
from app.db.repositories import sessions
from app.db.types import utc_now

logger = logging.getLogger(__name__)

INTERVAL = timedelta(minutes=1)
# Sessions remembered per process; beyond that the ones recorded over an interval ago are forgotten
# (at worst a few more conditional UPDATEs that change nothing).
MAX_REMEMBERED = 10_000


class SessionActivity:
    def __init__(
        self,
        db: Database,
        *,
        interval: timedelta = INTERVAL,
        clock: Callable[[], datetime] = utc_now,
        max_remembered: int = MAX_REMEMBERED,
    ) -> None:
        self._db = db
        self._interval = interval
        self.clock = clock  # tests move time forward
        self._max_remembered = max_remembered
        self._recorded: dict[str, datetime] = {}  # session id -> when this process last recorded it
        self._pending: set[asyncio.Task[None]] = set()

    def started(self, session_id: str, at: datetime) -> None:
        """A session was just made with ``at`` as its last use: nothing to write for an interval."""
        self._remember(session_id, at)

    def used(self, session_id: str) -> None:
        """The session was used now; records it in the background unless recorded within the interval."""
        now = self.clock()
        last = self._recorded.get(session_id)
        if last is not None and now - last < self._interval:
            return
        self._remember(session_id, now)
        task = asyncio.get_running_loop().create_task(self._record(session_id, now))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def settle(self) -> None:
        """Wait for the writes under way (at shutdown, and in tests)."""
        while self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    async def _record(self, session_id: str, now: datetime) -> None:
        statement = sessions.record_use(session_id, now=now, unless_since=now - self._interval)
        try:
            await self._db.bookkeeping(statement)
        except Exception:  # only a timestamp: the next use after the interval writes it again
            logger.warning("could not record when a session was last used", exc_info=True)

    def _remember(self, session_id: str, at: datetime) -> None:
        if len(self._recorded) >= self._max_remembered:
            recent = at - self._interval
            self._recorded = {key: when for key, when in self._recorded.items() if when > recent}
            if len(self._recorded) >= self._max_remembered:
                self._recorded.clear()
        self._recorded[session_id] = at
