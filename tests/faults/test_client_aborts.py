"""Clients that give up while their request waits: some mid-query (on a row the test has locked),
the rest queued for one of the pool's two connections. They go away by timing out (the connection
closed cleanly) or by resetting their socket. Afterwards nothing is leaked: the pool has every
connection back, no server session is left in a transaction, there are no more server connections
than the pool holds, the counters agree with the rows, and the app serves as before.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.faults.database import app_sessions, connected, inconsistencies
from tests.faults.support import SERVER_SETTINGS
from tests.helpers import auth, create_article, register
from tests.servers import Server, running_servers

pytestmark = pytest.mark.load

POOL_SIZE = 2
CLIENTS = 12  # half time out, half reset their connection; half favorite, half read a list
GIVE_UP_AFTER_SECONDS = 1.0
WAIT_SECONDS = 15.0  # bound on each wait below; none is expected to come close


@pytest.fixture
def server(postgres_url: str, tmp_path: Path) -> Iterator[Server]:
    settings = {"DB_POOL_SIZE": str(POOL_SIZE), "DB_MAX_OVERFLOW": "0", "DB_POOL_TIMEOUT_SECONDS": "10"}
    with running_servers(postgres_url, tmp_path, **SERVER_SETTINGS, **settings) as [running]:
        yield running


async def _eventually(condition: Callable[[], Awaitable[bool]]) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while not await condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


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


async def _resets(url: str, method: str, path: str, token: str) -> None:
    port = httpx.URL(url).port
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
    writer.write(f"{request}Content-Length: 0\r\n\r\n".encode())
    await writer.drain()
    await asyncio.sleep(GIVE_UP_AFTER_SECONDS)
    # Linger on, timeout 0: closing sends RST, as a client that crashed or was killed does.
    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()


async def test_clients_that_give_up_mid_request_leak_nothing(server: Server, postgres_url: str) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        author = await register(client)
        slug = (await create_article(client, author["token"]))["slug"]
        readers = await asyncio.gather(*(register(client) for _ in range(CLIENTS)))
        requests = [
            ("POST", f"/api/articles/{slug}/favorite") if number % 2 else ("GET", "/api/articles?limit=20")
            for number in range(CLIENTS)
        ]

        async with connected(postgres_url) as lock_holder:
            locked = lock_holder.transaction()
            await locked.start()
            await lock_holder.execute("SELECT FROM articles WHERE slug = $1 FOR UPDATE", slug)
            await asyncio.gather(
                *(
                    (_times_out if number < CLIENTS // 2 else _resets)(server.url, *request, reader["token"])
                    for number, (request, reader) in enumerate(zip(requests, readers, strict=True))
                )
            )
            pool_was_full = await _checked_out(client) == POOL_SIZE
            await locked.rollback()

        async def every_request_is_over() -> bool:
            favorites = await _answered(client, "POST", "/api/articles/{slug}/favorite")
            lists = await _answered(client, "GET", "/api/articles")
            return favorites == lists == CLIENTS // 2

        assert pool_was_full
        assert await _eventually(every_request_is_over)
        assert await _checked_out(client) == 0
        sessions = await app_sessions(postgres_url)
        assert set(sessions) <= {"idle"}, sessions
        assert sessions.total() <= POOL_SIZE
        assert await inconsistencies(postgres_url) == {}
        article = await client.get(f"/api/articles/{slug}", headers=auth(author["token"]))
        favorite = await client.post(f"/api/articles/{slug}/favorite", headers=auth(author["token"]))

    assert article.status_code == 200
    favorited_before = article.json()["article"]["favoritesCount"]
    assert favorite.status_code == 200
    assert favorite.json()["article"]["favoritesCount"] == favorited_before + 1
