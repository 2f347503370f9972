"""Races between identical requests, on PostgreSQL where requests really run in parallel.

Fifty requests are fired at once (``asyncio.gather`` over one client, a pool big enough to give
each its own connection). Idempotent actions must leave exactly one row and answer 200 every time;
unique names must go to exactly one winner, the others getting the usual 422, never a 500; shared
tags and slugs must stay consistent. Requests racing the deletion of what they refer to find it gone
(404), never a 500.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import httpx
import pytest
from sqlalchemy import TextClause, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.counts import Count, current
from app.db.folding import fold
from app.db.models import Article, Comment, Favorite, Follow, Tag
from app.db.repositories import favorites as favorite_rows
from app.services.context import AppContext
from config import Settings
from tests.concurrency.locks import wait_for_lock_waiters
from tests.conftest import make_settings
from tests.helpers import PASSWORD, auth, create_article, register, unique_name

RACERS = 50


@pytest.fixture
def settings(postgres_url: str) -> Settings:
    # Rate limits off: fifty registrations from one client are the point here, not abuse
    # (tests/api/test_rate_limits.py covers the limits).
    return make_settings(postgres_url, db_pool_size=20, db_max_overflow=40, rate_limits_enabled=False)


async def _count(context: AppContext, query: Any) -> int:
    async def work(session: AsyncSession) -> int:
        return int(await session.scalar(query) or 0)

    return await context.db.read(work)


def _statuses(responses: list[httpx.Response]) -> list[int]:
    return sorted(response.status_code for response in responses)


# DECISIONS: 50 simultaneous identical favorites produce exactly one row and never a 500.
async def test_simultaneous_identical_favorites_leave_one_favorite(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    author, reader = await register(client), await register(client)
    article = await create_article(client, author["token"])
    url = f"/api/articles/{article['slug']}/favorite"

    responses = await asyncio.gather(
        *(client.post(url, headers=auth(reader["token"])) for _ in range(RACERS))
    )

    assert _statuses(responses) == [200] * RACERS
    assert {response.json()["article"]["favoritesCount"] for response in responses} == {1}
    assert all(response.json()["article"]["favorited"] for response in responses)
    assert await _count(context, select(func.count()).select_from(Favorite)) == 1
    favorites_count = current(Article.favorites_count, Count.ARTICLE_FAVORITES, Article.id)
    assert await _count(context, select(favorites_count)) == 1


# DECISIONS: 50 simultaneous identical follows produce exactly one row and never a 500.
async def test_simultaneous_identical_follows_leave_one_follow(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    followed, follower = await register(client), await register(client)
    url = f"/api/profiles/{followed['username']}/follow"

    responses = await asyncio.gather(
        *(client.post(url, headers=auth(follower["token"])) for _ in range(RACERS))
    )

    assert _statuses(responses) == [200] * RACERS
    assert all(response.json()["profile"]["following"] for response in responses)
    assert await _count(context, select(func.count()).select_from(Follow)) == 1


async def _register_all(client: httpx.AsyncClient, users: list[dict[str, str]]) -> list[httpx.Response]:
    return await asyncio.gather(*(client.post("/api/users", json={"user": user}) for user in users))


# DECISIONS: a taken username is 422, also for 50 simultaneous registrations (never a 500).
@pytest.mark.parametrize("case_varied", [False, True], ids=["same-spelling", "case-varied"])
async def test_simultaneous_registrations_of_one_username_have_one_winner(
    client: httpx.AsyncClient, case_varied: bool
) -> None:
    name = unique_name("racer")
    spellings = [name.upper() if case_varied and index % 2 else name for index in range(RACERS)]
    users = [
        {"username": spelling, "email": f"{name}-{index}@example.com", "password": PASSWORD}
        for index, spelling in enumerate(spellings)
    ]

    responses = await _register_all(client, users)

    assert _statuses(responses) == [201] + [422] * (RACERS - 1)
    for response in responses:
        if response.status_code == 422:
            assert response.json() == {
                "errors": {
                    "body": ["username has already been taken"],
                    "username": ["has already been taken"],
                }
            }


# DECISIONS: a taken email is 422, also for 50 simultaneous registrations (never a 500).
async def test_simultaneous_registrations_of_one_email_have_one_winner(client: httpx.AsyncClient) -> None:
    email = f"{unique_name('shared')}@example.com"
    users = [{"username": unique_name("racer"), "email": email, "password": PASSWORD} for _ in range(RACERS)]

    responses = await _register_all(client, users)

    assert _statuses(responses) == [201] + [422] * (RACERS - 1)
    for response in responses:
        if response.status_code == 422:
            assert response.json() == {
                "errors": {"body": ["email has already been taken"], "email": ["has already been taken"]}
            }


def _new_article(title: str, tags: list[str]) -> dict[str, Any]:
    return {"article": {"title": title, "description": "Racing", "body": "Fast", "tagList": tags}}


# DECISIONS: 50 simultaneous tag creations produce exactly one row and never a 500.
async def test_simultaneous_articles_with_one_new_tag_share_one_tag_row(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    author = await register(client)

    responses = await asyncio.gather(
        *(
            client.post(
                "/api/articles",
                json=_new_article(f"Race {index}", ["brand-new"]),
                headers=auth(author["token"]),
            )
            for index in range(RACERS)
        )
    )

    assert _statuses(responses) == [201] * RACERS
    assert all(response.json()["article"]["tagList"] == ["brand-new"] for response in responses)
    assert await _count(context, select(func.count()).select_from(Tag)) == 1
    articles_count = current(Tag.articles_count, Count.TAG_ARTICLES, Tag.id)
    assert await _count(context, select(articles_count).where(Tag.name == "brand-new")) == RACERS
    assert (await client.get("/api/tags")).json() == {"tags": ["brand-new"]}


# DECISIONS: Slug on collision gets a short unique suffix (never a 422, never a 500).
async def test_simultaneous_articles_with_one_title_get_distinct_slugs(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    author = await register(client)

    responses = await asyncio.gather(
        *(
            client.post("/api/articles", json=_new_article("Same Title", []), headers=auth(author["token"]))
            for _ in range(RACERS)
        )
    )

    assert _statuses(responses) == [201] * RACERS
    slugs = {response.json()["article"]["slug"] for response in responses}
    assert len(slugs) == RACERS
    assert "same-title" in slugs
    assert all(slug.startswith("same-title") for slug in slugs)
    assert await _count(context, select(func.count(Article.slug.distinct()))) == RACERS


async def test_comments_racing_the_deletion_of_their_article_are_added_or_404_never_500(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    author, reader = await register(client), await register(client)
    article = await create_article(client, author["token"])
    comments_url = f"/api/articles/{article['slug']}/comments"
    posts = [
        client.post(comments_url, json={"comment": {"body": f"comment {n}"}}, headers=auth(reader["token"]))
        for n in range(RACERS)
    ]
    deletion = client.delete(f"/api/articles/{article['slug']}", headers=auth(author["token"]))

    deleted, *answers = await asyncio.gather(deletion, *posts)

    assert deleted.status_code == 204
    assert {answer.status_code for answer in answers} <= {200, 404}
    assert all(
        answer.json() == {"errors": {"body": ["article not found"]}}
        for answer in answers
        if answer.status_code == 404
    )
    assert await _count(context, select(func.count()).select_from(Comment)) == 0  # gone with the article


async def _queued_behind_lock(
    context: AppContext,
    lock: TextClause,
    first: Coroutine[Any, Any, httpx.Response],
    then: list[Coroutine[Any, Any, httpx.Response]],
) -> list[httpx.Response]:
    """The answers to ``first`` and ``then``, sent while this test holds a row lock (``lock``):
    ``first`` is queued on the row before any of ``then`` is sent, and all are let go at once. So
    each of ``then`` reaches the row while ``first`` holds it: the race, every time."""
    engine = context.db.engine
    # Nothing left for the background folder to fold: it would queue on the locked row too (a user's
    # or an article's counter), be counted as a waiter, and the count below would never match.
    await fold(engine)
    async with engine.connect() as holder, engine.connect() as observer, holder.begin():
        await holder.execute(lock)
        tasks = [asyncio.create_task(first)]
        async with asyncio.timeout(60):
            await wait_for_lock_waiters(observer, 1)
        tasks += [asyncio.create_task(request) for request in then]
        async with asyncio.timeout(60):
            await wait_for_lock_waiters(observer, len(tasks))
    return await asyncio.gather(*tasks)


def _only_found_or_gone(answers: list[httpx.Response], gone: dict[str, Any]) -> None:
    """Every answer is a 200, or the 404 of something removed meanwhile: never a 500."""
    assert set(_statuses(answers)) <= {200, 404}, _statuses(answers)
    assert all(answer.json() == gone for answer in answers if answer.status_code == 404)


async def _favorited_total(client: httpx.AsyncClient, username: str) -> tuple[int, int]:
    """The ``?favorited=`` list's total (a counter) and the number of articles it lists (rows)."""
    listing = (await client.get("/api/articles", params={"favorited": username, "limit": 100})).json()
    return listing["articlesCount"], len(listing["articles"])


