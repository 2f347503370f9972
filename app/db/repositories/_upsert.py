"""INSERT ... ON CONFLICT DO NOTHING for both engines: the race-free way to create unique rows."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from app.db.models import Base


def insert_or_ignore(session: AsyncSession, model: type[Base]) -> Insert:
    """An insert into ``model``'s table that skips rows clashing with any unique constraint."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(model).on_conflict_do_nothing()
    raise NotImplementedError(dialect)  # pragma: no cover - only the two supported engines exist
