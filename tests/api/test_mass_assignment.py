"""Mass assignment: fields a client must never set (ids, tokens, staff and active flags, the token
version, password hashes, authors, slugs, counters, timestamps), sent to every endpoint that takes
a user or an article, in snake_case and camelCase. They are ignored: the stored rows and the answers
change only as the legitimate fields say. On both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from app.db.models import Article, User
from app.services.context import AppContext
from tests.helpers import PASSWORD, auth, create_article, register, unique_name

FORGED_TIME = "2000-01-01T00:00:00.000Z"
FORBIDDEN: dict[str, Any] = {
    "id": 999_999,
    "token": "forged.token.value",
    "is_staff": True,
    "isStaff": True,
    "password_hash": "$argon2id$v=19$m=8,t=1,p=1$forged$forged",
    "passwordHash": "$argon2id$v=19$m=8,t=1,p=1$forged$forged",
    "is_active": False,
    "isActive": False,
    "token_version": 99,
    "tokenVersion": 99,
    "email_verified": True,
    "emailVerified": True,
    "author": {"username": "someone-else", "bio": None, "image": None, "following": True},
    "author_id": 1,
    "authorId": 1,
    "slug": "forged-slug",
    "favoritesCount": 1000,
    "favorites_count": 1000,
    "favorited": True,
    "createdAt": FORGED_TIME,
    "created_at": FORGED_TIME,
    "updatedAt": FORGED_TIME,
    "updated_at": FORGED_TIME,
    "hidden_at": FORGED_TIME,
    "hiddenAt": FORGED_TIME,
}


def _columns(row: object) -> dict[str, Any]:
    mapper = inspect(type(row))
    return {column.key: getattr(row, column.key) for column in mapper.column_attrs}


async def _user_row(context: AppContext, username: str) -> dict[str, Any]:
    async def work(session: AsyncSession) -> dict[str, Any]:
        user = (await session.execute(select(User).where(User.username == username))).scalar_one()
        return _columns(user)

    return await context.db.read(work)


async def _article_row(context: AppContext, **where: Any) -> dict[str, Any]:
    async def work(session: AsyncSession) -> dict[str, Any]:
        query = select(Article).filter_by(**where).options(undefer(Article.body_html))  # deferred
        article = (await session.execute(query)).scalar_one()
        return _columns(article)

    return await context.db.read(work)


def _recent(value: datetime) -> bool:
    return datetime.now(UTC) - value.astimezone(UTC) < timedelta(minutes=10)


def _without(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name not in names}


# --- users --------------------------------------------------------------------------------------


async def test_registration_ignores_fields_a_client_may_not_set(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    username = unique_name()
    response = await client.post(
        "/api/users",
        json={
            "user": {
                **FORBIDDEN,
                "username": username,
                "email": f"{username}@example.com",
                "password": PASSWORD,
            }
        },
    )

    assert response.status_code == 201, response.text
    answered = response.json()["user"]
    assert answered["token"] != FORBIDDEN["token"]
    assert set(answered) == {"email", "token", "username", "bio", "image"}
    row = await _user_row(context, username)
    assert row["id"] != FORBIDDEN["id"]
    assert (row["is_staff"], row["is_active"]) == (False, True)
    assert row["password_hash"] != FORBIDDEN["password_hash"]
    assert _recent(row["created_at"])
    assert _recent(row["updated_at"])
    signed_in = await client.post(
        "/api/users/login", json={"user": {"email": f"{username}@example.com", "password": PASSWORD}}
    )
    assert signed_in.status_code == 200
    assert (await client.get("/api/user", headers=auth(answered["token"]))).status_code == 200


async def test_updating_the_user_with_only_forbidden_fields_changes_nothing(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    user = await register(client)
    before = await _user_row(context, user["username"])
    answered_before = (await client.get("/api/user", headers=auth(user["token"]))).json()["user"]

    response = await client.put("/api/user", json={"user": FORBIDDEN}, headers=auth(user["token"]))

    assert response.status_code == 200, response.text
    assert _without(response.json()["user"], "token") == _without(answered_before, "token")
    assert await _user_row(context, user["username"]) == before
    assert (await client.get("/api/user", headers=auth(user["token"]))).status_code == 200


async def test_updating_the_user_changes_only_the_legitimate_field(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    user = await register(client)
    before = await _user_row(context, user["username"])

    response = await client.put(
        "/api/user", json={"user": {**FORBIDDEN, "bio": "new bio"}}, headers=auth(user["token"])
    )

    assert response.status_code == 200, response.text
    assert response.json()["user"]["bio"] == "new bio"
    after = await _user_row(context, user["username"])
    assert after["bio"] == "new bio"
    assert _without(after, "bio", "updated_at") == _without(before, "bio", "updated_at")
    # The old token still works: the token version did not move.
    assert (await client.get("/api/user", headers=auth(user["token"]))).status_code == 200


# --- articles -----------------------------------------------------------------------------------


async def test_creating_an_article_ignores_fields_a_client_may_not_set(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    author, other = await register(client), await register(client)
    other_row = await _user_row(context, other["username"])
    article = {
        **FORBIDDEN,
        "authorId": other_row["id"],
        "author_id": other_row["id"],
        "title": "Honest title",
        "description": "d",
        "body": "b",
    }

    response = await client.post("/api/articles", json={"article": article}, headers=auth(author["token"]))

    assert response.status_code == 201, response.text
    answered = response.json()["article"]
    assert answered["slug"].startswith("honest-title")
    assert answered["author"]["username"] == author["username"]
    assert (answered["favoritesCount"], answered["favorited"]) == (0, False)
    assert answered["createdAt"] != FORGED_TIME
    assert answered["updatedAt"] != FORGED_TIME
    row = await _article_row(context, slug=answered["slug"])
    author_row = await _user_row(context, author["username"])
    assert row["id"] != FORBIDDEN["id"]
    assert row["author_id"] == author_row["id"]
    assert (row["favorites_count"], row["hidden_at"]) == (0, None)
    assert _recent(row["created_at"])
    assert _recent(row["updated_at"])
    assert await _user_row(context, other["username"]) == other_row


async def test_updating_an_article_with_only_forbidden_fields_changes_nothing(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    author = await register(client)
    article = await create_article(client, author["token"])
    before = await _article_row(context, slug=article["slug"])

    response = await client.put(
        f"/api/articles/{article['slug']}", json={"article": FORBIDDEN}, headers=auth(author["token"])
    )

    assert response.status_code == 200, response.text
    assert response.json()["article"] == article
    assert await _article_row(context, slug=article["slug"]) == before


async def test_updating_an_article_changes_only_the_legitimate_field(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    author = await register(client)
    article = await create_article(client, author["token"])
    before = await _article_row(context, slug=article["slug"])

    response = await client.put(
        f"/api/articles/{article['slug']}",
        json={"article": {**FORBIDDEN, "description": "a new description"}},
        headers=auth(author["token"]),
    )

    assert response.status_code == 200, response.text
    answered = response.json()["article"]
    assert _without(answered, "description", "updatedAt") == _without(article, "description", "updatedAt")
    assert answered["description"] == "a new description"
    after = await _article_row(context, slug=article["slug"])
    assert after["description"] == "a new description"
    assert _without(after, "description", "updated_at") == _without(before, "description", "updated_at")
    assert (await client.get(f"/api/articles/{FORBIDDEN['slug']}")).status_code == 404
