"""Alembic environment: async engine from the app's settings, one advisory lock on PostgreSQL."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import event, text
from sqlalchemy.engine import Connection

from app.db.engine import create_engine
from app.db.models import Base
from config import get_settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata

# Any constant works; it only has to be the same for every process that migrates this database.
MIGRATION_LOCK_KEY = 0x436F6E64756974  # "Conduit"


def _database_url() -> str:
    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or get_settings().database_url
    )


# Full-text search objects that migration 0004 makes outside the models, because neither engine's
# can be declared for both (see app/db/queries/search.py). Only these, and only as found in the
# database: SQLite's FTS5 table with its shadow tables; PostgreSQL's generated column and its index.
# (The response cache's sequence, migration 0005, needs no entry: autogenerate ignores sequences.)
SEARCH_OBJECTS = {
    ("table", "articles_fts"),
    ("table", "articles_fts_config"),
    ("table", "articles_fts_data"),
    ("table", "articles_fts_docsize"),
    ("table", "articles_fts_idx"),
    ("column", "search_vector"),
    ("index", "ix_articles_search_vector"),
}


def include_object(
    _object: object, name: str | None, type_: str, reflected: bool, compare_to: object | None
) -> bool:
    """Whether ``alembic check`` compares this object: everything but the search objects above."""
    return not (reflected and compare_to is None and (type_, name) in SEARCH_OBJECTS)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        compare_type=True,
        compare_server_default=True,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    )


def _run_migrations(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Concurrent `upgrade` runs (several app hosts starting at once) queue here; the
            # lock is released at commit, and the next runner then finds the schema at head.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            _check_foreign_keys(connection)


def _check_foreign_keys(connection: Connection) -> None:
    """Foreign keys are off while SQLite migrates (see ``_run_online``): before committing, every
    reference must still find its row, or nothing of the migration is kept."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"the migration left rows pointing nowhere (table, rowid, parent, fk): {broken}")


def _without_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite changes a table by copying it (Alembic's batch mode): with foreign keys on, dropping
    # the old copy would cascade-delete every row referring to it (a users rebuild would empty
    # articles, comments, follows...). The setting cannot change inside a transaction, so it is
    # made on connecting, after the engine's own settings; _check_foreign_keys runs before COMMIT.
    # This is SQLite's documented procedure for schema changes (lang_altertable.html#otheralter).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.close()


async def _run_online() -> None:
    settings = get_settings().model_copy(update={"database_url": _database_url(), "db_pool_size": 1})
    engine = create_engine(settings)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _without_foreign_keys)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
