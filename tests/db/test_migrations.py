"""Alembic migrations on both engines, starting from EMPTY databases (not the test template):
``upgrade head`` builds the schema, ``alembic check`` finds no drift from the models, downgrading to
base and upgrading again gives the same schema, concurrent upgrades on PostgreSQL are serialised
by the advisory lock in ``migrations/env.py``, and every row and value written at the previous head
is still there after upgrading to head.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, DateTime, bindparam, inspect, make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.elements import TextClause

from app import migrations
from app.db.database import Database
from app.db.queries import article_lists
from app.db.queries.article_lists import ArticleFilter
from app.markdown import render_markdown
from tests.databases import ROOT, PostgresDatabases

APP_TABLES = {
    "users",
    "follows",
    "articles",
    "tags",
    "article_tags",
    "favorites",
    "comments",
    "audit_entries",
    "counters",
    "count_deltas",
    "sessions",
}
# SQLite's full-text index (migration 0004) is an FTS5 table, which keeps its data in tables of its own.
SEARCH_TABLES = {
    "sqlite": {
        "articles_fts",
        "articles_fts_config",
        "articles_fts_data",
        "articles_fts_docsize",
        "articles_fts_idx",
    },
    "postgresql": set(),
}
SCRIPTS = ScriptDirectory.from_config(migrations.alembic_config())
HEAD = SCRIPTS.get_current_head()
# The revision the full-text search migration builds on.
BEFORE_SEARCH = SCRIPTS.get_revision("0004").down_revision

# Autogenerate cannot reflect expression indexes on SQLite and says so; the lower(username) index is
# checked directly instead (test_sqlite_has_a_unique_index_on_lower_username).
pytestmark = [
    pytest.mark.filterwarnings(
        "ignore:Skipped unsupported reflection of expression-based index:sqlalchemy.exc.SAWarning"
    ),
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index"),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, on each engine in turn."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    name = databases.create_empty()
    yield databases.url_for(name)
    databases.drop(name)


@pytest.fixture
def empty_postgres_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    name = postgres_databases.create_empty()
    yield postgres_databases.url_for(name)
    postgres_databases.drop(name)


def _run(url: str, inspect_sync: Any) -> Any:
    """Runs ``inspect_sync(connection)`` on a throwaway connection to ``url``."""

    async def run() -> Any:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(inspect_sync)
        finally:
            await engine.dispose()

    return asyncio.run(run())


# Index definitions as the server has them: SQLAlchemy cannot reflect expression indexes on SQLite.
_INDEX_DEFINITIONS = {
    "postgresql": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "sqlite": "SELECT name, sql FROM sqlite_master WHERE type = 'index'",
}


def _describe(connection: Connection) -> dict[str, Any]:
    """Tables with their columns, keys and constraints, and every index, in a comparable form."""
    inspector = inspect(connection)
    indexes = connection.execute(text(_INDEX_DEFINITIONS[connection.dialect.name])).all()
    return {"indexes": sorted(tuple(row) for row in indexes)} | {
        table: {
            "columns": [
                (column["name"], str(column["type"]), column["nullable"], column.get("default"))
                for column in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign_keys": sorted(
                (str(fk["name"]), tuple(fk["constrained_columns"]), fk["referred_table"])
                for fk in inspector.get_foreign_keys(table)
            ),
            "unique": sorted(str(unique["name"]) for unique in inspector.get_unique_constraints(table)),
            "checks": sorted(str(check["name"]) for check in inspector.get_check_constraints(table)),
        }
        for table in inspector.get_table_names()
    }


def _app_tables(url: str) -> set[str]:
    return APP_TABLES | SEARCH_TABLES[make_url(url).get_backend_name()]


def _tables(url: str) -> set[str]:
    return set(_run(url, lambda connection: inspect(connection).get_table_names()))


def _versions(url: str) -> list[str]:
    return list(
        _run(
            url, lambda connection: connection.scalars(text("SELECT version_num FROM alembic_version")).all()
        )
    )


# --- upgrade, check, downgrade on both engines ----------------------------------------------------


def test_upgrade_head_builds_the_schema_on_an_empty_database(empty_database_url: str) -> None:
    assert _tables(empty_database_url) == set()

    migrations.upgrade(empty_database_url)

    assert _tables(empty_database_url) == _app_tables(empty_database_url) | {"alembic_version"}
    assert _versions(empty_database_url) == [HEAD]


def test_the_migrated_schema_matches_the_models(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url)

    migrations.check(empty_database_url)  # raises AutogenerateDiffsDetected on drift


def test_check_refuses_a_database_that_is_not_at_head(empty_database_url: str) -> None:
    with pytest.raises(CommandError, match="not up to date"):
        migrations.check(empty_database_url)


def test_downgrade_to_base_removes_every_table(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url)

    migrations.downgrade(empty_database_url, "base")

    assert _tables(empty_database_url) == {"alembic_version"}
    assert _versions(empty_database_url) == []


def test_upgrade_after_downgrade_rebuilds_the_same_schema(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url)
    before = _run(empty_database_url, _describe)

    migrations.downgrade(empty_database_url, "base")
    migrations.upgrade(empty_database_url)

    assert _run(empty_database_url, _describe) == before
    assert _versions(empty_database_url) == [HEAD]
    migrations.check(empty_database_url)


def test_upgrading_a_database_at_head_changes_nothing(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url)
    before = _run(empty_database_url, _describe)

    migrations.upgrade(empty_database_url)

    assert _run(empty_database_url, _describe) == before
    assert _versions(empty_database_url) == [HEAD]


# --- the full-text search migration (0004) ----------------------------------------------------------

# Two articles of one author, one with two tags, plus a favorite and a comment.
ARTICLES_AT_0001 = [
    "INSERT INTO users (id, username, email, password_hash, token_version, created_at, updated_at)"
    " VALUES (1, 'writer', 'writer@example.com', 'x', 0, '2026-01-01', '2026-01-01')",
    "INSERT INTO articles (id, slug, title, description, body, author_id, favorites_count, created_at,"
    " updated_at) VALUES (1, 'dragons', 'Dragons', 'Beasts', 'Fire', 1, 1, '2026-01-02', '2026-01-02'),"
    " (2, 'gardens', 'Gardens', 'Plants', 'Soil', 1, 0, '2026-01-03', '2026-01-03')",
    "INSERT INTO tags (id, name, articles_count) VALUES (1, 'myth', 1), (2, 'zoology', 1)",
    "INSERT INTO article_tags (article_id, tag_id) VALUES (1, 1), (1, 2)",
    "INSERT INTO favorites (user_id, article_id, created_at) VALUES (1, 1, '2026-01-04')",
    "INSERT INTO comments (id, article_id, author_id, body, created_at, updated_at)"
    " VALUES (1, 1, 1, 'Nice', '2026-01-04', '2026-01-04')",
]
ROW_COUNTS = text(
    "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM article_tags),"
    " (SELECT count(*) FROM favorites), (SELECT count(*) FROM comments)"
)


def _execute(url: str, *statements: str) -> None:
    async def run() -> None:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.begin() as connection:
                for statement in statements:
                    await connection.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(run())


def _search_titles(url: str, search: str) -> list[str]:
    async def run() -> list[str]:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            page, _ = await article_lists.list_page(
                Database(engine), ArticleFilter(search=search), viewer=None, limit=10, offset=0
            )
            return [article.title for article in page.articles]
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_upgrading_to_search_indexes_the_existing_articles_and_their_tags(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url, "0001")
    _execute(empty_database_url, *ARTICLES_AT_0001)

    migrations.upgrade(empty_database_url)

    assert _search_titles(empty_database_url, "dragon") == ["Dragons"]
    assert _search_titles(empty_database_url, "zoology myth") == ["Dragons"]
    assert _search_titles(empty_database_url, "soil") == ["Gardens"]


def test_downgrading_the_search_keeps_every_article_tag_favorite_and_comment(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url, "0001")
    _execute(empty_database_url, *ARTICLES_AT_0001)
    migrations.upgrade(empty_database_url)

    migrations.downgrade(empty_database_url, BEFORE_SEARCH)

    counts = _run(empty_database_url, lambda connection: tuple(connection.execute(ROW_COUNTS).one()))
    assert counts == (2, 2, 1, 1)
    # count_deltas (0006) and sessions (0007) come after the search, so they went on the way down.
    assert _tables(empty_database_url) == (APP_TABLES - {"count_deltas", "sessions"}) | {"alembic_version"}


# --- the case-insensitive username index ----------------------------------------------------------


# DECISIONS: Usernames are unique case-insensitively.
def test_postgresql_has_a_unique_index_on_lower_username(empty_postgres_url: str) -> None:
    migrations.upgrade(empty_postgres_url)

    definitions = _run(
        empty_postgres_url,
        lambda connection: connection.scalars(
            text("SELECT indexdef FROM pg_indexes WHERE tablename = 'users' AND indexname = :name"),
            {"name": "uq_users_username_lower"},
        ).all(),
    )

    assert definitions == [
        "CREATE UNIQUE INDEX uq_users_username_lower ON public.users USING btree (lower((username)::text))"
    ]


# DECISIONS: Usernames are unique case-insensitively.
def test_sqlite_has_a_unique_index_on_lower_username(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'conduit.sqlite3'}"
    migrations.upgrade(url)

    definitions = _run(
        url,
        lambda connection: connection.scalars(
            text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"),
            {"name": "uq_users_username_lower"},
        ).all(),
    )

    assert definitions == ["CREATE UNIQUE INDEX uq_users_username_lower ON users (lower(username))"]


# --- concurrent upgrades --------------------------------------------------------------------------


# The key migrations/env.py locks; holding it here makes the three runs queue up behind us.
MIGRATION_LOCK_KEY = 0x436F6E64756974
LOCK_WAITERS = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


async def _wait_for_lock_waiters(connection: AsyncConnection, expected: int) -> None:
    """Polls until ``expected`` sessions wait on an advisory lock (there is no event to await)."""
    while await connection.scalar(LOCK_WAITERS) != expected:  # noqa: ASYNC110 - polling the server
        await asyncio.sleep(0.05)


async def test_concurrent_upgrades_of_an_empty_postgresql_database_all_succeed_once(
    empty_postgres_url: str,
) -> None:
    environment = {**os.environ, "APP_ENV": "test", "DATABASE_URL": empty_postgres_url}
    engine = create_async_engine(empty_postgres_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    processes: list[asyncio.subprocess.Process] = []
    try:
        async with engine.connect() as holder:
            await holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            for _ in range(3):
                processes.append(
                    await asyncio.create_subprocess_exec(
                        str(ROOT / ".venv" / "bin" / "python"),
                        *("-m", "app", "migrate"),
                        cwd=ROOT,
                        env=environment,
                        stdout=asyncio.subprocess.PIPE,
                        stderr=asyncio.subprocess.PIPE,
                    )
                )
            # Once all three wait on the lock, they are inside `upgrade` at the same moment.
            async with asyncio.timeout(60):  # on timeout: the runs did not queue on the lock
                await _wait_for_lock_waiters(holder, 3)
            await holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            outputs = await asyncio.gather(*(process.communicate() for process in processes))
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await engine.dispose()

    assert [process.returncode for process in processes] == [0, 0, 0], outputs
    assert await asyncio.to_thread(_tables, empty_postgres_url) == APP_TABLES | {"alembic_version"}
    assert await asyncio.to_thread(_versions, empty_postgres_url) == [HEAD]
    await asyncio.to_thread(migrations.check, empty_postgres_url)


# --- data written at the previous head survives the upgrade ---------------------------------------

_SCRIPTS = ScriptDirectory.from_config(migrations.alembic_config())
# The schema head of the last release, which production databases are at: this release's migrations
# (0002 counters, 0003 moderation, 0004 search) run over its data. Move it forward at each release,
# and the rows below with it.
PREVIOUS_HEAD = "0001"

NOON = datetime(2026, 11, 26, 12, 0, 0, 123000, tzinfo=UTC)
LATER = datetime(2026, 11, 27, 8, 30, 0, 0, tzinfo=UTC)
# Rows as the schema at PREVIOUS_HEAD takes them, written with plain SQL (the models may have moved
# on). When a migration changes one of these tables, update the rows to the previous schema.
ROWS: dict[str, list[dict[str, Any]]] = {
    "users": [
        {
            "id": 1,
            "username": "Jake",
            "email": "jake@example.com",
            "password_hash": "$argon2id$v=19$jake",
            "bio": "I work at statefarm",
            "image": "https://example.com/jake.png",
            "token_version": 2,
            "created_at": NOON,
            "updated_at": LATER,
        },
        {
            "id": 2,
            "username": "ann.ünïcode",
            "email": "ann@example.com",
            "password_hash": "$argon2id$v=19$ann",
            "bio": None,
            "image": None,
            "token_version": 0,
            "created_at": NOON,
            "updated_at": NOON,
        },
    ],
    "follows": [{"follower_id": 1, "followee_id": 2, "created_at": LATER}],
    "articles": [
        {
            "id": 1,
            "slug": "how-to-train-your-dragon",
            "title": "How to train your dragon",
            "description": "Ever wonder how?",
            "body": "# Dragons\n\nYou have to *believe* — 🐉",
            "author_id": 1,
            "favorites_count": 1,
            "created_at": NOON,
            "updated_at": LATER,
        },
        {
            "id": 2,
            "slug": "caves-x7k2",
            "title": "Caves",
            "description": "",
            "body": "Dark.",
            "author_id": 2,
            "favorites_count": 0,
            "created_at": LATER,
            "updated_at": LATER,
        },
    ],
    "tags": [
        {"id": 1, "name": "dragons", "articles_count": 2},
        {"id": 2, "name": "training", "articles_count": 1},
    ],
    "article_tags": [
        {"article_id": 1, "tag_id": 1},
        {"article_id": 1, "tag_id": 2},
        {"article_id": 2, "tag_id": 1},
    ],
    "favorites": [{"user_id": 2, "article_id": 1, "created_at": LATER}],
    "comments": [
        {
            "id": 1,
            "article_id": 1,
            "author_id": 2,
            "body": "Great read!",
            "created_at": LATER,
            "updated_at": LATER,
        },
        {
            "id": 2,
            "article_id": 2,
            "author_id": 1,
            "body": "Me too",
            "created_at": LATER,
            "updated_at": LATER,
        },
    ],
}
TIMESTAMP = DateTime(timezone=True)


def _typed(statement: TextClause, columns: list[str]) -> TextClause:
    """Timestamps bound and read as such (naive UTC text on SQLite, timestamptz on PostgreSQL)."""
    return statement.bindparams(
        *(bindparam(name, type_=TIMESTAMP) for name in columns if name.endswith("_at"))
    )


def _write_rows(connection: Connection) -> None:
    for table, rows in ROWS.items():  # in foreign-key order
        columns = list(rows[0])
        values = ", ".join(f":{name}" for name in columns)
        statement = text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values})")
        connection.execute(_typed(statement, columns), rows)
    connection.commit()


# Columns a later migration dropped, with what they meant: token_version (0007; sessions revoke tokens now).
DROPPED = {"users": {"token_version"}}


def _kept(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The rows as the head's schema has them: without the dropped columns."""
    return {
        table: [
            {name: value for name, value in row.items() if name not in DROPPED.get(table, set())}
            for row in found
        ]
        for table, found in rows.items()
    }


