"""Rate limits (in-process memory store): failed logins per client and per account, registrations
and writes per client; 429 with ``Retry-After`` and the error envelope (API) or the error page
(pages); ``RATE_LIMITS_ENABLED=false`` turns them all off.

Limits are set low through settings so each test needs only a few requests. Client addresses are
the ASGI scope's ``client``; the tests pick loopback addresses to play distinct clients. The store
is per process, so SQLite is enough (the Redis store is in ``test_rate_limits_redis.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from app.main import create_app
from tests.api.login_bursts import HeldPasswordChecks, burst, burst_then_right_password, statuses
from tests.conftest import make_settings
from tests.helpers import PASSWORD, auth, create_article, register, unique_name
from tests.web.helpers import csrf_token

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

Clients = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@asynccontextmanager
async def running(database_url: str, **overrides: Any) -> AsyncIterator[FastAPI]:
    application = create_app(make_settings(database_url, **overrides))
    async with LifespanManager(application):
        yield application


def clients_of(application: FastAPI) -> Clients:
    """``async with client_from("127.0.0.2") as http:``: a client whose requests come from that address."""

    @asynccontextmanager
    async def client_from(address: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=application, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http

    return client_from


@asynccontextmanager
async def one_client(database_url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A running app with these settings, and one client (at 127.0.0.1) talking to it."""
    async with running(database_url, **overrides) as application, clients_of(application)() as client:
        yield client


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/users/login", json={"user": {"email": email, "password": password}})


def new_user(username: str | None = None) -> dict[str, Any]:
    username = username or unique_name()
    return {"user": {"username": username, "email": f"{username}@example.com", "password": PASSWORD}}


def assert_throttled(response: httpx.Response, message: str, window_seconds: int) -> None:
    assert response.status_code == 429, response.text
    assert response.json() == {"errors": {"body": [message]}}
    assert 1 <= int(response.headers["Retry-After"]) <= window_seconds


FAILED_LOGINS = "too many failed sign-in attempts; try again later"
REGISTRATIONS = "too many registrations from this address; try again later"
WRITES = "too many requests from this address; slow down"


# --- failed logins ------------------------------------------------------------------------------


# DECISIONS: 429 with Retry-After after too many failed logins from one client.
async def test_a_client_out_of_failed_logins_is_refused_even_with_the_right_password(
    database_url: str,
) -> None:
    async with one_client(database_url, rate_limit_failed_logins="3/minute") as client:
        user = await register(client)
        failures = [await login(client, user["email"], "wrong password") for _ in range(3)]
        refused = await login(client, user["email"])

    assert [response.status_code for response in failures] == [401, 401, 401]
    assert_throttled(refused, FAILED_LOGINS, 60)


async def test_successful_logins_never_use_up_the_failed_login_budget(database_url: str) -> None:
    async with one_client(database_url, rate_limit_failed_logins="2/minute") as client:
        user = await register(client)
        statuses = [(await login(client, user["email"])).status_code for _ in range(10)]
        first_failure = await login(client, user["email"], "wrong password")

    assert statuses == [200] * 10
    assert first_failure.status_code == 401


async def test_failed_logins_against_one_account_from_many_addresses_lock_that_account(
    database_url: str,
) -> None:
    async with running(database_url, rate_limit_failed_logins="3/minute") as application:
        client_from = clients_of(application)
        async with client_from("127.0.0.1") as owner:
            victim = await register(owner)
            other = await register(owner)
        for number in range(2, 5):  # three attackers, one guess each
            async with client_from(f"127.0.0.{number}") as attacker:
                assert (await login(attacker, victim["email"], "guess")).status_code == 401
        async with client_from("127.0.0.9") as newcomer:
            locked = await login(newcomer, victim["email"])
            unaffected = await login(newcomer, other["email"])

    assert_throttled(locked, FAILED_LOGINS, 60)
    assert unaffected.status_code == 200


async def test_an_unknown_email_is_throttled_like_a_known_one(database_url: str) -> None:
    async with one_client(database_url, rate_limit_failed_logins="2/minute") as client:
        statuses = [(await login(client, "nobody@example.com", "guess")).status_code for _ in range(3)]
        again = await login(client, "nobody@example.com", "guess")

    assert statuses == [401, 401, 429]
    assert_throttled(again, FAILED_LOGINS, 60)


