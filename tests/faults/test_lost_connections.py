"""A pooled connection that the server dropped (as a restart or an idle-connection killer does) is
found when a request uses it; the unit of work then runs once more on a new connection, so the
request succeeds, and a write is stored once. A connection lost while COMMIT is under way is not
run again (whether it was applied cannot be known): that request answers 503.

The server really drops the connections: ``pg_terminate_backend`` from outside, or from a trigger
that runs at commit time in the request's own transaction.
"""

from __future__ import annotations

from sqlalchemy import func, select

from app.db.models import Article, Comment
from app.services.context import AppContext
from config import Settings
from tests.conftest import make_settings
from tests.faults.database import app_sessions, connected
from tests.faults.support import is_unavailable_envelope, serving
from tests.helpers import auth, create_article, register

LOSE_THE_CONNECTION_AT_COMMIT = [
    "CREATE SEQUENCE commit_attempts",
    "CREATE FUNCTION lose_connection() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN PERFORM nextval('commit_attempts'); PERFORM pg_terminate_backend(pg_backend_pid()); "
    "RETURN NULL; END $$",
    "CREATE CONSTRAINT TRIGGER lose_connection AFTER INSERT ON comments DEFERRABLE INITIALLY DEFERRED "
    "FOR EACH ROW WHEN (NEW.body = 'lose the connection') EXECUTE FUNCTION lose_connection()",
]


async def _terminate_app_connections(database_url: str) -> int:
    """Drops every pooled connection of the app on the server side; returns how many there were."""
    async with connected(database_url) as connection:
        terminated = await connection.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = 'conduit'"
        )
    return len(terminated)


async def _count(context: AppContext, model: type[Article] | type[Comment]) -> int:
    return int(await context.db.read(lambda session: session.scalar(select(func.count()).select_from(model))))


def _one_connection(postgres_url: str) -> Settings:
    """One pooled connection, so the request after the drop surely gets the dropped one."""
    return make_settings(postgres_url, db_pool_size=1, db_max_overflow=0)


async def test_a_read_on_a_connection_the_server_dropped_succeeds_on_a_new_one(postgres_url: str) -> None:
    async with serving(_one_connection(postgres_url)) as (client, _context):
        assert (await client.get("/api/tags")).status_code == 200
        assert await _terminate_app_connections(postgres_url) == 1

        response = await client.get("/api/tags")

    assert response.status_code == 200
    assert response.json() == {"tags": []}


async def test_a_write_on_a_connection_the_server_dropped_is_stored_once(postgres_url: str) -> None:
    async with serving(_one_connection(postgres_url)) as (client, context):
        author = await register(client)
        assert await _terminate_app_connections(postgres_url) == 1

        article = await create_article(client, author["token"], title="Written after the drop")

        assert article["slug"] == "written-after-the-drop"
        assert await _count(context, Article) == 1


async def test_a_connection_lost_during_commit_answers_503_and_is_not_run_again(postgres_url: str) -> None:
    async with serving(make_settings(postgres_url)) as (client, context):
        author = await register(client)
        article = await create_article(client, author["token"])
        async with connected(postgres_url) as connection:
            for statement in LOSE_THE_CONNECTION_AT_COMMIT:
                await connection.execute(statement)

        response = await client.post(
            f"/api/articles/{article['slug']}/comments",
            json={"comment": {"body": "lose the connection"}},
            headers=auth(author["token"]),
        )
        after = await client.get(f"/api/articles/{article['slug']}/comments")

        assert response.status_code == 503
        assert is_unavailable_envelope(response.json()), response.json()
        async with connected(postgres_url) as connection:
            assert await connection.fetchval("SELECT last_value FROM commit_attempts") == 1
        assert await _count(context, Comment) == 0
        assert after.status_code == 200
        assert after.json() == {"comments": []}
        assert (await app_sessions(postgres_url))["idle in transaction"] == 0