def _read_rows(connection: Connection) -> dict[str, list[dict[str, Any]]]:
    found = {}
    for table, rows in _kept(ROWS).items():
        columns = list(rows[0])
        statement = text(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(columns[:2])}")
        result = connection.execute(
            statement.columns(**{name: TIMESTAMP for name in columns if name.endswith("_at")})
        )
        found[table] = [
            {
                name: value.replace(tzinfo=UTC)
                if isinstance(value, datetime) and value.tzinfo is None
                else value
                for name, value in row.items()
            }
            for row in result.mappings()
        ]
    return found


def test_data_written_at_the_previous_head_is_all_there_after_upgrading(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url, PREVIOUS_HEAD)
    _run(empty_database_url, _write_rows)

    migrations.upgrade(empty_database_url)

    assert _versions(empty_database_url) == [HEAD]
    assert _run(empty_database_url, _read_rows) == _kept(ROWS)
    assert _run(empty_database_url, _read_backfills) == BACKFILLED


# What the upgrade derived from those rows: the list counters (0002), the rows' visibility (0003).
BACKFILLS = text(
    "SELECT (SELECT value FROM counters WHERE name = 'articles'),"
    " (SELECT articles_count FROM users WHERE id = 1), (SELECT favorites_count FROM users WHERE id = 2),"
    " (SELECT count(*) FROM article_tags JOIN articles ON articles.id = article_tags.article_id"
    "  WHERE article_tags.article_created_at = articles.created_at),"
    " (SELECT count(*) FROM articles WHERE hidden_at IS NULL),"
    " (SELECT count(*) FROM users WHERE is_active AND NOT is_staff)"
)
BACKFILLED = (2, 1, 1, 3, 2, 2)


