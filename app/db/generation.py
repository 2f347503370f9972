"""The response cache's generation: a number in the database that every committed write raises.

A process may serve an anonymous answer from its memory only if the answer was stored under the
generation the database holds now (``app/api/response_cache.py``), so a write through any process
makes every older answer in every process unusable. Two rules make that exact:

- A write raises the generation at or after its COMMIT and before its response is sent. So any
  request that starts after a write's response reads the new generation: read-your-writes across
  every process and host.
- An answer is stored under the generation read *before* its data was read. An answer read before
  a commit is therefore stored under a generation older than that commit's raise, never served again.

The first rule binds only while some process caches: a write leaves the generation alone while its
process knows that none does (``app/db/cache_presence.py``), so without the response cache a write
costs nothing here.

PostgreSQL keeps it in a sequence (migration 0005), raised with ``nextval`` after COMMIT on a
connection outside any transaction: one round trip, no row lock, so writers never wait on each other.
SQLite keeps it in a row of ``counters``, raised inside the write transaction: SQLite has one writer
at a time anyway, and the raise becomes visible with the commit, atomically, in every process on
the file (``conduit serve --workers N``). (If the exemption ran out while such a write committed, it
is raised right after the commit instead.) Both run on the driver's own connection, so they are not
among the statements SQLAlchemy's events count: they are not the request's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db import cache_presence
from app.db.cache_presence import Lease, Presence

DEFAULT_NOTICE_SECONDS = 3.0  # RESPONSE_CACHE_NOTICE_SECONDS
NAME = "response_cache_generation"  # the PostgreSQL sequence, the SQLite counter

# What an answer is stored under: the database's generation, and this process's count of raises
# that failed after a commit (their writes are committed: this process drops its answers at once;
# other processes' expire with RESPONSE_CACHE_TTL_SECONDS).
Stamp = tuple[int, int]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Read:
    """One call of the read function, shared by every caller that asked before it began."""

    result: asyncio.Future[int | None]
    began: bool = False
    task: asyncio.Task[None] | None = None  # referenced until done


class SharedRead:
    """Calls ``read`` for concurrent callers once, provided the call begins after each of them asked:
    callers in the same turn of the event loop share the call about to begin, later ones the next.
    ``None`` when the call failed (logged)."""

    def __init__(self, read: Callable[[], Awaitable[int]]) -> None:
        self._read = read
        self._next: _Read | None = None

    async def __call__(self) -> int | None:
        read = self._next
        if read is None or read.began:
            loop = asyncio.get_running_loop()
            read = self._next = _Read(loop.create_future())
            read.task = loop.create_task(self._perform(read))
        return await asyncio.shield(read.result)

    async def _perform(self, read: _Read) -> None:
        read.began = True  # from here on, callers need a call of their own
        value: int | None = None
        try:
            value = await self._read()
        except Exception as error:
            logger.warning("could not read the response cache generation: %s", type(error).__name__)
        finally:  # cancelled too: nobody may wait forever
            if not read.result.done():
                read.result.set_result(value)


class Generation:
    """Reads and raises the generation of one engine's database, and knows whether it must."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        notice: float = DEFAULT_NOTICE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.failed_raises = 0
        self._clock = clock
        self._current = SharedRead(self._read)
        self.presence = Presence(self._lease_live, notice=notice, clock=clock)
        self.lease: Lease | None = None  # this process caches: see start_caching

    @classmethod
    def of(cls, engine: AsyncEngine, *, notice: float = DEFAULT_NOTICE_SECONDS) -> Generation:
        kind = _SqliteGeneration if engine.dialect.name == "sqlite" else _PostgresGeneration
        return kind(engine, notice=notice)

    async def start_caching(self) -> None:
        """This process serves answers from memory: hold the lease (``app/db/cache_presence.py``),
        returning once every writer must have seen it, and raise on every write from now on."""
        self.lease = Lease(self._renew_lease, notice=self.presence.notice, clock=self._clock)
        await self.lease.start()

    async def close(self) -> None:
        """Stop the background work (renewing the lease, a poll) before the engine is disposed."""
        if self.lease is not None:
            await self.lease.stop()
        await self.presence.close()

    async def current(self) -> Stamp | None:
        """The stamp as of a moment after this call began; ``None`` if the database did not say, or
        if this process may not serve from memory now (its lease is not yet, or no longer, seen)."""
        if self.lease is not None and not self.lease.active():
            return None
        failed = self.failed_raises  # before the read, as the generation itself
        value = await self._current()
        return None if value is None else (value, failed)

    def exemption(self) -> float | None:
        """As a write begins: until when (on the clock) it may leave the generation alone; ``None``:
        it must raise it."""
        return None if self.lease is not None else self.presence.exempt_until()

    async def raise_in_transaction(self, session: AsyncSession, exempt_until: float | None) -> None:
        """Part of a write transaction, before its COMMIT (SQLite)."""

    async def raise_after_commit(self, exempt_until: float | None) -> None:
        """After a write's COMMIT, or a COMMIT that may have been applied. Never raises: the write is
        committed. Raises the generation unless the write is still exempt (or was raised with it)."""
        expired = exempt_until is not None and self._clock() >= exempt_until
        if not (expired or (exempt_until is None and not self._raises_in_transaction)):
            return
        try:
            await self._raise_now()
        except Exception:
            self.failed_raises += 1
            logger.exception("could not raise the response cache generation after a commit")

    _raises_in_transaction = False

    async def _raise_now(self) -> None:
        raise NotImplementedError

    async def _read(self) -> int:
        raise NotImplementedError

    async def _lease_live(self) -> bool:
        raise NotImplementedError

    async def _renew_lease(self, seconds: float) -> None:
        raise NotImplementedError


