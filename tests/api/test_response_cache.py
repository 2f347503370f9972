"""The response cache for anonymous API reads (``RESPONSE_CACHE_ENABLED``), on both engines.

A second app with the cache on serves the same database as the ``client`` fixture's app (cache off),
so every cached answer can be compared with the one the app computes. Counted lookups (the
``conduit_response_cache_lookups_total`` metric) prove that the cache really answered, so none of
these tests could pass with the cache off. Writes go through the other app: what invalidates is the
generation in the database, not anything in the caching process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import text

from app.api.response_cache import HIT, MISS, UNAVAILABLE
from app.main import create_app
from app.services import moderation
from app.services.context import AppContext
from tests.admin.support import article_id, register_staff
from tests.conftest import make_settings
from tests.helpers import auth, create_article, register

ORIGIN = "https://app.example.com"
Answer = tuple[int, Any]


@dataclass
class Cached:
    """The app with the cache on, and a client of it."""

    app: FastAPI
    http: httpx.AsyncClient

    async def get(self, path: str, token: str | None = None) -> Answer:
        return await _answer(self.http, path, token)

    def lookups(self) -> dict[str, int]:
        registry = self.app.state.metrics.registry
        return {
            result: int(
                registry.get_sample_value("conduit_response_cache_lookups_total", {"result": result}) or 0
            )
            for result in (HIT, MISS, UNAVAILABLE)
        }


async def _answer(http: httpx.AsyncClient, path: str, token: str | None = None) -> Answer:
    response = await http.get(path, headers=auth(token) if token else {})
    return response.status_code, response.json()


@asynccontextmanager
async def _cached(database_url: str, **overrides: Any) -> AsyncIterator[Cached]:
    settings = make_settings(database_url, response_cache_enabled=True, cors_origins=[ORIGIN], **overrides)
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield Cached(application, http)


@pytest.fixture
async def cached(database_url: str, app: FastAPI) -> AsyncIterator[Cached]:
    """An app with the cache on, beside ``app`` (cache off) on the same database."""
    async with _cached(database_url) as cached:
        yield cached


@dataclass
class World:
    """An author's tagged article, favorited and commented on by a reader."""

    author: dict[str, Any]
    reader: dict[str, Any]
    slug: str
    comment_id: int

    @property
    def reads(self) -> list[str]:
        """Every cacheable read of this world."""
        return [
            "/api/articles",
            f"/api/articles?author={self.author['username']}&limit=5",
            f"/api/articles/{self.slug}",
            f"/api/articles/{self.slug}/comments",
            "/api/tags",
            f"/api/profiles/{self.author['username']}",
        ]


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    author, reader = await register(client), await register(client)
    article = await create_article(client, author["token"], tags=["dragons"])
    slug = article["slug"]
    assert (
        await client.post(f"/api/articles/{slug}/favorite", headers=auth(reader["token"]))
    ).status_code == 200
    response = await client.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": "First!"}}, headers=auth(reader["token"])
    )
    assert response.status_code == 200
    return World(author, reader, slug, response.json()["comment"]["id"])


# --- every kind of write, then the very next anonymous read ---------------------------------------

Write = Callable[[httpx.AsyncClient, World, AppContext], Awaitable[httpx.Response]]


async def _create_article(client: httpx.AsyncClient, world: World, _: AppContext) -> httpx.Response:
    article = {"title": "Another one", "description": "d", "body": "b", "tagList": ["fresh"]}
    return await client.post("/api/articles", json={"article": article}, headers=auth(world.author["token"]))


async def _update_article(client: httpx.AsyncClient, world: World, _: AppContext) -> httpx.Response:
    change = {"article": {"description": "Rewritten", "body": "Better"}}
    return await client.put(f"/api/articles/{world.slug}", json=change, headers=auth(world.author["token"]))


async def _delete_article(client: httpx.AsyncClient, world: World, _: AppContext) -> httpx.Response:
    return await client.delete(f"/api/articles/{world.slug}", headers=auth(world.author["token"]))


async def _add_comment(client: httpx.AsyncClient, world: World, _: AppContext) -> httpx.Response:
    comment = {"comment": {"body": "Second!"}}
    return await client.post(
        f"/api/articles/{world.slug}/comments", json=comment, headers=auth(world.author["token"])
    )


async def _delete_comment(client: httpx.AsyncClient, world: World, _: AppContext) -> httpx.Response:
    path = f"/api/articles/{world.slug}/comments/{world.comment_id}"
    return await client.delete(path, headers=auth(world.reader["token"]))


async def _favorite(client: httpx.AsyncClient, world: World, _: AppContext) -> httpx.Response:
    return await client.post(f"/api/articles/{world.slug}/favorite", headers=auth(world.author["token"]))


