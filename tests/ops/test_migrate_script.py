"""``scripts/migrate``, run as a deploy runs it: it waits for a database that is not up yet and then
migrates it to head; it gives up with a clear message (no traceback) when nothing answers in time,
and at once when waiting cannot help (the database does not exist).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from app import migrations
from app.db.models import Base
from tests.databases import PostgresDatabases
from tests.ops.support import SCRIPTS, all_rows, operator_environment, run_script, said, tcp_forwarder
from tests.servers import free_port

HEAD = migrations.head_revision()
# Every table the models declare (SQLite also holds the full-text index tables, outside the models).
APP_TABLES = set(Base.metadata.tables)


async def _line_containing(stream: asyncio.StreamReader, text: str) -> str:
    while line := (await stream.readline()).decode():
        if text in line:
            return line
    raise AssertionError(f"the script ended without saying {text!r}")


@pytest.fixture
def empty_postgres_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    name = postgres_databases.create_empty()
    yield postgres_databases.url_for(name)
    postgres_databases.drop(name)


async def test_migrate_waits_for_the_database_then_migrates_it(empty_postgres_url: str) -> None:
    real = make_url(empty_postgres_url)
    port = free_port()  # nothing listens here until the forwarder starts: the database is "down"
    url = real.set(port=port).render_as_string(hide_password=False)
    process = await asyncio.create_subprocess_exec(
        str(SCRIPTS / "migrate"),
        env=operator_environment(DATABASE_URL=url, MIGRATE_WAIT_SECONDS="120"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        async with asyncio.timeout(60):
            waiting = await _line_containing(process.stderr, "waiting for the database")
        assert "ConnectionRefusedError" in waiting

        async with tcp_forwarder(port, str(real.host), int(real.port or 5432)):
            async with asyncio.timeout(120):
                rest, _ = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert process.returncode == 0, rest
    tables = await asyncio.to_thread(all_rows, real.render_as_string(hide_password=False))
    assert set(tables) >= APP_TABLES | {"alembic_version"}
    assert tables["alembic_version"] == [(HEAD,)]


def test_migrate_gives_up_cleanly_when_nothing_listens() -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/conduit"

    result = run_script("migrate", DATABASE_URL=url, MIGRATE_WAIT_SECONDS="1")

    assert result.returncode == 1
    assert "the database did not accept connections within 1 s (last error: ConnectionRefusedError" in said(
        result
    )
    assert "Traceback" not in said(result)


def test_migrate_fails_at_once_when_the_database_does_not_exist(
    postgres_databases: PostgresDatabases,
) -> None:
    url = postgres_databases.url_for("no_such_database")

    result = run_script("migrate", DATABASE_URL=url, MIGRATE_WAIT_SECONDS="60")

    assert result.returncode == 1
    assert (
        'cannot use the database: InvalidCatalogNameError: database "no_such_database" does not exist'
        in said(result)
    )
    assert "waiting for the database" not in said(result)
    assert "Traceback" not in said(result)


def test_migrate_creates_and_migrates_a_sqlite_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'conduit.sqlite3'}"

    result = run_script("migrate", DATABASE_URL=url)

    assert result.returncode == 0, said(result)
    assert "database at head" in said(result)
    tables = all_rows(url)
    assert set(tables) >= APP_TABLES | {"alembic_version"}
    assert tables["alembic_version"] == [(HEAD,)]
