"""Counters stay exact under concurrent writes of every kind, on both engines.

Writes record counter changes as ``count_deltas`` rows that reads add to the base columns and a
folder moves into them (``app/db/counts.py``, ``app/db/folding.py``). After 50-way concurrent
favorites and unfavorites of one article, publications with one tag, deletions, follows of 50
authors by one reader, and hide/unhide mixed in, every figure the API shows equals a recount from
the rows, and so does every stored base once folded, with nothing left pending.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.db.folding import fold
from app.services import moderation
from app.services.context import AppContext
from config import Settings
from tests.admin.support import article_id, register_staff
from tests.conftest import make_settings
from tests.helpers import auth, create_article, register

RACERS = 50
TAG = "shared"

# Every counter's recount from the rows it counts (visible articles only, as the counters count).
RECOUNT = {
    "global": "SELECT count(*) FROM articles WHERE hidden_at IS NULL",
    "user_articles": "SELECT username, (SELECT count(*) FROM articles a WHERE a.author_id = u.id"
    " AND a.hidden_at IS NULL) FROM users u",
    "user_favorites": "SELECT username, (SELECT count(*) FROM favorites f"
    " JOIN articles a ON a.id = f.article_id WHERE f.user_id = u.id AND a.hidden_at IS NULL) FROM users u",
    "tag_articles": "SELECT name, (SELECT count(*) FROM article_tags x"
    " JOIN articles a ON a.id = x.article_id WHERE x.tag_id = t.id AND a.hidden_at IS NULL) FROM tags t",
    "article_favorites": "SELECT slug, (SELECT count(*) FROM favorites f WHERE f.article_id = a.id)"
    " FROM articles a",
}
FEED_RECOUNT = (
    "SELECT count(*) FROM articles a JOIN follows f ON f.followee_id = a.author_id"
    " WHERE f.follower_id = (SELECT id FROM users WHERE username = :reader) AND a.hidden_at IS NULL"
)
# The stored bases, read without the pending deltas.
BASES = {
    "global": "SELECT value FROM counters WHERE name = 'articles'",
    "user_articles": "SELECT username, articles_count FROM users",
    "user_favorites": "SELECT username, favorites_count FROM users",
    "tag_articles": "SELECT name, articles_count FROM tags",
    "article_favorites": "SELECT slug, favorites_count FROM articles",
}


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Exactness, not latency, is under test: 100 writes at once may queue on SQLite's one write
    # lock for longer than the default busy timeout on a busy machine.
    return make_settings(
        database_url,
        rate_limits_enabled=False,
        db_pool_size=20,
        db_max_overflow=40,
        sqlite_busy_timeout_ms=120_000,
    )


@dataclass(frozen=True)
class Scene:
    author: dict[str, Any]
    staff_claims: Any
    users: list[dict[str, Any]]
    hot: str  # the one article everyone favorites


async def _all(requests: list[Awaitable[httpx.Response]]) -> list[httpx.Response]:
    responses = await asyncio.gather(*requests)
    assert all(response.is_success for response in responses), [
        response.text for response in responses if not response.is_success
    ]
    return responses


async def _recount(context: AppContext, queries: dict[str, str]) -> dict[str, Any]:
    async with context.db.engine.connect() as connection:
        found: dict[str, Any] = {"global": await connection.scalar(text(queries["global"]))}
        for name, query in queries.items():
            if name != "global":
                found[name] = {key: value for key, value in await connection.execute(text(query))}  # noqa: C416
        return found


async def _shown(client: httpx.AsyncClient, scene: Scene, reader: dict[str, Any]) -> dict[str, Any]:
    """Every figure the API shows for the scene, as the recount is laid out."""

    async def total(query: str, headers: dict[str, str] | None = None) -> int:
        response = await client.get(f"/api/articles{query}", headers=headers or {})
        assert response.status_code == 200, response.text
        count: int = response.json()["articlesCount"]
        return count

    names = [scene.author["username"], *(user["username"] for user in scene.users)]
    articles = (await client.get("/api/articles?limit=100", headers=auth(scene.author["token"]))).json()
    return {
        "global": await total("?limit=1"),
        "user_articles": {name: await total(f"?author={name}&limit=1") for name in names},
        "user_favorites": {name: await total(f"?favorited={name}&limit=1") for name in names},
        "tag_articles": {TAG: await total(f"?tag={TAG}&limit=1")},
        "article_favorites": {row["slug"]: row["favoritesCount"] for row in articles["articles"]},
        "feed": await total("/feed?limit=1", auth(reader["token"])),
    }


async def _assert_exact(
    client: httpx.AsyncClient, context: AppContext, scene: Scene, reader: dict[str, Any]
) -> None:
    recount = await _recount(context, RECOUNT)
    shown = await _shown(client, scene, reader)

    assert shown["global"] == recount["global"]
    for kind in ("user_articles", "user_favorites"):
        assert shown[kind] == {name: recount[kind][name] for name in shown[kind]}, kind
    assert shown["tag_articles"][TAG] == recount["tag_articles"][TAG]
    # The author's list shows every visible article (hidden ones are in no list).
    listed = shown["article_favorites"]
    assert listed == {slug: count for slug, count in recount["article_favorites"].items() if slug in listed}
    async with context.db.engine.connect() as connection:
        feed = await connection.scalar(text(FEED_RECOUNT), {"reader": reader["username"]})
    assert shown["feed"] == feed
    tags = (await client.get("/api/tags")).json()["tags"]
    assert (TAG in tags) == (recount["tag_articles"][TAG] > 0)

    await fold(context.db.engine)
    assert await _recount(context, BASES) == recount
    async with context.db.engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM count_deltas")) == 0


@pytest.fixture
async def scene(client: httpx.AsyncClient, context: AppContext) -> Scene:
    author = await register(client)
    staff = await register_staff(client, context)
    users = list(await asyncio.gather(*(register(client) for _ in range(RACERS))))
    hot = (await create_article(client, author["token"], tags=[TAG]))["slug"]
    return Scene(author, context.tokens.decode(staff["token"]), users, hot)


async def test_concurrent_writes_of_every_kind_keep_every_count_exact(
    client: httpx.AsyncClient, context: AppContext, scene: Scene
) -> None:
    reader = await register(client)
    favorite = f"/api/articles/{scene.hot}/favorite"

    # 50 publish with one tag, while 50 favorite one article: every answer counts its own write.
    created, favorited = await asyncio.gather(
        asyncio.gather(*(create_article(client, user["token"], tags=[TAG]) for user in scene.users)),
        _all([client.post(favorite, headers=auth(user["token"])) for user in scene.users]),
    )
    counts = [response.json()["article"]["favoritesCount"] for response in favorited]
    assert all(1 <= count <= RACERS for count in counts), counts
    assert all(response.json()["article"]["favorited"] for response in favorited)
    # A client's next read reflects its own write.
    assert (await client.get(f"/api/articles/{scene.hot}")).json()["article"]["favoritesCount"] == RACERS
    await _assert_exact(client, context, scene, reader)

    # Half unfavorite and half delete what they wrote, one reader follows all 50 authors, and staff
    # hide two articles (each with its tag and author) and show one of them again, all at once.
    halves = scene.users[: RACERS // 2], scene.users[RACERS // 2 :]
    hidden, shown_again = [await article_id(context, article["slug"]) for article in created[:2]]
    await asyncio.gather(
        _all([client.delete(favorite, headers=auth(user["token"])) for user in halves[0]]),
        _all(
            [
                client.delete(f"/api/articles/{article['slug']}", headers=auth(user["token"]))
                for user, article in zip(scene.users, created, strict=True)
                if user in halves[1]
            ]
        ),
        _all(
            [
                client.post(f"/api/profiles/{user['username']}/follow", headers=auth(reader["token"]))
                for user in scene.users
            ]
        ),
        moderation.hide_articles(context, scene.staff_claims, [hidden, shown_again]),
    )
    await moderation.unhide_articles(context, scene.staff_claims, [shown_again])
    await _assert_exact(client, context, scene, reader)

    # Hiding the favorited article takes it out of its favoriters' totals, while the reader
    # unfollows half the authors.
    hot = await article_id(context, scene.hot)
    await asyncio.gather(
        moderation.hide_articles(context, scene.staff_claims, [hot]),
        _all(
            [
                client.delete(f"/api/profiles/{user['username']}/follow", headers=auth(reader["token"]))
                for user in halves[0]
            ]
        ),
    )
    await _assert_exact(client, context, scene, reader)
    await moderation.unhide_articles(context, scene.staff_claims, [hot])

    # The favorites the other way round, while the first hidden article comes back.
    await asyncio.gather(
        _all([client.post(favorite, headers=auth(user["token"])) for user in halves[0]]),
        _all([client.delete(favorite, headers=auth(user["token"])) for user in halves[1]]),
        moderation.unhide_articles(context, scene.staff_claims, [hidden]),
    )
    await _assert_exact(client, context, scene, reader)
