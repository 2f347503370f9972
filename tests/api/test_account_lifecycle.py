"""The account's lifecycle over the API (Conduit extensions): ``GET /api/user/export`` gives everything
the caller put in and nothing of anyone else; ``DELETE /api/user`` (confirmed by the password) removes
the caller's rows and only theirs, in one transaction, with every counter still equal to a recount.

The scene: jake writes two articles, comments on his own and on ann's, favorites his own and ann's,
and follows ann; ann writes one article, comments on both of theirs, favorites both and follows jake;
bob follows ann and favorites ann's article.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from app.db.folding import fold
from app.main import create_app
from app.services.context import AppContext
from tests.conftest import make_settings
from tests.helpers import PASSWORD, auth, create_article, register

TABLES = ("users", "follows", "articles", "tags", "article_tags", "favorites", "comments")
# Counters are checked against a recount instead: they change on rows that stay.
COUNTERS = {
    "articles": {"favorites_count"},
    "tags": {"articles_count"},
    "users": {"articles_count", "favorites_count"},
}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

on_sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class AnyTimestamp:
    """Equal to any API timestamp (``2026-11-26T12:00:00.000Z``): for times no response shows."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and TIMESTAMP.fullmatch(other) is not None

    __hash__ = None  # type: ignore[assignment]  # equal to many strings: not hashable

    def __repr__(self) -> str:
        return "<any timestamp>"


ANY_TIME = AnyTimestamp()


@dataclass
class Scene:
    jake: dict[str, Any]
    ann: dict[str, Any]
    bob: dict[str, Any]
    jakes_articles: list[dict[str, Any]]
    anns_article: dict[str, Any]
    jakes_comments: list[dict[str, Any]]
    anns_comments: list[dict[str, Any]]


async def comment(client: httpx.AsyncClient, token: str, slug: str, body: str) -> dict[str, Any]:
    response = await client.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": body}}, headers=auth(token)
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["comment"]
    return result


async def favorite(client: httpx.AsyncClient, token: str, slug: str) -> None:
    response = await client.post(f"/api/articles/{slug}/favorite", headers=auth(token))
    assert response.status_code == 200, response.text


async def follow(client: httpx.AsyncClient, token: str, username: str) -> None:
    response = await client.post(f"/api/profiles/{username}/follow", headers=auth(token))
    assert response.status_code == 200, response.text


@pytest.fixture
async def scene(client: httpx.AsyncClient) -> Scene:
    jake = await register(client, "jake")
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    await client.put("/api/user", json={"user": {"bio": "I work at statefarm"}}, headers=auth(jake["token"]))
    first = await create_article(
        client, jake["token"], title="Dragons", body="jake's first body", tags=["training", "dragons"]
    )
    second = await create_article(client, jake["token"], title="Eggs", body="jake's second body")
    anns = await create_article(
        client, ann["token"], title="Caves", body="ann's body", tags=["dragons", "misc"]
    )
    jakes_comments = [
        await comment(client, jake["token"], first["slug"], "jake on his own"),
        await comment(client, jake["token"], anns["slug"], "jake on ann's"),
    ]
    anns_comments = [
        await comment(client, ann["token"], first["slug"], "ann on jake's"),
        await comment(client, ann["token"], anns["slug"], "ann on her own"),
    ]
    for token, slug in [
        (jake["token"], anns["slug"]),
        (jake["token"], first["slug"]),
        (ann["token"], first["slug"]),
        (ann["token"], anns["slug"]),
        (bob["token"], anns["slug"]),
    ]:
        await favorite(client, token, slug)
    await follow(client, jake["token"], "ann")
    await follow(client, ann["token"], "jake")
    await follow(client, bob["token"], "ann")
    return Scene(jake, ann, bob, [first, second], anns, jakes_comments, anns_comments)


async def export(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/user/export", headers=auth(token))


async def delete_account(
    client: httpx.AsyncClient, token: str, password: str = PASSWORD, **extra: Any
) -> httpx.Response:
    body = {"user": {"password": password}}
    return await client.request("DELETE", "/api/user", json=body, headers=auth(token), **extra)


async def rows(context: AppContext) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, counters left out, in a stable order."""
    async with context.db.engine.connect() as connection:
        tables = {}
        for table in TABLES:
            result = await connection.execute(text(f"SELECT * FROM {table}"))
            found = [
                {key: value for key, value in row.items() if key not in COUNTERS.get(table, set())}
                for row in result.mappings()
            ]
            tables[table] = sorted(found, key=lambda row: json.dumps(row, sort_keys=True, default=str))
        return tables


async def recounts(context: AppContext) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Each stored counter, once the pending deltas are folded in, next to a recount from the rows
    it counts."""
    await fold(context.db.engine)
    async with context.db.engine.connect() as connection:
        favorites = await connection.execute(
            text(
                "SELECT id, favorites_count,"
                " (SELECT count(*) FROM favorites WHERE article_id = articles.id) FROM articles ORDER BY id"
            )
        )
        tags = await connection.execute(
            text(
                "SELECT id, articles_count,"
                " (SELECT count(*) FROM article_tags WHERE tag_id = tags.id) FROM tags ORDER BY id"
            )
        )
        return [tuple(row) for row in favorites], [tuple(row) for row in tags]


USER_COUNTER_MISMATCHES = text(
    "SELECT id, articles_count, favorites_count FROM users"
    " WHERE articles_count <> (SELECT count(*) FROM articles WHERE author_id = users.id)"
    " OR favorites_count <> (SELECT count(*) FROM favorites WHERE user_id = users.id)"
    " UNION ALL SELECT 0, value, (SELECT count(*) FROM articles) FROM counters"
    " WHERE name = 'articles' AND value <> (SELECT count(*) FROM articles)"
)


async def user_counter_mismatches(context: AppContext) -> list[tuple[Any, ...]]:
    """The per-user totals and the global article total that differ from a recount (folded first)."""
    await fold(context.db.engine)
    async with context.db.engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(USER_COUNTER_MISMATCHES)]


