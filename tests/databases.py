"""Test databases: one migrated template per engine, and a fresh copy of it for every test.

SQLite: the template file is copied. PostgreSQL: ``CREATE DATABASE ... TEMPLATE`` on a throwaway
cluster (started here unless ``TEST_POSTGRES_URL`` names a running one). Migrations run once per
engine per session, through Alembic, exactly as in production.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from app import migrations
from app.bench.cluster import pg_cluster_script
from app.events.postgres import asyncpg_dsn

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DATABASE = "conduit_template"


@dataclass(frozen=True)
class PostgresCluster:
    """A running throwaway PostgreSQL server: its admin URL, and the directory that holds it."""

    url: str
    directory: Path

    def restart(self) -> None:
        """Restart the server (same port): every open connection is dropped."""
        pg_cluster_script().restart(self.directory)


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL server of its own, removed afterwards."""
    pg_cluster = pg_cluster_script()
    # Under /tmp: when run as root, the server runs as `postgres`, which cannot enter /root.
    directory = Path(tempfile.mkdtemp(prefix="conduit-pg-", dir="/tmp"))
    directory.rmdir()  # pg_cluster wants to create it
    try:
        yield PostgresCluster(url=pg_cluster.start(directory), directory=directory)
    finally:
        pg_cluster.stop(directory)


@contextmanager
def throwaway_postgres_cluster() -> Iterator[str]:
    """A PostgreSQL server for this test session; yields its admin URL."""
    with postgres_cluster() as cluster:
        yield cluster.url


async def _admin(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def _run_admin(url: str, *statements: str) -> None:
    asyncio.run(_admin(url, *statements))


class PostgresDatabases:
    """Creates per-test databases from a migrated template on one server."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url

    def url_for(self, database: str) -> str:
        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)

    def create_empty(self, name: str | None = None) -> str:
        name = name or f"test_{uuid.uuid4().hex[:16]}"
        _run_admin(self.admin_url, f'CREATE DATABASE "{name}"')
        return name

    def prepare_template(self) -> None:
        _run_admin(self.admin_url, f'DROP DATABASE IF EXISTS "{TEMPLATE_DATABASE}"')
        self.create_empty(TEMPLATE_DATABASE)
        migrations.upgrade(self.url_for(TEMPLATE_DATABASE))

    def create_from_template(self) -> str:
        name = f"test_{uuid.uuid4().hex[:16]}"
        _run_admin(self.admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DATABASE}"')
        return name

    def drop(self, name: str) -> None:
        _run_admin(self.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class SqliteDatabases:
    """Per-test SQLite files copied from a migrated template file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.template = directory / "template.sqlite3"

    @staticmethod
    def url_for(path: Path) -> str:
        return f"sqlite+aiosqlite:///{path}"

    def prepare_template(self) -> None:
        migrations.upgrade(self.url_for(self.template))

    def create_from_template(self, destination: Path) -> str:
        shutil.copyfile(self.template, destination)
        return self.url_for(destination)
