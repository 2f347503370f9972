"""The counter folder: moves committed ``count_deltas`` into their base columns (see ``counts.py``).

One fold is one transaction: it deletes every delta it can see (``DELETE ... RETURNING``) and adds
their sums to the bases, so a reader sees both changes or neither, and a total never moves. Folding
*everything* visible, never a subset, keeps each base equal to a recount of committed rows, so the
``>= 0`` checks on the bases hold (a subset, e.g. one writer's -1 before another's +1, could break
them). Hence one folder at a time: on PostgreSQL a fold first takes a transaction-level advisory
lock without waiting, and a process that does not get it leaves the work to the one that did
(an explicit ``fold``, as tests and maintenance make, waits for it instead, so that nothing visible
is left pending when it returns); SQLite has one writer at a time anyway (``BEGIN IMMEDIATE``).

Each serving process runs one (started and stopped with the app): a fold at start, then every
``interval`` seconds when there is something to fold (a one-row look first, so an idle process
takes no write lock), and a last one at stop. Deltas of a row deleted meanwhile update nothing
and go with the fold. A fold that fails (a deadlock with a writer, the database away) is logged and
tried again at the next tick: nothing is lost, the deltas stay until a fold commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict

from sqlalchemy import Update, bindparam, delete, exists, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.db.counts import BASES, Count
from app.db.engine import SQLITE_BEGIN_IMMEDIATE
from app.db.models import count_deltas

logger = logging.getLogger(__name__)

# The execution option that marks the folder's own statements (tests counting a request's
# statements leave them out: they are the process's, not the request's).
BACKGROUND = "conduit_background"
# pg_try_advisory_xact_lock key of the fold ("fold" in ASCII); the migration lock uses another.
FOLD_LOCK_KEY = 0x666F6C64


async def fold(engine: AsyncEngine, *, wait: bool = True) -> int:
    """Fold every visible delta into its base in one transaction; how many deltas were folded.
    ``wait``: for another process's fold to end first; otherwise leave the work to it (0)."""
    options = {BACKGROUND: True}
    if engine.dialect.name == "sqlite":
        options[SQLITE_BEGIN_IMMEDIATE] = True
    async with engine.connect() as plain:
        connection = await plain.execution_options(**options)
        async with connection.begin():
            return await _fold_in(connection, wait=wait)


async def _fold_in(connection: AsyncConnection, *, wait: bool) -> int:
    if connection.dialect.name == "postgresql":
        if wait:
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FOLD_LOCK_KEY})
        else:
            lock = text("SELECT pg_try_advisory_xact_lock(:key)")
            if not await connection.scalar(lock, {"key": FOLD_LOCK_KEY}):
                return 0
    gone = await connection.execute(
        delete(count_deltas).returning(count_deltas.c.kind, count_deltas.c.target_id, count_deltas.c.delta)
    )
    sums: dict[Count, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    folded = 0
    for kind, target_id, delta in gone:
        sums[Count(kind)][target_id] += delta
        folded += 1
    for kind, by_target in sorted(sums.items()):
        # In key order, so the rows are locked in one order by every fold.
        changes = [
            {"_target": target, "_delta": delta} for target, delta in sorted(by_target.items()) if delta
        ]
        if changes:
            await connection.execute(_add_statement(kind), changes)
    return folded


def _add_statement(kind: Count) -> Update:
    base = BASES[kind]
    key = bindparam("_target") if base.key_value is None else base.key_value
    statement = update(base.column.class_).where(base.key == key)
    return statement.values({base.column: base.column + bindparam("_delta")})


async def anything_to_fold(engine: AsyncEngine) -> bool:
    async with engine.connect() as plain:
        connection = await plain.execution_options(**{BACKGROUND: True})
        return bool(await connection.scalar(select(exists().select_from(count_deltas))))


class CounterFolder:
    """Folds in the background of one serving process (see the module's docstring)."""

    def __init__(self, engine: AsyncEngine, *, interval: float = 1.0) -> None:
        self._engine = engine
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._fold_logged()
        self._task = asyncio.create_task(self._run(), name="counter-folder")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._fold_logged()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self._fold_logged()

    async def _fold_logged(self) -> None:
        try:
            if await anything_to_fold(self._engine):
                await fold(self._engine, wait=False)
        except Exception:  # tried again at the next tick; the deltas stay until a fold commits
            logger.warning("folding the counters failed; trying again later", exc_info=True)