async def user_id(context: AppContext, username: str) -> int:
    async with context.db.engine.connect() as connection:
        found = await connection.scalar(
            text("SELECT id FROM users WHERE username = :name"), {"name": username}
        )
    assert isinstance(found, int)
    return found


def without(tables: dict[str, list[dict[str, Any]]], user: int, articles: set[int]) -> dict[str, Any]:
    """``tables`` minus every row of the user: what deleting their account must leave."""
    keep = {
        "users": lambda row: row["id"] != user,
        "follows": lambda row: user not in (row["follower_id"], row["followee_id"]),
        "articles": lambda row: row["author_id"] != user,
        "tags": lambda row: True,  # tags stay; only their counters change
        "article_tags": lambda row: row["article_id"] not in articles,
        "favorites": lambda row: row["user_id"] != user and row["article_id"] not in articles,
        "comments": lambda row: row["author_id"] != user and row["article_id"] not in articles,
    }
    return {table: [row for row in found if keep[table](row)] for table, found in tables.items()}


# --- export -------------------------------------------------------------------------------------


async def test_the_export_holds_everything_the_user_put_in(client: httpx.AsyncClient, scene: Scene) -> None:
    first, second = scene.jakes_articles

    response = await export(client, scene.jake["token"])

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == {
        "exportedAt": ANY_TIME,
        "profile": {
            "username": "jake",
            "email": "jake@example.com",
            "bio": "I work at statefarm",
            "image": None,
            "createdAt": ANY_TIME,
            "updatedAt": ANY_TIME,
        },
        "articles": [
            {
                "slug": first["slug"],
                "title": "Dragons",
                "description": first["description"],
                "body": "jake's first body",
                "tagList": ["dragons", "training"],
                "favoritesCount": 2,
                "createdAt": first["createdAt"],
                "updatedAt": first["updatedAt"],
            },
            {
                "slug": second["slug"],
                "title": "Eggs",
                "description": second["description"],
                "body": "jake's second body",
                "tagList": [],
                "favoritesCount": 0,
                "createdAt": second["createdAt"],
                "updatedAt": second["updatedAt"],
            },
        ],
        "comments": [
            {
                "id": written["id"],
                "article": slug,
                "body": written["body"],
                "createdAt": written["createdAt"],
                "updatedAt": written["updatedAt"],
            }
            for written, slug in zip(
                scene.jakes_comments, [first["slug"], scene.anns_article["slug"]], strict=True
            )
        ],
        "favorites": [
            {"slug": scene.anns_article["slug"], "favoritedAt": ANY_TIME},
            {"slug": first["slug"], "favoritedAt": ANY_TIME},
        ],
        "following": [{"username": "ann", "followedAt": ANY_TIME}],
        "followers": [{"username": "ann", "followedAt": ANY_TIME}],
    }


