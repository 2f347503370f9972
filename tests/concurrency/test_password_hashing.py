"""Argon2 never runs inside a transaction (issue 12, item 3): ``PUT /api/user`` checks and hashes the
new password between a read and the write, so another user's write completes while a slow hash runs
(on SQLite the write transaction holds the database's only write lock), and the write commits only
if the stored hash is still the one the password was checked against.

The hash is made slow through the password-hash settings; the moment it starts is observed by
wrapping the hasher's ``verify`` (it still runs in full), never by sleeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import update

from app.db.models import User
from app.main import create_app
from app.services.context import AppContext
from tests.conftest import make_settings
from tests.helpers import auth, register

Verify = Callable[[str | None, str], Awaitable[bool]]


@pytest.fixture
async def slow_hashing(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, AppContext]]:
    """The app with argon2 at a cost of a good fraction of a second per hash."""
    settings = make_settings(database_url, password_hash_time_cost=6, password_hash_memory_kib=65536)
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as client:
            yield client, application.state.context


def _observe_verify(
    monkeypatch: pytest.MonkeyPatch, context: AppContext, *, while_running: Callable[[], Awaitable[None]]
) -> asyncio.Event:
    """Set the returned event as each password check starts, then run ``while_running`` beside it."""
    started = asyncio.Event()
    verify: Verify = context.passwords.verify

    async def observed(password_hash: str | None, password: str) -> bool:
        started.set()
        checking = asyncio.ensure_future(verify(password_hash, password))
        await while_running()
        return await checking

    monkeypatch.setattr(context.passwords, "verify", observed)
    return started


async def _nothing() -> None:
    return None


async def test_another_write_completes_while_a_password_change_hashes(
    slow_hashing: tuple[httpx.AsyncClient, AppContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, context = slow_hashing
    alice, bob = await register(client), await register(client)
    started = _observe_verify(monkeypatch, context, while_running=_nothing)

    change = asyncio.ensure_future(
        client.put(
            "/api/user", json={"user": {"password": "a brand new password"}}, headers=auth(alice["token"])
        )
    )
    await started.wait()
    other = asyncio.ensure_future(
        client.put("/api/user", json={"user": {"bio": "written meanwhile"}}, headers=auth(bob["token"]))
    )
    done, _ = await asyncio.wait({change, other}, return_when=asyncio.FIRST_COMPLETED)

    assert other in done
    assert change not in done  # still hashing: the other write did not wait for it
    assert (await other).status_code == 200
    assert (await change).status_code == 200
    login = {"user": {"email": alice["email"], "password": "a brand new password"}}
    assert (await client.post("/api/users/login", json=login)).status_code == 200


async def test_a_password_hash_changed_while_checking_writes_nothing_and_says_so(
    client: httpx.AsyncClient, context: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await register(client)

    async def change_the_stored_hash() -> None:  # another writer, behind the token's back
        await context.db.write(
            lambda session: session.execute(
                update(User).where(User.username == alice["username"]).values(password_hash="!elsewhere")
            )
        )

    _observe_verify(monkeypatch, context, while_running=change_the_stored_hash)

    response = await client.put(
        "/api/user",
        json={"user": {"password": "a brand new password", "bio": "not written"}},
        headers=auth(alice["token"]),
    )

    assert response.status_code == 409
    assert response.json()["errors"]["password"] == ["was changed by another request meanwhile; try again"]
    current = await client.get("/api/user", headers=auth(alice["token"]))
    assert current.json()["user"]["bio"] is None
