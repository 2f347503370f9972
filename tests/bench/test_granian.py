"""Granian runs Conduit as ``conduit bench --server granian`` starts it: the factory builds the app
from the environment's settings in the worker, the lifespan opens the database (the API answers from
it), and SIGTERM ends open event streams at once and then the process, with status 0.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx

from app.bench import servers
from app.bench.commands import Server, conduit_command
from tests.conftest import TEST_JWT_SECRET
from tests.sse import open_events

SHUTDOWN_DEADLINE_SECONDS = 5.0


async def test_granian_serves_conduit_from_the_environment_and_stops_cleanly_on_sigterm(
    database_url: str, tmp_path: Path
) -> None:
    command = conduit_command(Server.GRANIAN, workers=1)
    environment = {
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "JWT_SECRET": TEST_JWT_SECRET,
        "ALLOWED_HOSTS": "127.0.0.1",
        **command.environment,
    }
    log = tmp_path / "granian.log"
    with servers.serving(command.arguments, environment, log, probe="/api/tags") as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            tags = await client.get("/api/tags")
            foreign = await client.get("/api/tags", headers={"Host": "elsewhere.example"})
            async with open_events(client) as stream:
                server.process.send_signal(signal.SIGTERM)
                ended = await stream.ended(within=SHUTDOWN_DEADLINE_SECONDS)
        exit_code = await asyncio.to_thread(server.process.wait, SHUTDOWN_DEADLINE_SECONDS)

    assert (tags.status_code, tags.json()) == (200, {"tags": []})
    assert (foreign.status_code, foreign.json()) == (
        400,
        {"errors": {"body": ["host header is not allowed"]}},
    )
    assert ended
    assert exit_code == 0, log.read_text()
    assert "Traceback" not in log.read_text()