async def test_the_export_holds_nothing_that_others_wrote_and_no_secrets(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    response = await export(client, scene.jake["token"])

    document = response.text
    for foreign in ("ann@example.com", "bob", "ann's body", "Caves", "ann on jake's", "ann on her own"):
        assert foreign not in document
    for secret in (scene.jake["token"], "$argon2", "password", "token"):
        assert secret not in document


async def test_an_account_with_nothing_in_it_exports_empty_lists(client: httpx.AsyncClient) -> None:
    user = await register(client, "quiet")

    body = (await export(client, user["token"])).json()

    assert {key: value for key, value in body.items() if key not in ("exportedAt", "profile")} == {
        "articles": [],
        "comments": [],
        "favorites": [],
        "following": [],
        "followers": [],
    }
    assert body["profile"]["username"] == "quiet"


async def test_two_exports_of_the_same_data_are_identical(client: httpx.AsyncClient, scene: Scene) -> None:
    first = (await export(client, scene.jake["token"])).json()
    second = (await export(client, scene.jake["token"])).json()

    del first["exportedAt"], second["exportedAt"]
    assert first == second


@on_sqlite_only
async def test_the_export_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/user/export")

    assert response.status_code == 401
    assert response.json() == {"errors": {"body": ["authentication required"]}}


# --- delete -------------------------------------------------------------------------------------


async def test_deleting_removes_the_users_rows_and_nothing_else(
    client: httpx.AsyncClient, context: AppContext, scene: Scene
) -> None:
    jake_id = await user_id(context, "jake")
    before = await rows(context)
    jakes_articles = {row["id"] for row in before["articles"] if row["author_id"] == jake_id}

    response = await delete_account(client, scene.jake["token"])

    assert response.status_code == 204
    assert response.content == b""
    after = await rows(context)
    assert after == without(before, jake_id, jakes_articles)
    # What is left of the scene, in plain words:
    assert [user["username"] for user in after["users"]] == ["ann", "bob"]
    assert [comment["body"] for comment in after["comments"]] == ["ann on her own"]
    assert len(after["favorites"]) == 2  # ann's and bob's of ann's article
    assert len(after["follows"]) == 1  # bob follows ann


async def test_every_counter_equals_a_recount_after_deleting(
    client: httpx.AsyncClient, context: AppContext, scene: Scene
) -> None:
    await delete_account(client, scene.jake["token"])

    favorites, tags = await recounts(context)
    assert [(counted, recounted) for _, counted, recounted in favorites] == [(2, 2)]
    assert all(counted == recounted for _, counted, recounted in tags), tags
    assert await user_counter_mismatches(context) == []
    article = (await client.get(f"/api/articles/{scene.anns_article['slug']}")).json()["article"]
    assert article["favoritesCount"] == 2
    assert (await client.get("/api/tags")).json() == {"tags": ["dragons", "misc"]}


async def test_every_token_of_a_deleted_account_is_refused(client: httpx.AsyncClient, scene: Scene) -> None:
    login = await client.post(
        "/api/users/login", json={"user": {"email": "jake@example.com", "password": PASSWORD}}
    )
    other_token = login.json()["user"]["token"]

    await delete_account(client, scene.jake["token"])

    for token in (scene.jake["token"], other_token):
        response = await client.get("/api/user", headers=auth(token))
        assert response.status_code == 401
        assert response.json() == {"errors": {"body": ["token is no longer valid"]}}
    signing_in = await client.post(
        "/api/users/login", json={"user": {"email": "jake@example.com", "password": PASSWORD}}
    )
    assert signing_in.status_code == 401


async def test_the_username_and_email_can_be_registered_again(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    await delete_account(client, scene.jake["token"])

    again = await register(client, "jake", password="another passphrase")

    assert again["email"] == "jake@example.com"
    profile = await client.get("/api/profiles/jake", headers=auth(scene.ann["token"]))
    assert profile.json() == {"profile": {"username": "jake", "bio": None, "image": None, "following": False}}
    listed = await client.get("/api/articles", params={"author": "jake"})
    assert listed.json() == {"articles": [], "articlesCount": 0}
    assert (await export(client, again["token"])).json()["followers"] == []


async def test_a_wrong_password_is_refused_and_deletes_nothing(
    client: httpx.AsyncClient, context: AppContext, scene: Scene
) -> None:
    before = await rows(context)

    response = await delete_account(client, scene.jake["token"], password="not my password")

    assert response.status_code == 403
    assert response.json() == {"errors": {"body": ["password is invalid"], "password": ["is invalid"]}}
    assert await rows(context) == before
    assert (await client.get("/api/user", headers=auth(scene.jake["token"]))).status_code == 200


@on_sqlite_only
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"user": {"password": ""}}, {"body": ["password can't be blank"], "password": ["can't be blank"]}),
        ({"user": {}}, {"body": ["password can't be blank"], "password": ["can't be blank"]}),
        (
            {"user": {"password": 12345678}},
            {"body": ["password must be a string"], "password": ["must be a string"]},
        ),
        ({}, {"body": ["user can't be blank"], "user": ["can't be blank"]}),
    ],
)
async def test_a_missing_password_is_refused_and_deletes_nothing(
    client: httpx.AsyncClient, body: dict[str, Any], expected: dict[str, Any]
) -> None:
    user = await register(client)

    response = await client.request("DELETE", "/api/user", json=body, headers=auth(user["token"]))

    assert response.status_code == 422
    assert response.json() == {"errors": expected}
    assert (await client.get("/api/user", headers=auth(user["token"]))).status_code == 200


@on_sqlite_only
async def test_deleting_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.request("DELETE", "/api/user", json={"user": {"password": PASSWORD}})

    assert response.status_code == 401
    assert response.json() == {"errors": {"body": ["authentication required"]}}


@on_sqlite_only
async def test_wrong_passwords_spend_the_failed_sign_in_budget(database_url: str) -> None:
    application = create_app(make_settings(database_url, rate_limit_failed_logins="2/minute"))
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            user = await register(client, "jake")
            failed_login = await client.post(
                "/api/users/login", json={"user": {"email": "jake@example.com", "password": "guess one"}}
            )
            wrong = await delete_account(client, user["token"], password="guess two")

            refused = await delete_account(client, user["token"])

            assert (failed_login.status_code, wrong.status_code) == (401, 403)
            assert refused.status_code == 429
            assert refused.json() == {
                "errors": {"body": ["too many failed sign-in attempts; try again later"]}
            }
            assert (await client.get("/api/user", headers=auth(user["token"]))).status_code == 200
