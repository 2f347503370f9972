"""Bulk-loading a scale's rows into PostgreSQL (COPY) or SQLite (executemany), once per scale.

The schema is always the real one: the database is emptied, migrated with Alembic, then loaded.
A marker (dataset version, scale, seed, schema revision) is stored with the data; a database whose
marker matches is reused as it is. Writes made by a benchmark run are undone by :func:`restore`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path

import asyncpg
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from app import migrations
from app.bench.dataset import Dataset, TableRows
from app.bench.scales import DATASET_VERSION, RANDOM_SEED, WRITER_USER, Scale
from app.db.engine import create_engine
from app.events.postgres import asyncpg_dsn
from config import load_settings

CHUNK = 20_000
Progress = Callable[[str, int, int], None]  # (table, rows just written, rows in the table)


def marker(scale: Scale) -> str:
    schema = migrations.head_revision()
    return f"conduit-bench v{DATASET_VERSION} scale={scale.name} seed={RANDOM_SEED} schema={schema}"


def ensure_seeded(database_url: str, scale: Scale, progress: Progress, *, force: bool = False) -> bool:
    """Seed ``database_url`` (a dedicated database: it is emptied) unless it already holds this scale.
    Returns whether it seeded."""
    sqlite = database_url.startswith("sqlite")
    wanted = marker(scale)
    current = _sqlite_marker(database_url) if sqlite else asyncio.run(_postgres_marker(database_url))
    if current == wanted and not force:
        return False
    if sqlite:
        _sqlite_wipe(database_url)
    else:
        asyncio.run(_postgres_wipe(database_url))
    migrations.upgrade(database_url)
    dataset = Dataset(scale)
    if sqlite:
        _sqlite_load(database_url, dataset, progress)
        _sqlite_marker_path(database_url).write_text(wanted)
    else:
        asyncio.run(_postgres_load(database_url, dataset, progress, wanted))
    return True


def restore(database_url: str) -> None:
    """Undo the benchmark writer's comments and favorites, counters included."""
    asyncio.run(_restore(database_url))


async def _restore(database_url: str) -> None:
    engine = create_engine(load_settings(database_url=database_url))
    writer = {"writer": WRITER_USER}
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "UPDATE articles SET favorites_count = favorites_count - 1 "
                    "WHERE id IN (SELECT article_id FROM favorites WHERE user_id = :writer)"
                ),
                writer,
            )
            await connection.execute(text("DELETE FROM favorites WHERE user_id = :writer"), writer)
            await connection.execute(text("DELETE FROM comments WHERE author_id = :writer"), writer)
            columns = await connection.run_sync(
                lambda sync: {column["name"] for column in inspect(sync).get_columns("users")}
            )
            if "favorites_count" in columns:
                await connection.execute(
                    text("UPDATE users SET favorites_count = 0 WHERE id = :writer"), writer
                )
    finally:
        await engine.dispose()


def _chunks(rows: Iterator[tuple[object, ...]], size: int = CHUNK) -> Iterator[list[tuple[object, ...]]]:
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


def _projected(table: TableRows, existing: list[str]) -> tuple[list[str], Callable[..., tuple[object, ...]]]:
    """The generated columns the database has, and a function picking them out of a row."""
    kept = [index for index, name in enumerate(table.columns) if name in existing]
    names = [table.columns[index] for index in kept]
    if len(kept) == len(table.columns):
        return names, lambda row: row
    if len(kept) == 1:
        return names, lambda row: (row[kept[0]],)
    return names, itemgetter(*kept)


# --- PostgreSQL -----------------------------------------------------------------------------------


async def _postgres_marker(database_url: str) -> str | None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        value: str | None = await connection.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"
        )
        return value
    finally:
        await connection.close()


async def _postgres_wipe(database_url: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        database = make_url(database_url).database
        await connection.execute(f'COMMENT ON DATABASE "{database}" IS NULL')
    finally:
        await connection.close()


async def _postgres_load(database_url: str, dataset: Dataset, progress: Progress, wanted: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        # Foreign keys are right by construction; skipping their per-row triggers halves the load
        # time. Needs a superuser (the benchmark's own cluster); elsewhere they just stay on.
        with contextlib.suppress(asyncpg.PostgresError):
            await connection.execute("SET session_replication_role = replica")
        for table in dataset.tables():
            existing = [
                row["column_name"]
                for row in await connection.fetch(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND table_name = $1",
                    table.table,
                )
            ]
            if not existing:  # a table this schema does not have yet
                progress(table.table, table.count, table.count)
                continue
            columns, pick = _projected(table, existing)
            await connection.execute(f"DELETE FROM {table.table}")  # rows the migrations made (counters)
            for chunk in _chunks(table.rows()):
                await connection.copy_records_to_table(
                    table.table, records=[pick(row) for row in chunk], columns=columns
                )
                progress(table.table, len(chunk), table.count)
            sequence = "id" in columns and await connection.fetchval(
                "SELECT pg_get_serial_sequence($1, 'id')", table.table
            )
            if sequence:  # an identity (not the sessions' random text ids)
                await connection.execute(
                    f"SELECT setval('{sequence}', (SELECT coalesce(max(id), 1) FROM {table.table}))"
                )
        await connection.execute("VACUUM ANALYZE")
        database = make_url(database_url).database
        await connection.execute(f"COMMENT ON DATABASE \"{database}\" IS '{wanted}'")
    finally:
        await connection.close()


# --- SQLite ---------------------------------------------------------------------------------------


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    assert database, "the SQLite benchmark needs a database file"
    return Path(database)


def _sqlite_marker_path(database_url: str) -> Path:
    path = _sqlite_path(database_url)
    return path.with_name(path.name + ".seed")


def _sqlite_marker(database_url: str) -> str | None:
    marker_path = _sqlite_marker_path(database_url)
    if not _sqlite_path(database_url).exists() or not marker_path.exists():
        return None
    return marker_path.read_text()


def _sqlite_wipe(database_url: str) -> None:
    path = _sqlite_path(database_url)
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    _sqlite_marker_path(database_url).unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)


def _sqlite_value(value: object) -> object:
    # How SQLAlchemy stores a (UTC, naive) DateTime in SQLite.
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _sqlite_load(database_url: str, dataset: Dataset, progress: Progress) -> None:
    connection = sqlite3.connect(_sqlite_path(database_url), isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA foreign_keys=OFF")
        for table in dataset.tables():
            existing = [row[1] for row in connection.execute(f"PRAGMA table_info({table.table})")]
            if not existing:
                progress(table.table, table.count, table.count)
                continue
            columns, pick = _projected(table, existing)
            statement = (
                f"INSERT INTO {table.table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            )
            connection.execute("BEGIN")
            connection.execute(f"DELETE FROM {table.table}")  # rows the migrations made (counters)
            for chunk in _chunks(table.rows()):
                connection.executemany(
                    statement, [tuple(_sqlite_value(value) for value in pick(row)) for row in chunk]
                )
                progress(table.table, len(chunk), table.count)
            connection.execute("COMMIT")
        connection.execute("ANALYZE")
    finally:
        connection.close()
