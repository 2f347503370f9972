"""``scripts/backup`` and ``scripts/restore``, run as an operator runs them, on both engines: a backup
restored into a fresh database reproduces every row of every table exactly (Alembic's revision
included) and takes new rows afterwards; a SQLite backup taken while a writer commits is one
consistent snapshot; and every refusal (a target that holds data or is in use, the other engine's
backup, a database that is not there) says why and leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from app.db.folding import fold
from app.demo_data import seed
from app.main import create_app
from app.services.context import AppContext
from tests.conftest import make_settings
from tests.databases import PostgresDatabases
from tests.helpers import create_article, register
from tests.ops.support import all_rows, run_script, said

on_sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def fresh_database_url(database_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, on the engine of ``database_url``, to restore into."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored' / 'conduit.sqlite3'}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    name = databases.create_empty()
    yield databases.url_for(name)
    databases.drop(name)


@pytest.fixture
async def seeded(context: AppContext) -> AppContext:
    """The running app's database, holding the demo data: users, articles, tags, comments, favorites
    and follows."""
    report = await seed(context, articles_per_user=2)
    assert report.created
    # Nothing left pending, so the background folder changes no row between backup and comparison.
    await fold(context.db.engine)
    return context


async def test_a_restored_backup_holds_exactly_the_same_rows(
    database_url: str, seeded: AppContext, fresh_database_url: str, tmp_path: Path
) -> None:
    backup_file = tmp_path / "conduit.backup"

    backed_up = await asyncio.to_thread(run_script, "backup", database_url, str(backup_file))
    restored = await asyncio.to_thread(run_script, "restore", str(backup_file), fresh_database_url)

    assert backed_up.returncode == 0, said(backed_up)
    assert restored.returncode == 0, said(restored)
    original = await asyncio.to_thread(all_rows, database_url)
    demo_tables = {"users", "follows", "articles", "tags", "article_tags", "favorites", "comments"}
    # Every table the schema has (the audit log, SQLite's full-text index tables) is compared below.
    assert set(original) >= demo_tables | {"alembic_version", "audit_entries"}
    assert all(original[table] for table in demo_tables), "the demo data fills every table"
    assert await asyncio.to_thread(all_rows, fresh_database_url) == original


async def test_the_restored_database_takes_new_rows(
    database_url: str, client: httpx.AsyncClient, fresh_database_url: str, tmp_path: Path
) -> None:
    author = await register(client, "jake")
    await create_article(client, author["token"], title="Before the backup", tags=["old"])
    backup_file = tmp_path / "conduit.backup"
    assert (await asyncio.to_thread(run_script, "backup", database_url, str(backup_file))).returncode == 0
    assert (
        await asyncio.to_thread(run_script, "restore", str(backup_file), fresh_database_url)
    ).returncode == 0

    restored_app = create_app(make_settings(fresh_database_url))
    async with LifespanManager(restored_app):
        transport = httpx.ASGITransport(app=restored_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as restored:
            newcomer = await register(restored, "ann")  # ids continue after the restored ones
            await create_article(restored, newcomer["token"], title="After the restore", tags=["old"])
            listed = (await restored.get("/api/articles")).json()

    assert [article["title"] for article in listed["articles"]] == ["After the restore", "Before the backup"]
    assert (await client.get("/api/tags")).json() == {"tags": ["old"]}


# --- SQLite specifics ---------------------------------------------------------------------------


def _write_linked_tags(path: Path, stop: threading.Event, written: list[int]) -> None:
    """Commits, until told to stop, transactions that each add a tag AND its link to article 1: in
    any consistent snapshot there are as many links as tags."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        while not stop.is_set():
            number = len(written)
            connection.execute("BEGIN IMMEDIATE")
            tag_id = connection.execute(
                "INSERT INTO tags (name, articles_count) VALUES (?, 1) RETURNING id", (f"tag-{number}",)
            ).fetchone()[0]
            connection.execute(
                "INSERT INTO article_tags (article_id, tag_id, article_created_at)"
                " SELECT id, ?, created_at FROM articles WHERE id = 1",
                (tag_id,),
            )
            connection.execute("COMMIT")
            written.append(number)
    finally:
        connection.close()


@on_sqlite_only
async def test_a_sqlite_backup_taken_while_a_writer_commits_is_one_consistent_snapshot(
    client: httpx.AsyncClient, sqlite_url: str, tmp_path: Path
) -> None:
    author = await register(client)
    await create_article(client, author["token"], title="Tagged all the time")
    database_file = Path(sqlite_url.split("///", 1)[1])
    stop, written = threading.Event(), []
    writer = threading.Thread(target=_write_linked_tags, args=(database_file, stop, written))
    writer.start()
    try:
        async with asyncio.timeout(60):
            while len(written) < 50:  # waiting for the writer thread to get going
                assert writer.is_alive(), "the writer failed"
                await asyncio.sleep(0.01)
        before = len(written)
        result = await asyncio.to_thread(run_script, "backup", sqlite_url, str(tmp_path / "live.sqlite3"))
        after = len(written)
    finally:
        stop.set()
        writer.join()

    assert result.returncode == 0, said(result)
    with sqlite3.connect(tmp_path / "live.sqlite3") as backup:
        tags = backup.execute("SELECT count(*) FROM tags").fetchone()[0]
        links = backup.execute("SELECT count(*) FROM article_tags").fetchone()[0]
        assert backup.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert backup.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert tags == links
    assert before <= tags <= after


