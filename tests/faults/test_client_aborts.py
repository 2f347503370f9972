"""Clients that give up while their request waits: some mid-query (on a row the test has locked),
the rest queued for one of the pool's two connections. They go away by timing out (httpx closes
the connection) or by resetting their socket. Afterwards nothing is leaked: the pool has every
connection back, no server session is left in a transaction, there are no more server connections
than the pool holds, the counters agree with the rows, and the app serves as before.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.faults.database import app_sessions, connected, inconsistencies, waiting_on_locks
from tests.faults.support import SERVER_SETTINGS, eventually
from tests.helpers import auth, create_article, register
from tests.servers import Server, running_servers

pytestmark = pytest.mark.load

POOL_SIZE = 2
RESETTING = 6  # favorite, then reset their connection (2 mid-query, 4 waiting for a connection)
TIMING_OUT = 6  # favorite or read a list, and time out while waiting for a connection
GIVE_UP_AFTER_SECONDS = 1.0


@pytest.fixture
def server(postgres_url: str, tmp_path: Path) -> Iterator[Server]:
    settings = {"DB_POOL_SIZE": str(POOL_SIZE), "DB_MAX_OVERFLOW": "0", "DB_POOL_TIMEOUT_SECONDS": "10"}
    with running_servers(postgres_url, tmp_path, **SERVER_SETTINGS, **settings) as [running]:
        yield running


async def _metric(client: httpx.AsyncClient, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` that carry ``labels``, from this process's ``/metrics``."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    return sum(
        sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


async def _checked_out(client: httpx.AsyncClient) -> float:
    return await _metric(client, "conduit_db_pool_checked_out")


async def _answered(client: httpx.AsyncClient, method: str, route: str) -> float:
    """Requests the server has finished (answered, or given up answering) on ``route``."""
    return await _metric(client, "conduit_http_requests_total", method=method, route=route)


async def _times_out(url: str, method: str, path: str, token: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=GIVE_UP_AFTER_SECONDS) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            await impatient.request(method, path, headers=auth(token))


@asynccontextmanager
async def _resetting(url: str, method: str, path: str, token: str) -> AsyncIterator[None]:
    """A client that sends its request, and resets its connection when the block ends."""
    port = httpx.URL(url).port
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
    writer.write(f"{request}Content-Length: 0\r\n\r\n".encode())
    await writer.drain()
    try:
        yield
    finally:
        # Linger on, timeout 0: closing sends RST, as a client that crashed or was killed does.
        linger = struct.pack("ii", 1, 0)
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        writer.close()


async def test_clients_that_give_up_mid_request_leak_nothing(server: Server, postgres_url: str) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        author = await register(client)
        slug = (await create_article(client, author["token"]))["slug"]
        readers = await asyncio.gather(*(register(client) for _ in range(RESETTING + TIMING_OUT)))
        favorite = ("POST", f"/api/articles/{slug}/favorite")
        timing_out = [favorite, ("GET", "/api/articles?limit=20")] * (TIMING_OUT // 2)

        async with connected(postgres_url) as lock_holder, AsyncExitStack() as resetting:
            locked = lock_holder.transaction()
            await locked.start()
            await lock_holder.execute("SELECT FROM articles WHERE slug = $1 FOR UPDATE", slug)
            # First the clients that will reset: two of them get the pool's connections and wait on
            # the lock mid-query, the others wait for a connection.
            for reader in readers[:RESETTING]:
                await resetting.enter_async_context(_resetting(server.url, *favorite, reader["token"]))

            async def pool_is_stuck() -> bool:
                return await waiting_on_locks(postgres_url) == POOL_SIZE

            assert await eventually(pool_is_stuck)
            # Then clients that time out while they wait for a connection too.
            await asyncio.gather(
                *(
                    _times_out(server.url, *request, reader["token"])
                    for request, reader in zip(timing_out, readers[RESETTING:], strict=True)
                )
            )
            pool_was_full = await _checked_out(client) == POOL_SIZE
            await resetting.aclose()  # the resetting clients give up
            await locked.rollback()

        async def every_request_is_over() -> bool:
            favorites = await _answered(client, "POST", "/api/articles/{slug}/favorite")
            lists = await _answered(client, "GET", "/api/articles")
            return (favorites, lists) == (RESETTING + TIMING_OUT // 2, TIMING_OUT // 2)

        assert pool_was_full
        assert await eventually(every_request_is_over)
        assert await _checked_out(client) == 0
        sessions = await app_sessions(postgres_url)
        assert set(sessions) <= {"idle"}, sessions
        assert sessions.total() <= POOL_SIZE
        assert await inconsistencies(postgres_url) == {}
        article = await client.get(f"/api/articles/{slug}", headers=auth(author["token"]))
        favorited = await client.post(f"/api/articles/{slug}/favorite", headers=auth(author["token"]))

    assert article.status_code == 200
    favorited_before = article.json()["article"]["favoritesCount"]
    assert favorited.status_code == 200
    assert favorited.json()["article"]["favoritesCount"] == favorited_before + 1
