"""Races between identical requests, on PostgreSQL where requests really run in parallel.

Fifty requests are fired at once (``asyncio.gather`` over one client, a pool big enough to give
each its own connection). Idempotent actions must leave exactly one row and answer 200 every time;
unique names must go to exactly one winner, the others getting the usual 422, never a 500; shared
tags and slugs must stay consistent. Requests racing the deletion of what they refer to find it gone
(404), never a 500.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.counts import Count, current
from app.db.models import Article, Comment, Favorite, Follow, Tag
from app.services.context import AppContext
from config import Settings
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