async def _unfavorite(client: httpx.AsyncClient, world: World, _: AppContext) -> httpx.Response:
    return await client.delete(f"/api/articles/{world.slug}/favorite", headers=auth(world.reader["token"]))


async def _follow(client: httpx.AsyncClient, world: World, _: AppContext) -> httpx.Response:
    path = f"/api/profiles/{world.author['username']}/follow"
    return await client.post(path, headers=auth(world.reader["token"]))


async def _update_profile(client: httpx.AsyncClient, world: World, _: AppContext) -> httpx.Response:
    change = {"user": {"bio": "Writes about dragons"}}
    return await client.put("/api/user", json=change, headers=auth(world.author["token"]))


async def _hide_article(client: httpx.AsyncClient, world: World, context: AppContext) -> httpx.Response:
    staff = await register_staff(client, context)
    claims = context.tokens.decode(staff["token"])
    assert await moderation.hide_articles(context, claims, [await article_id(context, world.slug)]) == 1
    return httpx.Response(200)


ALL, ARTICLE, COMMENTS, TAGS, PROFILE = 0, 2, 3, 4, 5
LISTS = (0, 1)
# What each write changes in an anonymous reader's eyes, as indexes into World.reads.
WRITES: dict[str, tuple[Write, set[int]]] = {
    "create article": (_create_article, {*LISTS, TAGS}),
    "update article": (_update_article, {*LISTS, ARTICLE}),
    "delete article": (_delete_article, {*LISTS, ARTICLE, COMMENTS, TAGS}),
    "add comment": (_add_comment, {COMMENTS}),
    "delete comment": (_delete_comment, {COMMENTS}),
    "favorite": (_favorite, {*LISTS, ARTICLE}),
    "unfavorite": (_unfavorite, {*LISTS, ARTICLE}),
    "follow": (_follow, set()),  # "following" is always false for anonymous readers
    "update profile": (_update_profile, {*LISTS, ARTICLE, PROFILE}),
    "hide article": (_hide_article, {*LISTS, ARTICLE, COMMENTS, TAGS}),
}


@pytest.mark.parametrize("kind", WRITES)
async def test_the_next_anonymous_read_after_a_write_shows_it(
    kind: str, cached: Cached, client: httpx.AsyncClient, context: AppContext, world: World
) -> None:
    write, changes = WRITES[kind]
    before = [await cached.get(path) for path in world.reads]
    assert [await cached.get(path) for path in world.reads] == before
    assert cached.lookups() == {HIT: len(world.reads), MISS: len(world.reads), UNAVAILABLE: 0}

    response = await write(client, world, context)
    assert response.is_success, response.text
    after = [await cached.get(path) for path in world.reads]

    assert after == [await _answer(client, path) for path in world.reads]
    assert {index for index, answer in enumerate(after) if answer != before[index]} == changes
    assert cached.lookups() == {HIT: len(world.reads), MISS: 2 * len(world.reads), UNAVAILABLE: 0}


# --- whose view -----------------------------------------------------------------------------------


async def test_a_signed_in_read_is_never_served_from_the_cache(cached: Cached, world: World) -> None:
    path = f"/api/articles/{world.slug}"
    await cached.get(path)
    anonymous = await cached.get(path)

    signed_in = await cached.get(path, world.reader["token"])

    assert anonymous[1]["article"]["favorited"] is False
    assert signed_in[1]["article"]["favorited"] is True
    assert signed_in == (200, {"article": {**anonymous[1]["article"], "favorited": True}})
    assert cached.lookups() == {HIT: 1, MISS: 1, UNAVAILABLE: 0}


async def test_a_signed_in_read_does_not_fill_the_cache(
    cached: Cached, client: httpx.AsyncClient, world: World
) -> None:
    follow = f"/api/profiles/{world.author['username']}/follow"
    assert (await client.post(follow, headers=auth(world.reader["token"]))).status_code == 200
    path = f"/api/profiles/{world.author['username']}"

    signed_in = await cached.get(path, world.reader["token"])
    anonymous = await cached.get(path)

    assert signed_in[1]["profile"]["following"] is True
    assert anonymous == (200, {"profile": {**signed_in[1]["profile"], "following": False}})
    assert cached.lookups() == {HIT: 0, MISS: 1, UNAVAILABLE: 0}


async def test_a_hidden_article_shown_to_its_author_is_never_cached_for_anyone(
    cached: Cached, client: httpx.AsyncClient, context: AppContext, world: World
) -> None:
    await _hide_article(client, world, context)
    path = f"/api/articles/{world.slug}"

    by_author = await cached.get(path, world.author["token"])
    anonymous = [await cached.get(path), await cached.get(path)]

    assert by_author[0] == 200
    assert anonymous == [(404, {"errors": {"body": ["article not found"]}})] * 2
    assert cached.lookups() == {HIT: 0, MISS: 2, UNAVAILABLE: 0}