async def test_favorites_racing_the_deletion_of_their_article_are_added_or_404_never_500(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    author = await register(client)
    readers = await asyncio.gather(*(register(client) for _ in range(RACERS)))
    kept = await create_article(client, author["token"], title="Kept")
    doomed = await create_article(client, author["token"], title="Doomed")
    # Each reader already favorites an article that stays, so a total off by one either way shows.
    for reader in readers:
        response = await client.post(f"/api/articles/{kept['slug']}/favorite", headers=auth(reader["token"]))
        assert response.status_code == 200
    url = f"/api/articles/{doomed['slug']}/favorite"
    favorites = [client.post(url, headers=auth(reader["token"])) for reader in readers]
    deletion = client.delete(f"/api/articles/{doomed['slug']}", headers=auth(author["token"]))

    # The deletion queues on the article's row first, the favorites behind it. (Favorites queued
    # first would all go through before it: their key-share locks do not exclude one another.)
    lock = text("SELECT id FROM articles WHERE slug = :slug FOR UPDATE").bindparams(slug=doomed["slug"])
    deleted, *answers = await _queued_behind_lock(context, lock, deletion, favorites)

    assert deleted.status_code == 204
    _only_found_or_gone(answers, {"errors": {"body": ["article not found"]}})
    assert 404 in _statuses(answers)
    assert (await client.get(f"/api/articles/{doomed['slug']}")).status_code == 404
    kept_now = (await client.get(f"/api/articles/{kept['slug']}")).json()["article"]
    assert kept_now["favoritesCount"] == RACERS
    for reader in readers:
        assert await _favorited_total(client, reader["username"]) == (1, 1)


async def test_a_favorite_whose_article_is_deleted_just_before_its_insert_is_404(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    author, reader = await register(client), await register(client)
    article = await create_article(client, author["token"])
    favorite = favorite_rows.favorite
    deletions: list[httpx.Response] = []

    async def delete_then_favorite(session: AsyncSession, *, user_id: int, slug: str) -> bool:
        """The deletion, committed after the favorite's token check and before its insert."""
        deletions.append(await client.delete(f"/api/articles/{slug}", headers=auth(author["token"])))
        return await favorite(session, user_id=user_id, slug=slug)

    monkeypatch.setattr(favorite_rows, "favorite", delete_then_favorite)

    answer = await client.post(f"/api/articles/{article['slug']}/favorite", headers=auth(reader["token"]))

    assert [deletion.status_code for deletion in deletions] == [204]
    assert answer.status_code == 404
    assert answer.json() == {"errors": {"body": ["article not found"]}}
    assert await _favorited_total(client, reader["username"]) == (0, 0)


async def test_follows_racing_the_deletion_of_the_followed_account_are_added_or_404_never_500(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    doomed, kept = await register(client), await register(client)
    followers = await asyncio.gather(*(register(client) for _ in range(RACERS)))
    await create_article(client, doomed["token"], title="Going")
    await create_article(client, kept["token"], title="Staying")
    # Each follower already follows an author who stays: their feed's total (summed from the
    # followees' counters) must still match the articles it lists.
    for follower in followers:
        response = await client.post(
            f"/api/profiles/{kept['username']}/follow", headers=auth(follower["token"])
        )
        assert response.status_code == 200
    url = f"/api/profiles/{doomed['username']}/follow"
    follows = [client.post(url, headers=auth(follower["token"])) for follower in followers]
    deletion = client.request(
        "DELETE", "/api/user", json={"user": {"password": PASSWORD}}, headers=auth(doomed["token"])
    )

    # The deletion queues on the account's row first, the follows behind it.
    lock = text("SELECT id FROM users WHERE username = :name FOR UPDATE").bindparams(name=doomed["username"])
    deleted, *answers = await _queued_behind_lock(context, lock, deletion, follows)

    assert deleted.status_code == 204
    _only_found_or_gone(answers, {"errors": {"body": ["profile not found"]}})
    assert 404 in _statuses(answers)
    assert (await client.get(f"/api/profiles/{doomed['username']}")).status_code == 404
    for follower in followers:
        feed = (await client.get("/api/articles/feed", headers=auth(follower["token"]))).json()
        assert (feed["articlesCount"], len(feed["articles"])) == (1, 1)
