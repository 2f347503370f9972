"""SQLite durability: every connection the app opens syncs each commit to disk before it is
acknowledged (``PRAGMA synchronous=FULL``; with WAL, NORMAL can lose the last acknowledged commits
on a power loss), unless ``SQLITE_SYNCHRONOUS=NORMAL`` relaxes it. Checked on the connections of
both read paths: the unit of work's sessions (reads and writes) and the direct reads
(``Database.rows``). PostgreSQL has no such setting (its ``synchronous_commit`` stays on)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Integer, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.services.context import AppContext
from tests.conftest import make_settings
from tests.helpers import app_context

SYNCHRONOUS = text("PRAGMA synchronous").columns(synchronous=Integer)
LEVELS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}  # what the pragma reads back as


async def _session_level(session: AsyncSession) -> str:
    return LEVELS[(await session.execute(SYNCHRONOUS)).scalar_one()]


async def _levels_on_every_path(context: AppContext) -> set[str]:
    """The level on the connections of each path, several connections at once (so more than one of
    the pool's connections is asked)."""
    reads = [context.db.read(_session_level) for _ in range(4)]
    direct = [context.db.rows(SYNCHRONOUS, {}) for _ in range(4)]
    session_levels = await asyncio.gather(*reads, context.db.write(_session_level))
    direct_rows = await asyncio.gather(*direct)
    return {*session_levels, *(LEVELS[rows[0]["synchronous"]] for rows in direct_rows)}


async def test_every_sqlite_connection_syncs_each_commit_by_default(sqlite_url: str) -> None:
    async with app_context(make_settings(sqlite_url)) as context:
        assert await _levels_on_every_path(context) == {"FULL"}


@pytest.mark.parametrize("value", ["NORMAL", "normal"])
async def test_sqlite_synchronous_normal_relaxes_it(sqlite_url: str, value: str) -> None:
    async with app_context(make_settings(sqlite_url, sqlite_synchronous=value)) as context:
        assert await _levels_on_every_path(context) == {"NORMAL"}
