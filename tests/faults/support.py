"""What the fault tests share: servers with load-friendly settings, and the 503 envelope."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from app.main import create_app
from app.services.context import AppContext
from config import Settings
from tests.databases import PostgresCluster
from tests.servers import Server

# Load runs want every request counted, not refused by the abuse limits.
SERVER_SETTINGS = {"RATE_LIMITS_ENABLED": "false"}
UNAVAILABLE_PREFIX = "service temporarily unavailable (request id "
# Bound on waiting for something that should happen at once; generous, as the machines are shared.
WAIT_SECONDS = 15.0
# Lines for the end of the test run's terminal output (measured rates), see conftest.py.
REPORTS: list[str] = []


@dataclass(frozen=True)
class Restartable:
    """A server on a database in a cluster of the test's own, which the test may restart."""

    cluster: PostgresCluster
    database_url: str
    server: Server


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, AppContext]]:
    """The app in this process, and a client that calls it directly."""
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client, application.state.context


async def eventually(condition: Callable[[], Awaitable[bool]], *, within: float = WAIT_SECONDS) -> bool:
    """Whether ``condition()`` comes true within ``within`` seconds (checked every 50 ms)."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def is_unavailable_envelope(body: Any) -> bool:
    """The 503 body: one message, saying the service is unavailable, with the request's id."""
    match body:
        case {"errors": {"body": [str(message)]}} if len(body) == 1 and len(body["errors"]) == 1:
            return message.startswith(UNAVAILABLE_PREFIX)
    return False


def report(line: str) -> None:
    """Show ``line`` in the terminal summary at the end of the run (even without ``pytest -s``)."""
    REPORTS.append(line)
