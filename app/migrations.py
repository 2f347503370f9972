"""Running Alembic from code: the CLI's ``migrate`` and the tests use the same entry point."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.engine import create_engine
from app.db.errors import is_unavailable
from config import get_settings

ROOT = Path(__file__).resolve().parent.parent
# Between connection attempts while waiting: short at first, then at most this long.
WAIT_FIRST_DELAY_SECONDS, WAIT_MAX_DELAY_SECONDS = 0.25, 2.0


class DatabaseNotReady(Exception):
    """The database did not accept connections in time."""


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["configure_logger"] = False
    if database_url is not None:
        config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def check(database_url: str | None = None) -> None:
    """Raises if the models and the migrations have drifted apart."""
    command.check(alembic_config(database_url))


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revisions() -> frozenset[str]:
    """Every revision this code's migrations define (a database at any other is ahead of it)."""
    return frozenset(
        script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    )


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (``None`` if it was never migrated)."""

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)


def wait_for_database(
    database_url: str | None = None,
    *,
    timeout_seconds: float,
    on_retry: Callable[[BaseException], None] | None = None,
) -> None:
    """Return once the database accepts a connection and answers a query; raise ``DatabaseNotReady``
    after ``timeout_seconds`` of trying. Only "not there yet" failures are retried (refused or timed
    out connections, a server starting up or full); any other error (a wrong password, a database
    that does not exist) is raised at once, as waiting would not help."""
    settings = get_settings()
    url = database_url or settings.database_url
    deadline = time.monotonic() + timeout_seconds
    delay = WAIT_FIRST_DELAY_SECONDS
    while True:
        remaining = deadline - time.monotonic()
        attempt = settings.model_copy(
            update={"database_url": url, "db_connect_timeout_seconds": max(0.1, min(5.0, remaining))}
        )
        try:
            asyncio.run(_answer(create_engine(attempt)))
            return
        except Exception as error:
            if not is_unavailable(error):
                raise
            if time.monotonic() + delay > deadline:
                raise DatabaseNotReady(
                    f"the database did not accept connections within {timeout_seconds:g} s "
                    f"(last error: {describe_error(error)})"
                ) from error
            if on_retry is not None:
                on_retry(error)
            time.sleep(delay)
            delay = min(delay * 2, WAIT_MAX_DELAY_SECONDS)


async def _answer(engine: AsyncEngine) -> None:
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


def describe_error(error: BaseException) -> str:
    """One line naming the error, without SQLAlchemy's statement and background link: the driver's
    own error (``InvalidCatalogNameError: database "x" does not exist``), not its wrappers."""
    original: BaseException = getattr(error, "orig", None) or error
    while original.__cause__ is not None:
        original = original.__cause__
    message = str(original).strip().splitlines()[0] if str(original).strip() else ""
    return f"{type(original).__name__}: {message}" if message else type(original).__name__
