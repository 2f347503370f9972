"""Looking at the database from outside the app, on a connection of its own: counters against the
rows they count, rows pointing nowhere, acknowledged writes, and the app's server sessions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from app.events.postgres import asyncpg_dsn
from tests.faults.workload import Acknowledged

# A counter is its base column plus its pending deltas (app/db/counts.py): a server may be folding.
PENDING = "coalesce((SELECT sum(delta) FROM count_deltas WHERE kind = '{kind}' AND target_id = {target}), 0)"
# Each query lists the rows that are wrong; every one must come back empty.
INCONSISTENCIES = {
    "articles.favorites_count differs from its favorites": """
        SELECT a.slug, a.favorites_count, count(f.user_id) AS rows FROM articles a
        LEFT JOIN favorites f ON f.article_id = a.id
        GROUP BY a.id HAVING a.favorites_count + """
    + PENDING.format(kind="article_favorites", target="a.id")
    + """ <> count(f.user_id)""",
    "tags.articles_count differs from its article_tags": """
        SELECT t.name, t.articles_count, count(x.article_id) AS rows FROM tags t
        LEFT JOIN article_tags x ON x.tag_id = t.id
        GROUP BY t.id HAVING t.articles_count + """
    + PENDING.format(kind="tag_articles", target="t.id")
    + """ <> count(x.article_id)""",
    "article_tags pointing nowhere": """
        SELECT x.* FROM article_tags x
        WHERE NOT EXISTS (SELECT FROM articles a WHERE a.id = x.article_id)
           OR NOT EXISTS (SELECT FROM tags t WHERE t.id = x.tag_id)""",
    "favorites pointing nowhere": """
        SELECT f.* FROM favorites f
        WHERE NOT EXISTS (SELECT FROM articles a WHERE a.id = f.article_id)
           OR NOT EXISTS (SELECT FROM users u WHERE u.id = f.user_id)""",
    "comments pointing nowhere": """
        SELECT c.id FROM comments c
        WHERE NOT EXISTS (SELECT FROM articles a WHERE a.id = c.article_id)
           OR NOT EXISTS (SELECT FROM users u WHERE u.id = c.author_id)""",
    "follows pointing nowhere": """
        SELECT f.* FROM follows f
        WHERE NOT EXISTS (SELECT FROM users u WHERE u.id = f.follower_id)
           OR NOT EXISTS (SELECT FROM users u WHERE u.id = f.followee_id)""",
}


@asynccontextmanager
async def connected(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        yield connection
    finally:
        await connection.close()


async def inconsistencies(database_url: str) -> dict[str, list[dict[str, Any]]]:
    """Every inconsistency found, by what is wrong (empty when the data is consistent)."""
    found = {}
    async with connected(database_url) as connection:
        for problem, query in INCONSISTENCIES.items():
            if rows := await connection.fetch(query):
                found[problem] = [dict(row) for row in rows]
    return found


async def missing_writes(database_url: str, acknowledged: Acknowledged) -> dict[str, Any]:
    """Acknowledged writes that the database does not hold as acknowledged (empty when all are)."""
    async with connected(database_url) as connection:
        tags = await connection.fetch(
            "SELECT a.slug, array_agg(t.name ORDER BY t.name) AS tags FROM articles a "
            "JOIN article_tags x ON x.article_id = a.id JOIN tags t ON t.id = x.tag_id "
            "WHERE a.slug = ANY($1::text[]) GROUP BY a.slug",
            list(acknowledged.articles),
        )
        comments = await connection.fetch(
            "SELECT c.id, a.slug FROM comments c JOIN articles a ON a.id = c.article_id "
            "WHERE c.id = ANY($1::bigint[])",
            list(acknowledged.comments),
        )
        favorites = await connection.fetch(
            "SELECT u.username, a.slug FROM favorites f "
            "JOIN users u ON u.id = f.user_id JOIN articles a ON a.id = f.article_id"
        )
        follows = await connection.fetch(
            "SELECT r.username AS follower, e.username AS followee FROM follows f "
            "JOIN users r ON r.id = f.follower_id JOIN users e ON e.id = f.followee_id"
        )
    stored_tags = {row["slug"]: list(row["tags"]) for row in tags}
    stored_comments = {row["id"]: row["slug"] for row in comments}
    favorited = {(row["username"], row["slug"]) for row in favorites}
    following = {(row["follower"], row["followee"]) for row in follows}
    found: dict[str, Any] = {
        "articles": {
            slug: sent
            for slug, sent in acknowledged.articles.items()
            if stored_tags.get(slug) != sorted(sent)
        },
        "comments": {
            id_: slug for id_, slug in acknowledged.comments.items() if stored_comments.get(id_) != slug
        },
        "favorites": {pair: on for pair, on in acknowledged.favorites.items() if (pair in favorited) != on},
        "follows": {pair: on for pair, on in acknowledged.follows.items() if (pair in following) != on},
    }
    return {kind: wrong for kind, wrong in found.items() if wrong}


async def app_sessions(database_url: str) -> Counter[str]:
    """The app's pooled server connections to this database, by state (``idle``, ``active``,
    ``idle in transaction``, ...). The event listener's own connection is not pooled, and not counted."""
    async with connected(database_url) as connection:
        rows = await connection.fetch(
            "SELECT state FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = 'conduit'"
        )
    return Counter(str(row["state"]) for row in rows)


async def waiting_on_locks(database_url: str) -> int:
    """How many of the app's server sessions are waiting for a lock."""
    async with connected(database_url) as connection:
        waiting: int = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = 'conduit' AND wait_event_type = 'Lock'"
        )
    return waiting