def _read_backfills(connection: Connection) -> tuple[Any, ...]:
    return tuple(connection.execute(BACKFILLS).one())


# --- counter deltas (0006) ----------------------------------------------------------------------

# At 0001's rows and 0006's schema: bases as the upgrade derived them, and changes still pending
# (a second favorite of "dragons", by a second user, and "gardens" tagged "myth").
PENDING_AT_0006 = [
    "INSERT INTO users (id, username, email, password_hash, token_version, created_at, updated_at)"
    " VALUES (2, 'reader', 'reader@example.com', 'x', 0, '2026-01-01', '2026-01-01')",
    "INSERT INTO favorites (user_id, article_id, created_at, article_created_at)"
    " VALUES (2, 1, '2026-01-05', '2026-01-02')",
    "INSERT INTO article_tags (article_id, tag_id, article_created_at) VALUES (2, 1, '2026-01-03')",
    "INSERT INTO articles (id, slug, title, description, body, author_id, created_at, updated_at)"
    " VALUES (3, 'rivers', 'Rivers', 'Water', 'Flow', 2, '2026-01-06', '2026-01-06')",
    "INSERT INTO count_deltas (kind, target_id, delta) VALUES ('article_favorites', 1, 1),"
    " ('user_favorites', 2, 1), ('tag_articles', 1, 1), ('articles', 0, 1), ('user_articles', 2, 1),"
    " ('article_favorites', 2, 1), ('article_favorites', 2, -1)",
]
COUNTERS = text(
    "SELECT (SELECT value FROM counters WHERE name = 'articles'),"
    " (SELECT articles_count FROM users WHERE id = 2), (SELECT favorites_count FROM users WHERE id = 2),"
    " (SELECT articles_count FROM tags WHERE id = 1), (SELECT favorites_count FROM articles WHERE id = 1),"
    " (SELECT favorites_count FROM articles WHERE id = 2)"
)


