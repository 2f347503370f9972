"""SIGTERM while requests are in flight, as a process manager stops a server: it stops accepting
connections at once, lets every request it has accepted finish (each answers 2xx, its write
committed), and then the process exits with status 0. With one worker process and with two.

The requests are made slow for real: each favorites an article whose row the test has locked, so
they wait inside their transactions until the test lets go.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from tests.faults.database import connected, waiting_on_locks
from tests.faults.support import SERVER_SETTINGS, WAIT_SECONDS, eventually
from tests.helpers import auth, create_article, register
from tests.servers import Server, start_server

pytestmark = pytest.mark.load

IN_FLIGHT = 6


def _refuses_connections(url: str) -> Callable[[], Awaitable[bool]]:
    port = httpx.URL(url).port
    assert port is not None

    async def refuses() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            return True
        return False

    return refuses


@pytest.mark.parametrize("workers", [1, 2])
async def test_sigterm_lets_requests_in_flight_finish_refuses_new_ones_and_exits_0(
    postgres_url: str, tmp_path: Path, workers: int
) -> None:
    # The requests wait on the lock for as long as the test needs, however busy the machine is.
    settings = {**SERVER_SETTINGS, "DB_STATEMENT_TIMEOUT_MS": "60000"}
    server = start_server(postgres_url, tmp_path, workers=workers, **settings)
    try:
        server.wait_until_serving()
        await _stop_while_requests_are_in_flight(server, postgres_url)
    finally:
        server.stop()


async def _stop_while_requests_are_in_flight(server: Server, database_url: str) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        author = await register(client)
        slug = (await create_article(client, author["token"]))["slug"]
        readers = await asyncio.gather(*(register(client) for _ in range(IN_FLIGHT)))

        async with connected(database_url) as lock_holder:
            locked = lock_holder.transaction()
            await locked.start()
            await lock_holder.execute("SELECT FROM articles WHERE slug = $1 FOR UPDATE", slug)
            in_flight = [
                asyncio.create_task(
                    client.post(f"/api/articles/{slug}/favorite", headers=auth(reader["token"]))
                )
                for reader in readers
            ]

            async def requests_are_waiting() -> bool:
                return await waiting_on_locks(database_url) == IN_FLIGHT

            assert await eventually(requests_are_waiting)

            server.terminate()
            refused = await eventually(_refuses_connections(server.url))
            still_in_flight = not any(task.done() for task in in_flight)
            await locked.rollback()

        responses = await asyncio.gather(*in_flight)
        exit_code = await asyncio.to_thread(server.process.wait, WAIT_SECONDS)

    assert refused, "the server still accepted connections after SIGTERM"
    assert still_in_flight
    assert [response.status_code for response in responses] == [200] * IN_FLIGHT
    # Each answer counts its own favorite; those running at once need not see each other's, since
    # counter changes are inserted side by side instead of queueing on the article's row.
    counts = [response.json()["article"]["favoritesCount"] for response in responses]
    assert all(1 <= count <= IN_FLIGHT for count in counts), counts
    assert exit_code == 0, server.log.read_text()
    async with connected(database_url) as connection:
        assert (
            await connection.fetchval("SELECT favorites_count FROM articles WHERE slug = $1", slug)
            == IN_FLIGHT
        )
