"""The write ceiling: the favorite write's INSERT (and its undo, a DELETE), each committed in a
transaction of its own, on the bare driver outside the app, at the run's concurrency.

Each of ``connections`` workers has its own user and article (as ``favorite spread``) and toggles the
favorite: BEGIN, INSERT or DELETE, COMMIT, on one connection each (asyncpg; aiosqlite with
``BEGIN IMMEDIATE`` on SQLite). No counter is touched and every INSERT is undone, so the data is as
before. A transaction is a request: req/s, p50/p99 and errors are the durable-commit limit of this
database on this machine, which no write through the app can beat.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from sqlalchemy.engine import make_url

from app.bench.wrk import LoadResult
from app.events.postgres import asyncpg_dsn

GIVE_UP_AFTER_SECONDS = 10  # undoing a favorite that keeps failing
NAME = "write ceiling (bare driver: INSERT or DELETE + COMMIT)"

_PG_INSERT = (
    "INSERT INTO favorites (user_id, article_id, created_at, article_created_at) "
    "SELECT $1, id, now(), created_at FROM articles WHERE id = $2"
)
_PG_DELETE = "DELETE FROM favorites WHERE user_id = $1 AND article_id = $2"
_SQLITE_INSERT = (
    "INSERT INTO favorites (user_id, article_id, created_at, article_created_at) "
    "SELECT ?, id, strftime('%Y-%m-%d %H:%M:%f', 'now'), created_at FROM articles WHERE id = ?"
)
_SQLITE_DELETE = "DELETE FROM favorites WHERE user_id = ? AND article_id = ?"

Toggle = Callable[[bool], Awaitable[None]]  # True: insert, False: delete; committed on return
Opened = tuple[list[Toggle], Callable[[], Awaitable[None]]]  # one toggle per pair, and a close


async def _postgres_toggles(url: str, pairs: list[tuple[int, int]]) -> Opened:
    import asyncpg  # noqa: PLC0415

    connections = [await asyncpg.connect(asyncpg_dsn(url)) for _ in pairs]

    def toggle_of(connection: asyncpg.Connection, user_id: int, article_id: int) -> Toggle:
        async def toggle(insert: bool) -> None:
            async with connection.transaction():
                await connection.execute(_PG_INSERT if insert else _PG_DELETE, user_id, article_id)

        return toggle

    async def close() -> None:
        for connection in connections:
            await connection.close()

    toggles = [toggle_of(connection, *pair) for connection, pair in zip(connections, pairs, strict=True)]
    return toggles, close


async def _sqlite_toggles(url: str, pairs: list[tuple[int, int]]) -> Opened:
    import aiosqlite  # noqa: PLC0415

    database = make_url(url).database or ""
    connections = [await aiosqlite.connect(database, timeout=30, isolation_level=None) for _ in pairs]
    for connection in connections:
        await connection.execute("PRAGMA synchronous=NORMAL")  # as the app's connections
        await connection.execute("PRAGMA busy_timeout=30000")

    def toggle_of(connection: aiosqlite.Connection, user_id: int, article_id: int) -> Toggle:
        async def toggle(insert: bool) -> None:
            await connection.execute("BEGIN IMMEDIATE")
            try:
                await connection.execute(_SQLITE_INSERT if insert else _SQLITE_DELETE, (user_id, article_id))
            except BaseException:
                await connection.execute("ROLLBACK")
                raise
            await connection.execute("COMMIT")

        return toggle

    async def close() -> None:
        for connection in connections:
            await connection.close()

    toggles = [toggle_of(connection, *pair) for connection, pair in zip(connections, pairs, strict=True)]
    return toggles, close


async def _measure(database_url: str, pairs: list[tuple[int, int]], seconds: float) -> LoadResult:
    sqlite = database_url.startswith("sqlite")
    toggles, close = await (_sqlite_toggles if sqlite else _postgres_toggles)(database_url, pairs)
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def work(toggle: Toggle) -> None:
        nonlocal errors
        inserted = False
        while time.monotonic() < deadline or inserted:  # always end with the favorite undone
            began = time.perf_counter()
            try:
                await toggle(not inserted)
                inserted = not inserted
                latencies.append(time.perf_counter() - began)
            except Exception:
                errors += 1
                if time.monotonic() >= deadline + GIVE_UP_AFTER_SECONDS:
                    return

    started = time.monotonic()
    try:
        await asyncio.gather(*(work(toggle) for toggle in toggles))
    finally:
        await close()
    elapsed = time.monotonic() - started
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return LoadResult(
        requests=len(latencies),
        seconds=elapsed,
        errors=errors,
        p50_ms=quantiles[49] * 1000,
        p99_ms=quantiles[98] * 1000,
    )


def measure(database_url: str, pairs: list[tuple[int, int]], seconds: float) -> LoadResult:
    """Toggle a favorite for each (user id, article id) at once for ``seconds``."""
    return asyncio.run(_measure(database_url, pairs, seconds))
