"""The unit of work: every request's database work runs in exactly one short transaction.

Services hand a function of an ``AsyncSession`` to :meth:`Database.read` or :meth:`Database.write`.
The transaction commits when the function returns and rolls back when it raises. PostgreSQL
serialization failures and deadlocks re-run the whole function a bounded number of times, and so does
(once) a connection lost before COMMIT was sent, e.g. a pooled connection that died while idle
because the database restarted. So a function must only touch the database (no network calls, no
side effects that cannot be repeated).
Anything that must happen only once the data is committed (telling other readers about it) is
registered with :func:`after_commit` and runs after the commit, never after a rollback.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql import Executable

from app.db.direct import DirectReads, Row
from app.db.engine import SQLITE_BEGIN_IMMEDIATE
from app.db.errors import is_disconnect, is_retryable
from app.db.generation import DEFAULT_NOTICE_SECONDS, Generation

T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[T]]
AfterCommit = Callable[[], Awaitable[None]]
_AFTER_COMMIT = "conduit.after_commit"

logger = logging.getLogger(__name__)


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run ``callback`` once this session's transaction has committed (and never if it rolls back)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


@dataclass
class _Attempt:
    """How far one run of a unit of work got."""

    committing: bool = False  # the function returned; COMMIT is (being) sent
    exempt_until: float | None = None  # until when a write may leave the generation alone


class Database:
    """Runs units of work against one engine."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        retry_attempts: int = 3,
        cache_notice_seconds: float = DEFAULT_NOTICE_SECONDS,
    ) -> None:
        self.engine = engine
        self._retry_attempts = retry_attempts
        self._sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self._direct = DirectReads(engine, self.read)
        # Raised by every write while any process caches, read by the response cache (see
        # app/db/generation.py).
        self.generation = Generation.of(engine, notice=cache_notice_seconds)

    async def read(self, work: Work[T], *, snapshot: bool = False) -> T:
        """Run ``work`` as a read. On PostgreSQL each statement sees the data as of its own start
        (no transaction: nothing to gain from BEGIN/COMMIT), unless ``snapshot``: then every
        statement sees one snapshot (REPEATABLE READ), for reads that must not mix two moments.
        SQLite reads always see one snapshot (a read transaction)."""
        return await self._run(work, write=False, snapshot=snapshot)

    @property
    def dialect_name(self) -> str:
        return self.engine.dialect.name

    async def rows(
        self, statement: Executable, params: Mapping[str, Any], *, reused: bool = True
    ) -> Sequence[Row]:
        """Run one read-only statement and return its rows as mappings: the hot reads, with no
        session and no transaction (see :mod:`app.db.direct`). ``reused``: the statement object is
        built once per shape and kept, so it is compiled once."""
        return await self._direct.rows(statement, params, reused=reused)

    async def write(self, work: Work[T]) -> T:
        """Run ``work`` in a write transaction, committed before this returns."""
        return await self._run(work, write=True, snapshot=False)

    async def bookkeeping(self, statement: Executable) -> None:
        """Run one statement in a write transaction of its own that is not a unit of work: for data
        that no cached answer depends on (when a session was last used). So it does not raise the
        response cache's generation (which would empty every process's cache each time), and it is
        not retried: the data is written again at its next occasion."""
        async with self.engine.connect() as connection:
            if self.engine.dialect.name == "sqlite":
                await connection.execution_options(**{SQLITE_BEGIN_IMMEDIATE: True})
            async with connection.begin():
                await connection.execute(statement)

    async def dispose(self) -> None:
        await self.generation.close()
        await self.engine.dispose()

    async def _run(self, work: Work[T], *, write: bool, snapshot: bool) -> T:
        attempt, reconnected = 1, False
        while True:
            state = _Attempt()
            try:
                return await self._run_once(work, write=write, snapshot=snapshot, state=state)
            except Exception as error:
                if write and state.committing:  # COMMIT failed, yet it may have been applied
                    await self.generation.raise_after_commit(state.exempt_until)
                if is_disconnect(error) and not state.committing and not reconnected:
                    # The server rolled the transaction back with the connection, and SQLAlchemy has
                    # invalidated the pool's older connections: one more run gets a new connection.
                    # Not after COMMIT was sent: whether it was applied is unknown, so that is a 503.
                    logger.warning("retrying transaction on a new connection after %s", type(error).__name__)
                    reconnected = True
                    continue
                if not is_retryable(error) or attempt >= self._retry_attempts:
                    raise
                logger.warning("retrying transaction after %s (attempt %d)", type(error).__name__, attempt)
                # Jittered back-off so that the transactions that clashed do not clash again.
                await asyncio.sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311 - jitter, not secrets
                attempt += 1

    async def _run_once(self, work: Work[T], *, write: bool, snapshot: bool, state: _Attempt) -> T:
        if write:  # what this process knew before the transaction began
            state.exempt_until = self.generation.exemption()
        async with self._sessions() as session:
            async with session.begin():
                dialect = self.engine.dialect.name
                if write and dialect == "sqlite":
                    await session.connection(execution_options={SQLITE_BEGIN_IMMEDIATE: True})
                elif not write and dialect == "postgresql":
                    # Under READ COMMITTED every statement takes its own snapshot, in a transaction
                    # or not; a read gains nothing from BEGIN/COMMIT but two round trips.
                    level = "REPEATABLE READ" if snapshot else "AUTOCOMMIT"
                    await session.connection(execution_options={"isolation_level": level})
                result = await work(session)
                if write:
                    await self.generation.raise_in_transaction(session, state.exempt_until)
                state.committing = True
            if write:
                await self.generation.raise_after_commit(state.exempt_until)
            for callback in session.info.pop(_AFTER_COMMIT, []):
                try:
                    await callback()
                except Exception:  # the data is committed: report, but do not fail the request
                    logger.exception("after-commit callback failed")
            return result