def test_downgrading_the_counter_deltas_folds_them_into_the_counters_first(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url, "0001")
    _execute(empty_database_url, *ARTICLES_AT_0001)
    migrations.upgrade(empty_database_url, "0006")
    _execute(empty_database_url, *PENDING_AT_0006)

    migrations.downgrade(empty_database_url, "0005")

    assert _run(empty_database_url, lambda connection: tuple(connection.execute(COUNTERS).one())) == (
        3,  # two articles counted by 0002, one pending
        1,
        1,
        2,  # "myth" on dragons (0002) and on gardens (pending)
        2,
        0,  # +1 -1
    )
    assert "count_deltas" not in _tables(empty_database_url)


# --- sessions, and ids never reused (0007) ----------------------------------------------------------

BEFORE_SESSIONS = SCRIPTS.get_revision("0007").down_revision
NEVER_REUSED = ("users", "articles", "comments")
A_SESSION = (
    "INSERT INTO sessions (id, user_id, created_at, last_used_at, user_agent, client_address)"
    " VALUES ('s1', 1, '2026-12-01', '2026-12-01', 'agent', '127.0.0.1')"
)
OWNED_ROWS = text(
    "SELECT (SELECT count(*) FROM follows), (SELECT count(*) FROM articles), (SELECT count(*) FROM comments),"
    " (SELECT count(*) FROM favorites), (SELECT count(*) FROM article_tags)"
)