async def test_one_clients_failures_do_not_throttle_another_client_on_another_account(
    database_url: str,
) -> None:
    async with running(database_url, rate_limit_failed_logins="2/minute") as application:
        client_from = clients_of(application)
        async with client_from("127.0.0.2") as guesser, client_from("127.0.0.3") as bystander:
            target, own = await register(guesser), await register(bystander)
            for _ in range(2):
                await login(guesser, target["email"], "guess")
            guesser_again = await login(guesser, own["email"])
            bystander_login = await login(bystander, own["email"])

    assert_throttled(guesser_again, FAILED_LOGINS, 60)
    assert bystander_login.status_code == 200


async def test_the_sign_in_page_shows_the_error_page_with_retry_after_when_throttled(
    database_url: str,
) -> None:
    async with one_client(database_url, rate_limit_failed_logins="2/minute") as browser:
        user = await register(browser)
        statuses = []
        for _ in range(3):
            token = await csrf_token(browser, "/login")
            form = {"email": user["email"], "password": "wrong password", "csrf_token": token}
            statuses.append((await browser.post("/login", data=form)).status_code)
        token = await csrf_token(browser, "/login")
        page = await browser.post(
            "/login", data={"email": user["email"], "password": PASSWORD, "csrf_token": token}
        )

    assert statuses == [422, 422, 429]
    assert page.status_code == 429
    assert page.headers["content-type"].startswith("text/html")
    assert "Too many failed sign-in attempts" in page.text
    assert 1 <= int(page.headers["Retry-After"]) <= 60


# Parallel guesses: each attempt is reserved before its password is checked (see login_bursts).


async def test_parallel_wrong_passwords_get_at_most_the_budget_of_401s(database_url: str) -> None:
    async with (
        running(database_url, rate_limit_failed_logins="3/minute") as application,
        clients_of(application)() as client,
    ):
        user = await register(client)
        gate = HeldPasswordChecks(application)
        responses = await burst(gate, lambda _: login(client, user["email"], "guess"), 50)

    assert statuses(responses) == [401] * 3 + [429] * 47
    for refused in (response for response in responses if response.status_code == 429):
        assert_throttled(refused, FAILED_LOGINS, 60)


async def test_the_right_password_during_a_burst_of_guesses_is_refused_once_they_spent_the_budget(
    database_url: str,
) -> None:
    async with running(database_url, rate_limit_failed_logins="3/minute") as application:
        client_from = clients_of(application)
        async with client_from("127.0.0.2") as owner, client_from("127.0.0.3") as attacker:
            user = await register(owner)
            gate = HeldPasswordChecks(application)
            guesses, signing_in = await burst_then_right_password(
                gate,
                lambda _: login(attacker, user["email"], "guess"),
                lambda _: login(owner, user["email"]),
                29,
            )

    assert statuses(guesses) == [401] * 3 + [429] * 26
    assert_throttled(signing_in, FAILED_LOGINS, 60)


async def test_parallel_wrong_passwords_on_the_sign_in_page_get_at_most_the_budget_of_failures(
    database_url: str,
) -> None:
    async with (
        running(database_url, rate_limit_failed_logins="3/minute") as application,
        clients_of(application)() as browser,
    ):
        user = await register(browser)
        token = await csrf_token(browser, "/login")
        form = {"email": user["email"], "password": "wrong password", "csrf_token": token}
        gate = HeldPasswordChecks(application)
        responses = await burst(gate, lambda _: browser.post("/login", data=form), 50)

    assert statuses(responses) == [422] * 3 + [429] * 47


async def test_parallel_wrong_passwords_confirming_account_deletion_get_at_most_the_budget_of_403s(
    database_url: str,
) -> None:
    async with (
        running(database_url, rate_limit_failed_logins="3/minute") as application,
        clients_of(application)() as client,
    ):
        user = await register(client)
        body = {"user": {"password": "not my password"}}
        headers = auth(user["token"])
        gate = HeldPasswordChecks(application)
        responses = await burst(
            gate, lambda _: client.request("DELETE", "/api/user", json=body, headers=headers), 50
        )
        still_there = await client.get("/api/user", headers=headers)

    assert statuses(responses) == [403] * 3 + [429] * 47
    assert still_there.status_code == 200


