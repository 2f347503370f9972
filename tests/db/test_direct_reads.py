"""Single-statement reads (``Database.rows``, app/db/direct.py): the same rows on both engines, and on
PostgreSQL, where they run straight on the driver, the same error meanings as the unit of work: a
timeout is "unavailable", and a connection the server dropped is replaced and the read re-run."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import bindparam, exc, func, select, text
from sqlalchemy.types import Integer

from app.db.errors import is_unavailable, sqlstate
from app.services.context import AppContext
from tests.conftest import make_settings
from tests.faults.database import connected
from tests.helpers import app_context

NUMBERS = text("SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3").columns(n=Integer).subquery("numbers")
AT_LEAST = select(NUMBERS.c.n).where(NUMBERS.c.n >= bindparam("least")).order_by(NUMBERS.c.n)
BACKEND = select(func.pg_backend_pid().label("pid"))


async def test_rows_are_mappings_by_column_name_on_both_engines(context: AppContext) -> None:
    rows = await context.db.rows(AT_LEAST, {"least": 2})

    assert [row["n"] for row in rows] == [2, 3]
    assert [dict(row) for row in await context.db.rows(AT_LEAST, {"least": 3})] == [{"n": 3}]


async def test_a_statement_built_for_one_call_runs_too(context: AppContext) -> None:
    statement = select(NUMBERS.c.n).where(NUMBERS.c.n == 1)

    assert [row["n"] for row in await context.db.rows(statement, {}, reused=False)] == [1]


async def test_a_statement_whose_sql_depends_on_its_parameters_is_refused_on_postgresql(
    postgres_url: str,
) -> None:
    expanding = select(NUMBERS.c.n).where(NUMBERS.c.n.in_(bindparam("some", expanding=True)))

    async with app_context(make_settings(postgres_url)) as context:
        with pytest.raises(ValueError, match="cannot be compiled once"):
            await context.db.rows(expanding, {"some": [1, 2]})
        # Built for one call, it goes through SQLAlchemy, which expands the list.
        assert [row["n"] for row in await context.db.rows(expanding, {"some": [1, 2]}, reused=False)] == [
            1,
            2,
        ]


async def test_a_statement_over_the_timeout_is_a_database_error_meaning_unavailable(
    postgres_url: str,
) -> None:
    sleep = select(func.pg_sleep(0.5).label("slept"))

    async with app_context(make_settings(postgres_url, db_statement_timeout_ms=50)) as context:
        with pytest.raises(exc.DBAPIError) as raised:
            await context.db.rows(sleep, {})
        assert sqlstate(raised.value) == "57014"
        assert is_unavailable(raised.value)
        assert [row["n"] for row in await context.db.rows(AT_LEAST, {"least": 3})] == [
            3
        ]  # and the pool serves on


async def test_a_read_on_a_connection_the_server_dropped_is_run_again_on_a_new_one(postgres_url: str) -> None:
    async with app_context(make_settings(postgres_url, db_pool_size=1, db_max_overflow=0)) as context:
        [before] = await context.db.rows(BACKEND, {})
        async with connected(postgres_url) as admin:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", before["pid"]) is True

        [after] = await context.db.rows(BACKEND, {})
        [again] = await context.db.rows(BACKEND, {})

    assert after["pid"] != before["pid"]
    assert again["pid"] == after["pid"]  # the new connection is pooled and used from then on


async def test_sqlalchemy_error_meanings_hold_for_a_query_error(postgres_url: str) -> None:
    failing: Any = select(text("1 / 0 AS never"))

    async with app_context(make_settings(postgres_url)) as context:
        with pytest.raises(exc.DBAPIError) as raised:
            await context.db.rows(failing, {})

    assert sqlstate(raised.value) == "22012"  # division_by_zero: a plain error, not "unavailable"
    assert not is_unavailable(raised.value)