# --- what is kept, and how ------------------------------------------------------------------------


async def test_a_cached_answer_gets_its_own_request_id_and_the_per_request_headers(
    cached: Cached, world: World
) -> None:
    headers = {"Origin": ORIGIN}
    first = await cached.http.get(f"/api/articles/{world.slug}", headers=headers)
    second = await cached.http.get(f"/api/articles/{world.slug}", headers=headers)

    assert cached.lookups()[HIT] == 1
    assert (second.status_code, second.content) == (first.status_code, first.content)
    assert second.headers["x-request-id"] != first.headers["x-request-id"]
    same = ("content-type", "content-length", "access-control-allow-origin", "x-content-type-options")
    assert {name: second.headers[name] for name in same} == {name: first.headers[name] for name in same}
    assert second.headers["access-control-allow-origin"] == ORIGIN
    assert len(second.headers.get_list("x-content-type-options")) == 1


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/articles/no-such-article", 404),
        ("/api/articles/no-such-article/comments", 404),
        ("/api/profiles/nobody", 404),
        ("/api/articles?limit=many", 422),
        ("/api/articles?unknown=1", 422),
    ],
)
async def test_error_answers_are_not_kept(cached: Cached, path: str, status: int) -> None:
    answers = [await cached.get(path), await cached.get(path)]

    assert [status for status, _ in answers] == [status, status]
    assert answers[0] == answers[1]
    assert cached.lookups() == {HIT: 0, MISS: 2, UNAVAILABLE: 0}


@pytest.mark.parametrize(
    "path",
    [
        "/api/articles/feed",
        "/api/user",
        "/api/user/export",
        "/api/tags/",
        "/api/profiles/someone/follow",
        "/health/live",
        "/openapi.json",
        "/",
    ],
)
async def test_other_paths_pass_by_the_cache(cached: Cached, path: str) -> None:
    await cached.http.get(path)
    await cached.http.get(path)

    assert cached.lookups() == {HIT: 0, MISS: 0, UNAVAILABLE: 0}


async def test_a_new_query_string_is_a_new_entry(cached: Cached, world: World) -> None:
    await cached.get("/api/articles?limit=1")

    assert (await cached.get("/api/articles?limit=2"))[0] == 200
    assert (await cached.get("/api/articles?limit=1&offset=0"))[0] == 200
    assert cached.lookups() == {HIT: 0, MISS: 3, UNAVAILABLE: 0}


async def test_the_least_recently_used_answer_goes_beyond_the_entry_limit(
    database_url: str, app: FastAPI, world: World
) -> None:
    async with _cached(database_url, response_cache_max_entries=2) as cached:
        for path in ("/api/tags", "/api/articles", "/api/tags", f"/api/articles/{world.slug}", "/api/tags"):
            await cached.get(path)
        assert cached.lookups() == {HIT: 2, MISS: 3, UNAVAILABLE: 0}
        await cached.get("/api/articles")  # went when the article came in
        assert cached.lookups() == {HIT: 2, MISS: 4, UNAVAILABLE: 0}


async def test_an_answer_over_the_body_limit_is_not_kept(
    database_url: str, app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    long = await create_article(client, world.author["token"], title="Long", body="words " * 300)
    small, large = f"/api/articles/{world.slug}", f"/api/articles/{long['slug']}"
    async with _cached(database_url, response_cache_max_body_bytes=1024) as cached:
        for path in (small, small, large, large):
            await cached.get(path)

        assert len((await client.get(small)).content) < 1024 < len((await client.get(large)).content)
        assert cached.lookups() == {HIT: 1, MISS: 3, UNAVAILABLE: 0}


BREAK_GENERATION = {
    "sqlite": "DELETE FROM counters WHERE name = 'response_cache_generation'",
    "postgresql": "DROP SEQUENCE response_cache_generation",
}


async def test_without_a_readable_generation_nothing_is_served_from_the_cache(
    cached: Cached, client: httpx.AsyncClient, context: AppContext, world: World
) -> None:
    path = f"/api/articles/{world.slug}"
    await cached.get(path)
    await cached.get(path)
    statement = BREAK_GENERATION[context.db.engine.dialect.name]
    await context.db.write(lambda session: session.execute(text(statement)))

    assert (await _favorite(client, world, context)).status_code == 200  # writes still succeed
    status, body = await cached.get(path)

    assert (status, body["article"]["favoritesCount"]) == (200, 2)
    assert cached.lookups() == {HIT: 1, MISS: 1, UNAVAILABLE: 1}
