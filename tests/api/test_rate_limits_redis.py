"""Rate limits with ``REDIS_URL``: every app process shares the counts.

A throwaway ``redis-server`` (Debian's, see scripts/ensure_tools.sh) runs on a free loopback port
for this module, without persistence; it is emptied before each test. Two app instances stand for
two server processes, and real ones (``python -m app serve``) race parallel guesses. Also: a Redis
that cannot be reached lets requests through (never a 500).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from app.main import create_app
from tests.api.login_bursts import HeldPasswordChecks, burst, burst_then_right_password, statuses
from tests.conftest import make_settings
from tests.helpers import PASSWORD, auth, create_article, register
from tests.servers import free_port, running_servers

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

REDIS_SERVER = "/usr/bin/redis-server"
STARTUP_TIMEOUT_SECONDS = 10


def redis_command(port: int, *words: str) -> bytes:
    """Sends one command in Redis's wire format and returns the raw reply."""
    request = f"*{len(words)}\r\n" + "".join(f"${len(word)}\r\n{word}\r\n" for word in words)
    with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
        connection.sendall(request.encode())
        reply = b""
        while not reply.endswith(b"\r\n"):
            reply += connection.recv(65536)
        return reply


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    log = tmp_path_factory.mktemp("redis") / "redis.log"
    with Path(log).open("wb") as output:
        server = subprocess.Popen(
            [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            try:
                if redis_command(port, "PING") == b"+PONG\r\n":
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start:\n{log.read_text()}") from None
                time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def redis_url(redis_port: int) -> str:
    assert redis_command(redis_port, "FLUSHALL") == b"+OK\r\n"
    return f"redis://127.0.0.1:{redis_port}/0"


@asynccontextmanager
async def two_apps(database_url: str, redis_url: str, **limits: str) -> AsyncIterator[list[FastAPI]]:
    """Two app instances on one database and one Redis."""
    apps: list[FastAPI] = [
        create_app(make_settings(database_url, redis_url=redis_url, **limits)) for _ in range(2)
    ]
    async with LifespanManager(apps[0]), LifespanManager(apps[1]):
        yield apps


@asynccontextmanager
async def clients_of(apps: list[FastAPI]) -> AsyncIterator[list[httpx.AsyncClient]]:
    """A client of each app (same address)."""
    transports = [httpx.ASGITransport(app=app) for app in apps]
    async with (
        httpx.AsyncClient(transport=transports[0], base_url="http://testserver") as first,
        httpx.AsyncClient(transport=transports[1], base_url="http://testserver") as second,
    ):
        yield [first, second]


@asynccontextmanager
async def two_processes(
    database_url: str, redis_url: str, **limits: str
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Two app instances on one database and one Redis, and a client of each (same address)."""
    async with two_apps(database_url, redis_url, **limits) as apps, clients_of(apps) as clients:
        yield clients


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/users/login", json={"user": {"email": email, "password": password}})


async def test_failed_logins_counted_by_one_process_throttle_the_other(
    database_url: str, redis_url: str
) -> None:
    async with two_processes(database_url, redis_url, rate_limit_failed_logins="3/minute") as [first, second]:
        user = await register(first)
        statuses = [
            (await login(first, user["email"], "guess")).status_code,
            (await login(second, user["email"], "guess")).status_code,
            (await login(first, user["email"], "guess")).status_code,
        ]
        throttled_on_second = await login(second, user["email"])
        throttled_on_first = await login(first, user["email"])

    assert statuses == [401, 401, 401]
    for response in (throttled_on_second, throttled_on_first):
        assert response.status_code == 429
        assert set(response.json()["errors"]) == {"body"}
        assert 1 <= int(response.headers["Retry-After"]) <= 60


async def test_parallel_wrong_passwords_through_two_processes_get_at_most_the_budget_of_401s(
    database_url: str, redis_url: str
) -> None:
    async with (
        two_apps(database_url, redis_url, rate_limit_failed_logins="3/minute") as apps,
        clients_of(apps) as clients,
    ):
        user = await register(clients[0])
        gate = HeldPasswordChecks(*apps)
        responses = await burst(gate, lambda number: login(clients[number % 2], user["email"], "guess"), 50)

    assert statuses(responses) == [401] * 3 + [429] * 47


async def test_the_right_password_during_a_burst_through_two_processes_is_refused(
    database_url: str, redis_url: str
) -> None:
    async with (
        two_apps(database_url, redis_url, rate_limit_failed_logins="3/minute") as apps,
        clients_of(apps) as clients,
    ):
        user = await register(clients[0])
        gate = HeldPasswordChecks(*apps)
        guesses, signing_in = await burst_then_right_password(
            gate,
            lambda number: login(clients[number % 2], user["email"], "guess"),
            lambda number: login(clients[number % 2], user["email"]),
            29,
        )

    assert statuses(guesses) == [401] * 3 + [429] * 26
    assert signing_in.status_code == 429


async def test_a_successful_login_gives_its_attempt_back_in_redis(database_url: str, redis_url: str) -> None:
    async with two_processes(database_url, redis_url, rate_limit_failed_logins="2/minute") as [first, second]:
        user = await register(first)
        successes = [(await login(client, user["email"])).status_code for client in (first, second) * 3]
        failures = [(await login(client, user["email"], "guess")).status_code for client in (first, second)]
        refused = await login(first, user["email"])

    assert successes == [200] * 6
    assert failures == [401, 401]
    assert refused.status_code == 429


# Slow enough password checks that parallel guesses overlap in the servers, as they do in production.
SLOW_PASSWORD_CHECKS = {"PASSWORD_HASH_TIME_COST": "20", "PASSWORD_HASH_MEMORY_KIB": "1024"}


async def test_parallel_wrong_passwords_against_two_server_processes_get_at_most_the_budget_of_401s(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    environment = {"REDIS_URL": redis_url, "RATE_LIMIT_FAILED_LOGINS": "3/minute", **SLOW_PASSWORD_CHECKS}
    with running_servers(database_url, tmp_path, count=2, **environment) as servers:
        async with httpx.AsyncClient(timeout=60) as http:
            account = {"username": "victim", "email": "victim@example.com", "password": PASSWORD}
            registered = await http.post(f"{servers[0].url}/api/users", json={"user": account})
            assert registered.status_code == 201, registered.text
            guess = {"user": {"email": account["email"], "password": "guess"}}
            responses = await asyncio.gather(
                *(http.post(f"{servers[number % 2].url}/api/users/login", json=guess) for number in range(50))
            )

    assert statuses(responses) == [401] * 3 + [429] * 47


async def test_writes_counted_by_one_process_throttle_the_other(database_url: str, redis_url: str) -> None:
    async with two_processes(database_url, redis_url, rate_limit_writes="3/minute") as [first, second]:
        author = await register(first)  # write 1
        article = await create_article(second, author["token"])  # write 2
        url = f"/api/articles/{article['slug']}/favorite"
        favorite = await first.post(url, headers=auth(author["token"]))  # write 3
        refused = await second.delete(url, headers=auth(author["token"]))

    assert favorite.status_code == 200
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


async def test_redis_keys_carry_the_prefix_and_never_an_email_address(
    database_url: str, redis_url: str, redis_port: int
) -> None:
    async with two_processes(database_url, redis_url) as [first, _second]:
        user = await register(first)
        await login(first, user["email"], "guess")

    keys = redis_command(redis_port, "KEYS", "*").decode()
    assert "conduit:" in keys
    assert "failed-login" in keys
    assert user["email"] not in keys
    assert "example.com" not in keys


async def test_an_unreachable_redis_lets_requests_through_with_a_warning(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    with caplog.at_level(logging.WARNING, logger="app.security.rate_limits"):
        async with two_processes(database_url, unreachable, rate_limit_failed_logins="1/minute") as [
            first,
            _,
        ]:
            user = await register(first)
            statuses = [(await login(first, user["email"], "guess")).status_code for _ in range(3)]
            success = await login(first, user["email"])

    assert statuses == [401, 401, 401]
    assert success.status_code == 200
    assert "rate-limit store unavailable" in caplog.text