def _autoincrement_tables(connection: Connection) -> set[str]:
    rows = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all()
    return {name for name, sql in rows if "AUTOINCREMENT" in sql}


def _owned_rows_after_deleting_user(url: str, user_id: int) -> tuple[int, ...]:
    """Deletes a user with foreign keys enforced, as the app has them; what is left of what they owned."""
    _execute(
        url,
        *(["PRAGMA foreign_keys=ON"] if url.startswith("sqlite") else []),
        f"DELETE FROM users WHERE id = {user_id}",
    )
    return tuple(_run(url, lambda connection: tuple(connection.execute(OWNED_ROWS).one())))


def test_the_sessions_migration_keeps_every_row_and_reference_up_and_down(empty_database_url: str) -> None:
    url = empty_database_url
    migrations.upgrade(url, PREVIOUS_HEAD)
    _run(url, _write_rows)
    migrations.upgrade(url, BEFORE_SESSIONS)

    migrations.upgrade(url)
    assert _run(url, _read_rows) == _kept(ROWS)
    assert _run(url, _read_backfills) == BACKFILLED
    assert _search_titles(url, "believe") == ["How to train your dragon"]  # the search index kept
    if url.startswith("sqlite"):
        assert _run(url, _autoincrement_tables) >= set(NEVER_REUSED)
    _execute(url, A_SESSION)

    migrations.downgrade(url, BEFORE_SESSIONS)
    assert _run(url, _read_rows) == _kept(ROWS)
    assert "sessions" not in _tables(url)
    versions = _run(
        url, lambda connection: connection.execute(text("SELECT token_version FROM users")).scalars().all()
    )
    assert versions == [0, 0]  # every token from before had to sign in again anyway
    if url.startswith("sqlite"):
        assert _run(url, _autoincrement_tables).isdisjoint(NEVER_REUSED)

    migrations.upgrade(url)
    migrations.check(url)
    assert _run(url, _read_rows) == _kept(ROWS)
    _execute(url, "UPDATE articles SET title = 'Volcanoes' WHERE id = 2")
    assert _search_titles(url, "volcano") == ["Volcanoes"]  # 0004's triggers survived both copies
    # The foreign keys survived both copies: a user's follows, articles (with their tags, favorites
    # and comments) and comments go with them. ann (2) is followed by jake (1), wrote "caves" (1 tag,
    # jake's comment), commented on and favorited jake's article (2 tags).
    assert _owned_rows_after_deleting_user(url, 2) == (0, 1, 0, 0, 2)
    assert _owned_rows_after_deleting_user(url, 1) == (0, 0, 0, 0, 0)


