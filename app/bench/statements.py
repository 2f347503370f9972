"""SQL statements per request, counted in-process with an engine event, one request per endpoint.

Also the size of the anonymous list response, which the ceiling app then returns; the run's writers
(registered here, through the API); and each read's statement exactly as the app sent it to the
driver (SQL and arguments, seen by the same event), which the data ceiling then runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from app.bench import writers
from app.bench.endpoints import UNIQUE, WRITERS, Caller, Endpoint
from app.db.types import utc_now
from app.main import create_app
from app.security.tokens import TokenCodec
from app.services.context import AppContext
from config import Settings

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement as the driver got it."""

    sql: str
    arguments: list[Any]


@dataclass(frozen=True, slots=True)
class Probe:
    statements: dict[str, int]
    list_response_bytes: int
    writers: list[tuple[int, str]]  # (user id, token) of the contention scenarios' writers
    reads: dict[str, Statement]  # the single statement of each read endpoint, by endpoint name


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[list[Statement]]:
    """The statements ``engine`` runs while the block is active (transaction control left out)."""
    statements: list[Statement] = []

    def before_execute(_connection: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(Statement(statement, list(parameters or ())))

    event.listen(engine.sync_engine, "before_cursor_execute", before_execute)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before_execute)


async def probe(settings: Settings, endpoints: list[Endpoint], tokens: dict[str, str]) -> Probe:
    """One request per endpoint through the app; every response must be a success."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        context: AppContext = app.state.context
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            # The first request opens a connection (and asyncpg asks the server about itself).
            (await client.get("/api/tags")).raise_for_status()
            list_response = await client.get("/api/articles")
            list_response.raise_for_status()
            many = any(endpoint.caller is Caller.WRITERS for endpoint in endpoints)
            codec = TokenCodec(settings)
            made = await writers.register(client, codec, WRITERS) if many else []
            # A session's first use in a process records "last used" (once a minute, in a task of
            # its own): not the request's work, so not counted as its statement.
            for signed in tokens.values():
                context.activity.started(codec.decode(signed).session_id, utc_now())
            counts: dict[str, int] = {}
            reads: dict[str, Statement] = {}
            for endpoint in endpoints:
                request = endpoint.requests[0]
                if request.writer is not None:
                    token: str | None = made[request.writer][1]
                else:
                    token = tokens.get(endpoint.caller.value)
                headers = {"Authorization": f"Token {token}"} if token else {}
                if request.body:
                    headers["Content-Type"] = "application/json"
                body = request.body.replace(UNIQUE, "probe")
                with counting(context.db.engine) as statements:
                    response = await client.request(
                        request.method,
                        request.path.replace(UNIQUE, "probe"),
                        headers=headers,
                        content=body or None,
                    )
                if response.status_code >= 400:
                    raise RuntimeError(f"{endpoint.name}: {response.status_code} {response.text[:500]}")
                counts[endpoint.name] = len(statements)
                if not endpoint.writes and len(statements) == 1:
                    reads[endpoint.name] = statements[0]
    return Probe(statements=counts, list_response_bytes=len(list_response.content), writers=made, reads=reads)
