"""SQL statements per request, counted in-process with an engine event, one request per endpoint.

Also the size of the anonymous list response, which the ceiling app then returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from app.bench.endpoints import Endpoint
from app.main import create_app
from app.services.context import AppContext
from config import Settings

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass(frozen=True, slots=True)
class Probe:
    statements: dict[str, int]
    list_response_bytes: int


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[list[str]]:
    """The statements ``engine`` runs while the block is active (transaction control left out)."""
    statements: list[str] = []

    def before_execute(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(statement)

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
            counts: dict[str, int] = {}
            for endpoint in endpoints:
                request = endpoint.requests[0]
                token = tokens.get(endpoint.caller.value)
                headers = {"Authorization": f"Token {token}"} if token else {}
                if request.body:
                    headers["Content-Type"] = "application/json"
                with counting(context.db.engine) as statements:
                    response = await client.request(
                        request.method, request.path, headers=headers, content=request.body or None
                    )
                if response.status_code >= 400:
                    raise RuntimeError(f"{endpoint.name}: {response.status_code} {response.text[:500]}")
                counts[endpoint.name] = len(statements)
    return Probe(statements=counts, list_response_bytes=len(list_response.content))