def test_sqlite_never_hands_out_a_deleted_users_id_again_after_the_migration(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ids.sqlite3'}"
    migrations.upgrade(url, PREVIOUS_HEAD)
    _run(url, _write_rows)
    migrations.upgrade(url)
    _execute(
        url,
        "DELETE FROM sessions",
        "DELETE FROM comments",
        "DELETE FROM favorites",
        "DELETE FROM follows",
        "DELETE FROM article_tags",
        "DELETE FROM articles",
        "DELETE FROM users WHERE id = 2",
    )

    _execute(
        url,
        "INSERT INTO users (username, email, password_hash, created_at, updated_at)"
        " VALUES ('next', 'next@example.com', 'x', '2026-12-02', '2026-12-02')",
    )

    ids = _run(
        url, lambda connection: connection.execute(text("SELECT id FROM users ORDER BY id")).scalars().all()
    )
    assert ids == [1, 3]


# --- the stored HTML of article bodies (0008) -----------------------------------------------------

BODY_HTML = SCRIPTS.get_revision("0008")
BEFORE_BODY_HTML = BODY_HTML.down_revision
# More articles than one batch of the migration, so that its keyset paging is crossed.
BODIES = [
    "# Dragons\n\nYou have to *believe* — 🐉",
    "<script>alert(1)</script> [x](javascript:alert(1)) [ok](https://ok.example/)",
    *(f"Article **{n}**" for n in range(BODY_HTML.module.BATCH + 3)),
]
BODIES_BY_ID = text("SELECT body FROM articles ORDER BY id")
STORED_HTML = text("SELECT body, body_html FROM articles ORDER BY id")


def _write_articles(connection: Connection) -> None:
    connection.execute(
        _typed(
            text(
                "INSERT INTO users (id, username, email, password_hash, created_at, updated_at)"
                " VALUES (1, 'writer', 'writer@example.com', 'x', :created_at, :created_at)"
            ),
            ["created_at"],
        ),
        {"created_at": NOON},
    )
    statement = text(
        "INSERT INTO articles (slug, title, description, body, author_id, created_at, updated_at)"
        " VALUES (:slug, 'Title', 'Description', :body, 1, :created_at, :created_at)"
    )
    rows = [{"slug": f"a-{n}", "body": body, "created_at": NOON} for n, body in enumerate(BODIES)]
    connection.execute(_typed(statement, ["created_at"]), rows)
    connection.commit()


def test_upgrading_stores_every_existing_body_rendered_and_downgrading_keeps_the_bodies(
    empty_database_url: str,
) -> None:
    migrations.upgrade(empty_database_url, BEFORE_BODY_HTML)
    _run(empty_database_url, _write_articles)

    migrations.upgrade(empty_database_url)
    stored = _run(empty_database_url, lambda connection: connection.execute(STORED_HTML).all())
    migrations.downgrade(empty_database_url, BEFORE_BODY_HTML)
    kept = _run(empty_database_url, lambda connection: connection.scalars(BODIES_BY_ID).all())

    assert [(body, html) for body, html in stored] == [(body, render_markdown(body)) for body in BODIES]
    assert stored[0].body_html.startswith("<h2>Dragons</h2>")
    assert "<script" not in stored[1].body_html
    assert kept == BODIES
    columns = _run(empty_database_url, lambda connection: inspect(connection).get_columns("articles"))
    assert "body_html" not in {column["name"] for column in columns}
    # And back up again: the column and its HTML return.
    migrations.upgrade(empty_database_url)
    assert _run(empty_database_url, lambda connection: connection.execute(STORED_HTML).all()) == stored
