"""Building the async engine from settings, with each engine's session-level safety settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from config import Settings

# Execution option a write transaction sets so that SQLite takes the write lock up front
# (BEGIN IMMEDIATE) instead of failing with "database is locked" when it upgrades a read lock.
SQLITE_BEGIN_IMMEDIATE = "conduit_sqlite_begin_immediate"


def create_engine(settings: Settings) -> AsyncEngine:
    """The engine for ``settings.database_url``, pooled and configured from settings."""
    if settings.is_sqlite:
        return _create_sqlite_engine(settings)
    return _create_postgresql_engine(settings)


def _pool_options(settings: Settings) -> dict[str, Any]:
    return {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout_seconds,
        "pool_recycle": settings.db_pool_recycle_seconds,
        "pool_pre_ping": settings.db_pool_pre_ping,
    }


def _create_postgresql_engine(settings: Settings) -> AsyncEngine:
    server_settings = {
        "application_name": "conduit",
        "statement_timeout": str(settings.db_statement_timeout_ms),
        "idle_in_transaction_session_timeout": str(settings.db_idle_in_transaction_timeout_ms),
    }
    engine = create_async_engine(
        settings.database_url,
        echo=settings.db_echo,
        hide_parameters=True,  # statement parameters (password hashes, emails) never reach error logs
        connect_args={"server_settings": server_settings, "timeout": settings.db_connect_timeout_seconds},
        **_pool_options(settings),
    )

    @event.listens_for(engine.sync_engine, "checkout")
    def _discard_closed(_dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        # Free liveness check: asyncpg notices when the server closed the socket (a restart, an
        # idle timeout), so such a connection is replaced without the round trips of a pre-ping
        # (three on asyncpg: BEGIN, ";", ROLLBACK).
        if record.driver_connection is not None and record.driver_connection.is_closed():
            raise exc.DisconnectionError("connection closed by the server")

    return engine


def _create_sqlite_engine(settings: Settings) -> AsyncEngine:
    url = make_url(settings.database_url)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        echo=settings.db_echo,
        hide_parameters=True,  # statement parameters (password hashes, emails) never reach error logs
        connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000},
        **_pool_options(settings),
    )
    busy_timeout_ms = settings.sqlite_busy_timeout_ms
    synchronous = settings.sqlite_synchronous.value  # FULL unless relaxed: see config/settings.py

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(SQLITE_BEGIN_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
