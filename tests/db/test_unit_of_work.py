"""The unit of work in ``app/db/database.py`` and how database trouble reaches the client.

A write commits everything or nothing; PostgreSQL serialization failures and deadlocks are retried
up to ``db_retry_attempts`` times and then answered with 503; a statement over the timeout and an
exhausted pool are 503 too, and the pool keeps working afterwards; SQLite write transactions queue
(``BEGIN IMMEDIATE`` and a busy timeout) instead of failing with "database is locked".

Failures are real: PostgreSQL raises the SQLSTATE itself (from a ``DO`` block or a trigger), the
timeout is a real ``pg_sleep``, the pool is really exhausted.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import exc, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app import migrations
from app.api.errors import unexpected_error_response
from app.db.models import Favorite, Tag
from app.main import create_app
from app.request_context import set_request_id
from app.services.context import AppContext
from config import Settings
from tests.conftest import make_settings
from tests.databases import PostgresCluster, postgres_cluster
from tests.helpers import app_context, auth, create_article, register

UNAVAILABLE = "service temporarily unavailable (request id {})"


def _raise_sqlstate(code: str) -> Any:
    """A statement that makes PostgreSQL itself fail with SQLSTATE ``code``."""
    return text(f"DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '{code}'; END $$")


@asynccontextmanager
async def _serving(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, AppContext]]:
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client, application.state.context


async def _tag_names(context: AppContext) -> list[str]:
    async def work(session: AsyncSession) -> list[str]:
        return list((await session.scalars(select(Tag.name).order_by(Tag.name))).all())

    return await context.db.read(work)


def _rendered(error: Exception, request_id: str) -> tuple[int, dict[str, str], Any]:
    """How the API answers ``error`` while serving request ``request_id``."""
    set_request_id(request_id)
    response = unexpected_error_response(error)
    return response.status_code, dict(response.headers), json.loads(bytes(response.body))


# --- all or nothing -------------------------------------------------------------------------------


async def test_a_write_that_returns_is_committed(context: AppContext) -> None:
    async def work(session: AsyncSession) -> None:
        await session.execute(insert(Tag), [{"name": "kept"}, {"name": "also-kept"}])

    await context.db.write(work)

    assert await _tag_names(context) == ["also-kept", "kept"]


async def test_a_write_that_raises_stores_nothing(context: AppContext) -> None:
    async def work(session: AsyncSession) -> None:
        await session.execute(insert(Tag), [{"name": "first"}, {"name": "second"}])
        await session.flush()
        raise RuntimeError("the use case failed after writing")

    with pytest.raises(RuntimeError, match="after writing"):
        await context.db.write(work)

    assert await _tag_names(context) == []


async def _insert_the_same_tag_twice(session: AsyncSession) -> None:
    await session.execute(insert(Tag).values(name="unique"))
    await session.execute(insert(Tag).values(name="unique"))


async def test_a_write_whose_last_statement_violates_a_constraint_stores_nothing(context: AppContext) -> None:
    with pytest.raises(exc.IntegrityError):
        await context.db.write(_insert_the_same_tag_twice)

    assert await _tag_names(context) == []


async def test_a_constraint_violation_is_not_retried(context: AppContext) -> None:
    attempts = 0

    async def work(session: AsyncSession) -> None:
        nonlocal attempts
        attempts += 1
        await _insert_the_same_tag_twice(session)

    with pytest.raises(exc.IntegrityError):
        await context.db.write(work)

    assert attempts == 1


# --- retries on PostgreSQL ------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["40001", "40P01"], ids=["serialization-failure", "deadlock"])
async def test_a_transient_failure_is_retried_and_then_succeeds(postgres_url: str, code: str) -> None:
    attempts = 0

    async def work(session: AsyncSession) -> str:
        nonlocal attempts
        attempts += 1
        await session.execute(insert(Tag).values(name=f"attempt-{attempts}"))
        if attempts == 1:
            await session.execute(_raise_sqlstate(code))
        return "done"

    async with app_context(make_settings(postgres_url)) as context:
        assert await context.db.write(work) == "done"

        assert attempts == 2
        assert await _tag_names(context) == ["attempt-2"]  # the failed attempt left nothing behind


async def test_retries_stop_after_the_configured_attempts_and_map_to_503(postgres_url: str) -> None:
    attempts = 0

    async def work(session: AsyncSession) -> None:
        nonlocal attempts
        attempts += 1
        await session.execute(_raise_sqlstate("40001"))

    async with app_context(make_settings(postgres_url, db_retry_attempts=4)) as context:
        with pytest.raises(exc.DBAPIError) as raised:
            await context.db.write(work)

    status, headers, body = _rendered(raised.value, "retry-direct")
    assert attempts == 4
    assert (status, headers["retry-after"]) == (503, "1")
    assert body == {"errors": {"body": [UNAVAILABLE.format("retry-direct")]}}


async def _install_favorite_trigger(context: AppContext, function_body: str) -> None:
    """Makes every INSERT into favorites run ``function_body`` first (PL/pgSQL)."""
    statements = [
        "CREATE SEQUENCE favorite_attempts",
        "CREATE FUNCTION before_favorite() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {function_body} RETURN NEW; END $$",
        "CREATE TRIGGER before_favorite BEFORE INSERT ON favorites "
        "FOR EACH ROW EXECUTE FUNCTION before_favorite()",
    ]

    async def work(session: AsyncSession) -> None:
        for statement in statements:
            await session.execute(text(statement))

    await context.db.write(work)


async def _favorite_attempts(context: AppContext) -> int:
    # Sequences are not transactional, so they count the attempts that were rolled back too.
    async def work(session: AsyncSession) -> int:
        return int(await session.scalar(text("SELECT last_value FROM favorite_attempts")) or 0)

    return await context.db.read(work)


async def test_the_api_retries_a_serialization_failure_transparently(postgres_url: str) -> None:
    async with _serving(make_settings(postgres_url)) as (client, context):
        user = await register(client)
        article = await create_article(client, user["token"])
        await _install_favorite_trigger(
            context,
            "IF nextval('favorite_attempts') = 1 THEN RAISE EXCEPTION USING ERRCODE = '40001'; END IF;",
        )

        response = await client.post(f"/api/articles/{article['slug']}/favorite", headers=auth(user["token"]))

        assert response.status_code == 200
        assert response.json()["article"]["favoritesCount"] == 1
        assert await _favorite_attempts(context) == 2


async def test_the_api_answers_503_when_serialization_failures_persist(postgres_url: str) -> None:
    async with _serving(make_settings(postgres_url, db_retry_attempts=3)) as (client, context):
        user = await register(client)
        article = await create_article(client, user["token"])
        await _install_favorite_trigger(
            context, "PERFORM nextval('favorite_attempts'); RAISE EXCEPTION USING ERRCODE = '40001';"
        )

        response = await client.post(
            f"/api/articles/{article['slug']}/favorite",
            headers={**auth(user["token"]), "X-Request-ID": "retry-503"},
        )

        assert response.status_code == 503
        assert response.json() == {"errors": {"body": [UNAVAILABLE.format("retry-503")]}}
        assert response.headers["retry-after"] == "1"
        assert await _favorite_attempts(context) == 3
        favorites = await context.db.read(lambda session: session.scalar(select(Favorite.user_id)))
        assert favorites is None


# --- timeouts and the pool ------------------------------------------------------------------------


async def test_a_statement_over_the_timeout_maps_to_503_and_the_connection_is_reused(
    postgres_url: str,
) -> None:
    # One connection only, so the query after the timeout runs on the very connection that timed out.
    settings = make_settings(postgres_url, db_statement_timeout_ms=100, db_pool_size=1, db_max_overflow=0)
    async with app_context(settings) as context:
        with pytest.raises(exc.DBAPIError) as raised:
            await context.db.read(lambda session: session.execute(text("SELECT pg_sleep(1)")))

        status, _headers, body = _rendered(raised.value, "timed-out")
        assert status == 503
        assert body == {"errors": {"body": [UNAVAILABLE.format("timed-out")]}}
        assert await context.db.read(lambda session: session.scalar(text("SELECT 'still usable'"))) == (
            "still usable"
        )


async def test_the_api_answers_503_for_a_statement_over_the_timeout_and_recovers(postgres_url: str) -> None:
    settings = make_settings(postgres_url, db_statement_timeout_ms=100, db_pool_size=1, db_max_overflow=0)
    async with _serving(settings) as (client, context):
        user = await register(client)
        article = await create_article(client, user["token"])
        await _install_favorite_trigger(context, "PERFORM pg_sleep(1);")

        slow = await client.post(
            f"/api/articles/{article['slug']}/favorite",
            headers={**auth(user["token"]), "X-Request-ID": "too-slow"},
        )
        after = await client.get(f"/api/articles/{article['slug']}")

    assert slow.status_code == 503
    assert slow.json() == {"errors": {"body": [UNAVAILABLE.format("too-slow")]}}
    assert after.status_code == 200
    assert after.json()["article"]["favoritesCount"] == 0


async def test_an_exhausted_pool_is_503_after_the_pool_timeout(database_url: str) -> None:
    settings = make_settings(database_url, db_pool_size=1, db_max_overflow=0, db_pool_timeout_seconds=0.2)
    async with _serving(settings) as (client, context):
        async with context.db.engine.connect() as held:
            await held.execute(text("SELECT 1"))
            started = time.monotonic()
            starved = await client.get("/api/tags", headers={"X-Request-ID": "starved"})
            waited = time.monotonic() - started
        after = await client.get("/api/tags")

    assert starved.status_code == 503
    assert starved.json() == {"errors": {"body": [UNAVAILABLE.format("starved")]}}
    assert 0.2 <= waited < 2
    assert after.status_code == 200


# --- SQLite write transactions ----------------------------------------------------------------------


async def test_sqlite_runs_overlapping_write_transactions_one_after_the_other(sqlite_url: str) -> None:
    first_has_read = asyncio.Event()

    async def first(session: AsyncSession) -> None:
        await session.scalar(select(Tag.id).where(Tag.name == "first"))
        first_has_read.set()
        # Give the second transaction time to try to begin while this one is open. With a plain
        # deferred BEGIN it would read a snapshot, and its write would fail with "database is locked".
        await asyncio.sleep(0.2)
        await session.execute(insert(Tag).values(name="first"))

    async def second(session: AsyncSession) -> None:
        await session.scalar(select(Tag.id).where(Tag.name == "second"))
        await session.execute(insert(Tag).values(name="second"))

    async def second_when_first_is_open(context: AppContext) -> None:
        await first_has_read.wait()
        await context.db.write(second)

    async with app_context(make_settings(sqlite_url)) as context:
        await asyncio.gather(context.db.write(first), second_when_first_is_open(context))

        assert await _tag_names(context) == ["first", "second"]


def test_connections_a_server_restart_closed_are_replaced_without_a_failed_request() -> None:
    """No pre-ping (it costs three round trips per request): a pooled connection the server closed is
    noticed at checkout and replaced, so the first request after a restart still succeeds."""

    async def before_and_after_a_restart(cluster: PostgresCluster) -> list[int]:
        app = create_app(make_settings(cluster.url, db_pool_size=1, db_max_overflow=0))
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                before = await client.get("/api/tags")
                await asyncio.to_thread(cluster.restart)
                await asyncio.sleep(0.2)  # the event loop reads the server's goodbye
                after = await client.get("/api/tags")
        return [before.status_code, after.status_code]

    with postgres_cluster() as cluster:
        migrations.upgrade(cluster.url)
        assert asyncio.run(before_and_after_a_restart(cluster)) == [200, 200]
