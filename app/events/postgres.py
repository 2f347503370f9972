"""PostgreSQL LISTEN/NOTIFY backend: every process and host sees every committed event.

Publishing is ``pg_notify`` inside the writer's own transaction, so PostgreSQL delivers the event
when (and only if) it commits, in commit order, to every listener. Each process listens on one
dedicated connection (never a pooled session), and reconnects with back-off after a database
restart; streams are then told to resync, since events may have been missed meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from app.events.bus import EventBus
from app.events.model import Event

logger = logging.getLogger(__name__)

CHANNEL = "conduit_events"
HEALTH_CHECK_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 5.0


def asyncpg_dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresBus(EventBus):
    def __init__(self, database_url: str, *, queue_size: int, retention: int) -> None:
        super().__init__(queue_size=queue_size, retention=retention)
        self._dsn = asyncpg_dsn(database_url)
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    async def stage(self, session: AsyncSession, event: Event) -> None:
        await session.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": event.to_json()}
        )

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever(), name="conduit-event-listener")
        # Streams opened right after start-up should not miss events: wait briefly for LISTEN.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), timeout=5)

    async def stop(self) -> None:
        await super().stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    async def _listen_forever(self) -> None:
        backoff = 0.1
        first = True
        while True:
            try:
                connection = await asyncpg.connect(self._dsn, timeout=5)
            except (OSError, asyncpg.PostgresError, TimeoutError) as error:
                logger.warning("event listener cannot connect (%s); retrying in %.1f s", error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            backoff = 0.1
            try:
                await connection.add_listener(CHANNEL, self._on_notification)
                if not first:
                    logger.info("event listener reconnected; streams resync")
                    self.resync_all()
                first = False
                self._listening.set()
                await self._watch(connection)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
                logger.warning("event listener lost its connection (%s); reconnecting", error)
            finally:
                self._listening.clear()
                with contextlib.suppress(Exception):
                    await connection.close(timeout=1)

    async def _watch(self, connection: asyncpg.Connection) -> None:
        """Returns (or raises) when the connection is gone; a cheap query notices a silent drop."""
        while not connection.is_closed():
            await asyncio.sleep(HEALTH_CHECK_SECONDS)
            await connection.fetchval("SELECT 1", timeout=HEALTH_CHECK_SECONDS)

    def _on_notification(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            event = Event.from_json(payload)
        except (ValueError, TypeError, KeyError):
            logger.warning("ignoring a malformed event payload")
            return
        self.dispatch(event)