async def test_parallel_successful_logins_give_their_attempts_back(database_url: str) -> None:
    async with (
        running(database_url, rate_limit_failed_logins="3/minute") as application,
        clients_of(application)() as client,
    ):
        user = await register(client)
        gate = HeldPasswordChecks(application)
        signed_in = await burst(gate, lambda _: login(client, user["email"]), 3)
        failures = [(await login(client, user["email"], "guess")).status_code for _ in range(4)]

    assert statuses(signed_in) == [200] * 3
    assert failures == [401, 401, 401, 429]


# --- registrations ------------------------------------------------------------------------------


# DECISIONS: 429 with Retry-After after too many registrations from one client.
async def test_registrations_from_one_client_are_limited_and_failed_ones_count_too(
    database_url: str,
) -> None:
    async with running(database_url, rate_limit_registrations="3/hour") as application:
        client_from = clients_of(application)
        async with client_from("127.0.0.2") as signups, client_from("127.0.0.3") as neighbour:
            first = await signups.post("/api/users", json=new_user())
            invalid = await signups.post("/api/users", json={"user": {"username": "", "email": "x"}})
            taken = await signups.post(
                "/api/users", json={"user": {**first.json()["user"], "password": PASSWORD}}
            )
            refused = await signups.post("/api/users", json=new_user())
            elsewhere = await neighbour.post("/api/users", json=new_user())

    assert [first.status_code, invalid.status_code, taken.status_code] == [201, 422, 422]
    assert_throttled(refused, REGISTRATIONS, 3600)
    assert elsewhere.status_code == 201


async def test_the_sign_up_page_shares_the_registration_budget(database_url: str) -> None:
    async with one_client(database_url, rate_limit_registrations="1/hour") as browser:
        assert (await browser.post("/api/users", json=new_user())).status_code == 201
        username = unique_name()
        token = await csrf_token(browser, "/register")
        form = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
        page = await browser.post("/register", data={**form, "csrf_token": token})

    assert page.status_code == 429
    assert page.headers["content-type"].startswith("text/html")
    assert 1 <= int(page.headers["Retry-After"]) <= 3600


# --- writes -------------------------------------------------------------------------------------


async def test_writes_from_one_client_are_limited_and_reads_are_not(database_url: str) -> None:
    async with running(database_url, rate_limit_writes="4/minute") as application:
        client_from = clients_of(application)
        async with client_from("127.0.0.2") as writer, client_from("127.0.0.3") as neighbour:
            author = await register(writer)  # write 1
            article = await create_article(writer, author["token"])  # write 2
            reads = [(await writer.get(f"/api/articles/{article['slug']}")).status_code for _ in range(10)]
            url = f"/api/articles/{article['slug']}/favorite"
            favorite = await writer.post(url, headers=auth(author["token"]))  # write 3
            unfavorite = await writer.delete(url, headers=auth(author["token"]))  # write 4
            refused = await writer.post(url, headers=auth(author["token"]))
            still_readable = await writer.get(f"/api/articles/{article['slug']}")
            neighbour_write = await neighbour.post("/api/users", json=new_user())

    assert reads == [200] * 10
    assert [favorite.status_code, unfavorite.status_code] == [200, 200]
    assert_throttled(refused, WRITES, 60)
    assert still_readable.status_code == 200
    assert neighbour_write.status_code == 201


async def test_page_form_posts_count_as_writes(database_url: str) -> None:
    async with one_client(database_url, rate_limit_writes="2/minute") as browser:
        statuses = []
        for _ in range(3):
            token = await csrf_token(browser, "/login")
            form = {"email": "nobody@example.com", "password": "wrong password", "csrf_token": token}
            statuses.append((await browser.post("/login", data=form)).status_code)

    assert statuses == [422, 422, 429]


# --- switched off -------------------------------------------------------------------------------


async def test_rate_limits_enabled_false_turns_every_limit_off(database_url: str) -> None:
    async with one_client(
        database_url,
        rate_limits_enabled=False,
        rate_limit_failed_logins="1/minute",
        rate_limit_registrations="1/hour",
        rate_limit_writes="1/minute",
    ) as client:
        users = [await register(client) for _ in range(3)]
        failures = [(await login(client, users[0]["email"], "guess")).status_code for _ in range(5)]
        success = await login(client, users[0]["email"])

    assert failures == [401] * 5
    assert success.status_code == 200