class _PostgresGeneration(Generation):
    # asyncpg's own connection (from the engine's pool): one round trip, none of SQLAlchemy's
    # per-statement work, and no transaction (it is in autocommit unless told otherwise).
    async def _read(self) -> int:
        return int(await self._fetch(f"SELECT last_value FROM {NAME}"))  # noqa: S608 - a constant

    async def _raise_now(self) -> None:
        await self._fetch(f"SELECT nextval('{NAME}')")

    async def _lease_live(self) -> bool:
        return bool(await self._fetch(_PG_LEASE_LIVE, cache_presence.NAME))

    async def _renew_lease(self, seconds: float) -> None:
        await self._fetch(_PG_LEASE_RENEW, cache_presence.NAME, round(seconds * 1000))

    async def _fetch(self, query: str, *args: Any) -> Any:
        async with self.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            return await raw.driver_connection.fetchval(query, *args)  # type: ignore[union-attr]


_PG_NOW_MS = "(extract(epoch from clock_timestamp()) * 1000)::bigint"
_PG_LEASE_LIVE = f"SELECT coalesce(max(value) > {_PG_NOW_MS}, false) FROM counters WHERE name = $1"  # noqa: S608
_PG_LEASE_RENEW = (
    f"INSERT INTO counters (name, value) VALUES ($1, {_PG_NOW_MS} + $2::bigint) "  # noqa: S608 - constants
    "ON CONFLICT (name) DO UPDATE SET value = greatest(counters.value, excluded.value)"
)
_SQLITE_NOW_MS = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
_SQLITE_LEASE_LIVE = f"SELECT max(value) > {_SQLITE_NOW_MS} FROM counters WHERE name = ?"  # noqa: S608
_SQLITE_LEASE_RENEW = (
    f"INSERT INTO counters (name, value) VALUES (?, {_SQLITE_NOW_MS} + ?) "  # noqa: S608 - constants
    "ON CONFLICT (name) DO UPDATE SET value = max(counters.value, excluded.value)"
)
_SQLITE_RAISE = "UPDATE counters SET value = value + 1 WHERE name = ?"


class _SqliteGeneration(Generation):
    # aiosqlite's own connection, in autocommit mode (see app/db/engine.py): no BEGIN.
    _raises_in_transaction = True

    async def _read(self) -> int:
        rows = await self._fetch("SELECT value FROM counters WHERE name = ?", NAME)
        if not rows:
            raise LookupError(f"no {NAME} counter: the database is not migrated to 0005")
        return int(rows[0][0])

    async def raise_in_transaction(self, session: AsyncSession, exempt_until: float | None) -> None:
        if exempt_until is None:  # on the transaction's own connection, inside it
            raw = await (await session.connection()).get_raw_connection()
            await raw.driver_connection.execute_fetchall(_SQLITE_RAISE, (NAME,))  # type: ignore[union-attr]

    async def _raise_now(self) -> None:
        await self._fetch(_SQLITE_RAISE, NAME)

    async def _lease_live(self) -> bool:
        rows = await self._fetch(_SQLITE_LEASE_LIVE, cache_presence.NAME)
        return bool(rows and rows[0][0])

    async def _renew_lease(self, seconds: float) -> None:
        await self._fetch(_SQLITE_LEASE_RENEW, cache_presence.NAME, round(seconds * 1000))

    async def _fetch(self, query: str, *args: Any) -> list[Any]:
        async with self.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            rows: list[Any] = await raw.driver_connection.execute_fetchall(query, args)  # type: ignore[union-attr]
        return rows
