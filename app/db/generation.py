"""The response cache's generation: a number in the database that every committed write raises.

A process may serve an anonymous answer from its memory only if the answer was stored under the
generation the database holds now (``app/api/response_cache.py``), so a write through any process
makes every older answer in every process unusable. Two rules make that exact:

- A write raises the generation at or after its COMMIT and before its response is sent. So any
  request that starts after a write's response reads the new generation: read-your-writes across
  every process and host.
- An answer is stored under the generation read *before* its data was read. An answer read before
  a commit is therefore stored under a generation older than that commit's raise, never served again.

PostgreSQL keeps it in a sequence (migration 0005), raised with ``nextval`` after COMMIT on a
connection outside any transaction: one round trip, no row lock, so writers never wait on each other.
SQLite keeps it in a row of ``counters``, raised inside the write transaction: SQLite has one writer
at a time anyway, and the raise becomes visible with the commit, atomically, in every process on
the file (``conduit serve --workers N``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db.models import Counter

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
    """Reads and raises the generation of one engine's database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.failed_raises = 0
        self._current = SharedRead(self._read)

    @classmethod
    def of(cls, engine: AsyncEngine) -> Generation:
        return _SqliteGeneration(engine) if engine.dialect.name == "sqlite" else _PostgresGeneration(engine)

    async def current(self) -> Stamp | None:
        """The stamp as of a moment after this call began; ``None`` if the database did not say."""
        failed = self.failed_raises  # before the read, as the generation itself
        value = await self._current()
        return None if value is None else (value, failed)

    async def raise_in_transaction(self, session: AsyncSession) -> None:
        """Part of a write transaction, before its COMMIT (SQLite)."""

    async def raise_after_commit(self) -> None:
        """After a write's COMMIT (PostgreSQL). Never raises: the write is committed."""

    async def _read(self) -> int:
        raise NotImplementedError


class _PostgresGeneration(Generation):
    # asyncpg's own connection (from the engine's pool): one round trip, none of SQLAlchemy's
    # per-statement work, and no transaction (it is in autocommit unless told otherwise).
    async def _read(self) -> int:
        return await self._fetch(f"SELECT last_value FROM {NAME}")  # noqa: S608 - a constant

    async def raise_after_commit(self) -> None:
        try:
            await self._fetch(f"SELECT nextval('{NAME}')")
        except Exception:
            self.failed_raises += 1
            logger.exception("could not raise the response cache generation after a commit")

    async def _fetch(self, query: str) -> int:
        async with self.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            value = await raw.driver_connection.fetchval(query)  # type: ignore[union-attr]
        return int(value)


class _SqliteGeneration(Generation):
    async def _read(self) -> int:
        async with self.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            # aiosqlite's own connection, in autocommit mode (see app/db/engine.py): no BEGIN.
            rows = await raw.driver_connection.execute_fetchall(  # type: ignore[union-attr]
                "SELECT value FROM counters WHERE name = ?", (NAME,)
            )
        if not rows:
            raise LookupError(f"no {NAME} counter: the database is not migrated to 0005")
        return int(rows[0][0])

    async def raise_in_transaction(self, session: AsyncSession) -> None:
        await session.execute(update(Counter).where(Counter.name == NAME).values(value=Counter.value + 1))
