"""``/health/live`` and ``/health/ready`` on both engines: liveness never needs the database;
readiness answers 503, naming the failed check, when the schema is not at head (a fresh empty
database), when the database refuses connections, and when it does not answer in time, but stays
ready on a schema a newer release migrated ahead. Probes pass the Host check like any request;
neither endpoint is part of the OpenAPI document.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from app import migrations
from app.db.engine import create_engine
from app.main import create_app
from app.observability.health import check_readiness
from app.services.context import AppContext
from tests.conftest import make_settings
from tests.databases import PostgresDatabases

JSON_UTF8 = "application/json; charset=utf-8"
HEAD = migrations.head_revision()


@asynccontextmanager
async def serving(database_url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a running app on ``database_url`` (whatever state that database is in)."""
    app = create_app(make_settings(database_url, **overrides))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        yield client


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database that was never migrated, on each engine in turn."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    name = databases.create_empty()
    yield databases.url_for(name)
    databases.drop(name)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there any more


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections (the kernel completes them) but never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


# --- liveness -------------------------------------------------------------------------------------


async def test_liveness_answers_ok_and_is_never_cached(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")

    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_UTF8
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {"status": "ok"}


async def test_liveness_does_not_need_the_database() -> None:
    url = f"postgresql+asyncpg://conduit:secret@127.0.0.1:{_closed_port()}/conduit"
    async with serving(url, events_backend="memory") as client:
        response = await client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# --- readiness ------------------------------------------------------------------------------------


async def test_readiness_answers_ok_when_the_database_answers_at_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_UTF8
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


async def test_readiness_is_503_while_the_schema_is_not_at_head(empty_database_url: str) -> None:
    async with serving(empty_database_url) as client:
        response = await client.get("/health/ready")

    assert response.status_code == 503
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "migrations": f"schema at no revision, expected {HEAD}"},
    }


async def test_readiness_turns_ok_once_the_schema_is_migrated(empty_database_url: str) -> None:
    async with serving(empty_database_url) as client:
        before = await client.get("/health/ready")
        await asyncio.to_thread(migrations.upgrade, empty_database_url)  # Alembic runs its own loop
        after = await client.get("/health/ready")

    assert before.status_code == 503
    assert after.status_code == 200


# A deploy migrates first, then rolls the processes: the previous release keeps serving meanwhile.
async def test_readiness_stays_ok_when_a_newer_release_has_migrated_the_schema_ahead(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    async with context.db.engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = 'fromanewerrelease'"))

    response = await client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


async def test_readiness_is_503_when_the_database_refuses_connections() -> None:
    url = f"postgresql+asyncpg://conduit:secret@127.0.0.1:{_closed_port()}/conduit"
    async with serving(url, events_backend="memory") as client:
        response = await client.get("/health/ready")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "unreachable", "migrations": "unknown"},
    }
    assert "secret" not in response.text


async def test_readiness_gives_up_on_a_database_that_does_not_answer(silent_port: int) -> None:
    settings = make_settings(f"postgresql+asyncpg://conduit:secret@127.0.0.1:{silent_port}/conduit")
    engine = create_engine(settings)
    try:
        readiness = await check_readiness(engine, within_seconds=0.2)
    finally:
        await engine.dispose()

    assert not readiness.ready
    assert readiness.database == "no answer within 0.2 s"
    assert readiness.migrations == "unknown"


# --- what applies to probes -------------------------------------------------------------------------


async def test_probes_must_name_an_allowed_host_like_every_request(client: httpx.AsyncClient) -> None:
    refused = await client.get("/health/live", headers={"Host": "probe.elsewhere.example"})
    allowed = await client.get("/health/live", headers={"Host": "localhost"})

    assert refused.status_code == 400
    assert refused.json() == {"errors": {"body": ["host header is not allowed"]}}
    assert allowed.status_code == 200


# --- the OpenAPI document -------------------------------------------------------------------------


async def test_health_and_metrics_are_not_part_of_the_api_description(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    assert not [path for path in paths if path.startswith(("/health", "/metrics"))]
    assert "/api/tags" in paths  # the document itself is the real one
