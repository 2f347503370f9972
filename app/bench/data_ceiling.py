"""The data ceiling: a bare ASGI app that answers each read with the very statement the app runs for
it, on the bare driver (asyncpg; aiosqlite for SQLite), encoding the rows as JSON with orjson.

So beside the no-database ceiling (``app.bench.ceiling``) each read gets the limit that its data sets:
what the database and the driver cost, with no framework, middleware, session or model on top. The
statements come from ``$BENCH_DATA_STATEMENTS``, a JSON file mapping a request's path and query to the
SQL and arguments the app sent the driver for it (captured by ``app.bench.statements``). Served by the
run's server with the options Conduit gets, like the ceiling:
``python -m app.bench.data_ceiling --port 8002 --workers 1`` (other servers load ``create_app``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from starlette.types import Receive, Scope, Send

from app.bench.ceiling import serve, server_arguments

STATEMENTS_VARIABLE = "BENCH_DATA_STATEMENTS"
DATABASE_VARIABLE = "BENCH_DATA_DATABASE_URL"
POOL_VARIABLE = "BENCH_DATA_POOL_SIZE"

Fetch = Callable[[str, list[Any]], Awaitable[list[dict[str, Any]]]]
Opened = tuple[Fetch, Callable[[], Awaitable[None]]]  # the driver's fetch, and a close


def _default(value: object) -> object:
    if isinstance(value, bytes | bytearray):
        return value.decode()
    raise TypeError(type(value).__name__)


async def _postgres(url: str, size: int) -> Opened:
    import asyncpg  # noqa: PLC0415

    from app.events.postgres import asyncpg_dsn  # noqa: PLC0415

    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=size, max_size=size)

    async def fetch(sql: str, arguments: list[Any]) -> list[dict[str, Any]]:
        async with pool.acquire() as connection:
            return [dict(record) for record in await connection.fetch(sql, *arguments)]

    return fetch, pool.close


async def _sqlite(url: str, size: int) -> Opened:
    import aiosqlite  # noqa: PLC0415
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    database = make_url(url).database or ""
    connections = [await aiosqlite.connect(database) for _ in range(size)]
    for connection in connections:
        connection.row_factory = aiosqlite.Row
    turn = 0

    async def fetch(sql: str, arguments: list[Any]) -> list[dict[str, Any]]:
        nonlocal turn
        turn = (turn + 1) % len(connections)
        rows = await connections[turn].execute_fetchall(sql, arguments)
        return [dict(row) for row in rows]

    async def close() -> None:
        for connection in connections:
            await connection.close()

    return fetch, close


def create_app() -> object:
    statements: dict[str, dict[str, Any]] = json.loads(Path(os.environ[STATEMENTS_VARIABLE]).read_text())
    url, size = os.environ[DATABASE_VARIABLE], int(os.environ.get(POOL_VARIABLE, "20"))
    state: dict[str, Fetch] = {}
    headers = [(b"content-type", b"application/json; charset=utf-8")]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan: the driver's pool
            message = await receive()
            close: Callable[[], Awaitable[None]] | None = None
            while message["type"] != "lifespan.shutdown":
                if message["type"] == "lifespan.startup":
                    opened = await (_sqlite(url, size) if url.startswith("sqlite") else _postgres(url, size))
                    state["fetch"], close = opened
                    await send({"type": "lifespan.startup.complete"})
                message = await receive()
            if close is not None:
                await close()
            await send({"type": "lifespan.shutdown.complete"})
            return
        query = scope["query_string"].decode()
        statement = statements.get(scope["path"] + (f"?{query}" if query else ""))
        if statement is None:  # "/" answers the readiness probe; any other path was not captured
            status = 200 if scope["path"] == "/" else 404
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b"{}"})
            return
        rows = await state["fetch"](statement["sql"], statement["arguments"])
        body = orjson.dumps({"rows": rows}, default=_default)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def main() -> None:
    serve("app.bench.data_ceiling:create_app", server_arguments(__doc__).parse_args())


if __name__ == "__main__":
    main()
