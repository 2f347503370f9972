"""Fixtures shared by the whole suite.

Every test that touches a database runs on SQLite AND on PostgreSQL (the ``database_url``
fixture is parametrised), each time on a fresh database made from a migrated template, so no
test can see another's data. ``postgres_url`` is for tests that only make sense on PostgreSQL.
"""

from __future__ import annotations

import os

# Before any app import: the app reads its settings from the environment.
os.environ["APP_ENV"] = "test"
os.environ.pop("DATABASE_URL", None)

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from app.main import create_app
from app.services.context import AppContext
from config import Settings, load_settings
from tests.databases import PostgresDatabases, SqliteDatabases, throwaway_postgres_cluster

TEST_JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"


# --- database servers and templates (once per session) -----------------------------------------


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    external = os.environ.get("TEST_POSTGRES_URL")
    if external:
        databases = PostgresDatabases(external)
        databases.prepare_template()
        yield databases
        return
    with throwaway_postgres_cluster() as admin_url:
        databases = PostgresDatabases(admin_url)
        databases.prepare_template()
        yield databases


@pytest.fixture(scope="session")
def sqlite_databases(tmp_path_factory: pytest.TempPathFactory) -> SqliteDatabases:
    databases = SqliteDatabases(tmp_path_factory.mktemp("sqlite"))
    databases.prepare_template()
    return databases


@pytest.fixture
def postgres_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database."""
    name = postgres_databases.create_from_template()
    yield postgres_databases.url_for(name)
    postgres_databases.drop(name)


@pytest.fixture
def sqlite_url(sqlite_databases: SqliteDatabases, tmp_path: Path) -> str:
    """A fresh, migrated SQLite database."""
    return sqlite_databases.create_from_template(tmp_path / "conduit.sqlite3")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh, migrated database on each engine in turn."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


# --- the application ------------------------------------------------------------------------------


def make_settings(database_url: str, **overrides: Any) -> Settings:
    return load_settings(app_env="test", database_url=database_url, jwt_secret=TEST_JWT_SECRET, **overrides)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def context(app: FastAPI) -> AppContext:
    """The running app's context, for service-level tests and direct database checks."""
    ctx: AppContext = app.state.context
    return ctx