@on_sqlite_only
async def test_the_backup_reads_database_url_from_the_environment(seeded: AppContext, tmp_path: Path) -> None:
    url = seeded.settings.database_url

    result = await asyncio.to_thread(run_script, "backup", str(tmp_path / "env.sqlite3"), DATABASE_URL=url)

    assert result.returncode == 0, said(result)
    copy = f"sqlite+aiosqlite:///{tmp_path / 'env.sqlite3'}"
    assert await asyncio.to_thread(all_rows, copy) == await asyncio.to_thread(all_rows, url)


def test_restoring_over_a_sqlite_database_in_use_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    backup_file = tmp_path / "conduit.backup"
    assert run_script("backup", sqlite_url, str(backup_file)).returncode == 0
    target = tmp_path / "target.sqlite3"
    with sqlite3.connect(target) as in_use:
        in_use.execute("CREATE TABLE kept (value TEXT)")
        in_use.execute("INSERT INTO kept VALUES ('still here')")

        result = run_script("restore", str(backup_file), f"sqlite+aiosqlite:///{target}", "--replace")

        assert result.returncode == 1
        assert f"restore: {target} is in use by " in said(result)
        assert "stop the app first" in said(result)
        assert in_use.execute("SELECT value FROM kept").fetchall() == [("still here",)]


def test_replace_overwrites_a_sqlite_database_that_nothing_uses(sqlite_url: str, tmp_path: Path) -> None:
    backup_file = tmp_path / "conduit.backup"
    assert run_script("backup", sqlite_url, str(backup_file)).returncode == 0
    target = tmp_path / "target.sqlite3"
    with sqlite3.connect(target) as old:
        old.execute("CREATE TABLE kept (value TEXT)")
    old.close()
    target_url = f"sqlite+aiosqlite:///{target}"

    refused = run_script("restore", str(backup_file), target_url)
    replaced = run_script("restore", str(backup_file), target_url, "--replace")

    assert refused.returncode == 1
    assert "already holds a database (1 tables); pass --replace to overwrite it" in said(refused)
    assert replaced.returncode == 0, said(replaced)
    assert all_rows(target_url) == all_rows(sqlite_url)
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "conduit.backup",
        "conduit.sqlite3",
        "target.sqlite3",
    ]


def test_backing_up_a_sqlite_file_that_is_not_there_creates_nothing(tmp_path: Path) -> None:
    result = run_script("backup", f"sqlite+aiosqlite:///{tmp_path / 'missing.sqlite3'}", str(tmp_path / "b"))

    assert result.returncode == 1
    assert said(result) == f"backup: {tmp_path / 'missing.sqlite3'} does not exist"
    assert list(tmp_path.iterdir()) == []


# --- PostgreSQL specifics -----------------------------------------------------------------------


def test_restoring_into_a_postgresql_database_that_holds_tables_is_refused(
    postgres_url: str, tmp_path: Path
) -> None:
    backup_file = tmp_path / "conduit.backup"
    assert run_script("backup", postgres_url, str(backup_file)).returncode == 0
    before = all_rows(postgres_url)

    result = run_script("restore", str(backup_file), postgres_url)

    assert result.returncode == 1
    tables = len(before)  # the schema's tables and alembic_version
    assert f"is not empty ({tables} tables): restore into a new, empty database (createdb NAME)" in said(
        result
    )
    assert all_rows(postgres_url) == before


def test_a_failed_postgresql_backup_leaves_no_file(
    postgres_databases: PostgresDatabases, tmp_path: Path
) -> None:
    missing = postgres_databases.url_for("no_such_database")

    result = run_script("backup", missing, str(tmp_path / "conduit.backup"))

    assert result.returncode == 1
    assert "pg_dump failed" in said(result)
    assert 'database "no_such_database" does not exist' in said(result)
    assert list(tmp_path.iterdir()) == []


def test_a_backup_is_refused_by_the_other_engine(
    sqlite_url: str, postgres_url: str, postgres_databases: PostgresDatabases, tmp_path: Path
) -> None:
    sqlite_backup, postgres_backup = tmp_path / "sqlite.backup", tmp_path / "postgres.backup"
    assert run_script("backup", sqlite_url, str(sqlite_backup)).returncode == 0
    assert run_script("backup", postgres_url, str(postgres_backup)).returncode == 0
    empty_postgres = postgres_databases.url_for(postgres_databases.create_empty())

    into_postgres = run_script("restore", str(sqlite_backup), empty_postgres)
    into_sqlite = run_script(
        "restore", str(postgres_backup), f"sqlite+aiosqlite:///{tmp_path / 'new.sqlite3'}"
    )

    assert into_postgres.returncode == into_sqlite.returncode == 1
    assert "is a SQLite backup; it cannot be restored into a postgresql database" in said(into_postgres)
    assert "is a PostgreSQL dump; it cannot be restored into a sqlite database" in said(into_sqlite)
    assert not (tmp_path / "new.sqlite3").exists()


def test_a_backup_is_private_and_a_replaced_database_keeps_its_mode(sqlite_url: str, tmp_path: Path) -> None:
    backup_file = tmp_path / "conduit.backup"
    target = tmp_path / "target.sqlite3"
    sqlite3.connect(target).close()
    target.chmod(0o640)

    backed_up = run_script("backup", sqlite_url, str(backup_file))
    restored = run_script("restore", str(backup_file), f"sqlite+aiosqlite:///{target}", "--replace")

    assert (backed_up.returncode, restored.returncode) == (0, 0), said(restored)
    assert backup_file.stat().st_mode & 0o777 == 0o600  # it holds password hashes
    assert target.stat().st_mode & 0o777 == 0o640
