"""Comments on an article: adding (shape, validation, 401/404), listing (newest first, the viewer's
``following`` flag) and deleting (author only, 404 for unknown or foreign ids, 422 for a bad id)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Comment
from app.services.context import AppContext
from tests.helpers import auth, create_article, register

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


async def _add(
    client: httpx.AsyncClient, token: str, slug: str, body: str = "Nice article"
) -> dict[str, Any]:
    response = await client.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": body}}, headers=auth(token)
    )
    assert response.status_code == 200, response.text
    comment: dict[str, Any] = response.json()["comment"]
    return comment


async def _comments(client: httpx.AsyncClient, slug: str, token: str | None = None) -> list[dict[str, Any]]:
    response = await client.get(f"/api/articles/{slug}/comments", headers=auth(token) if token else {})
    assert response.status_code == 200, response.text
    comments: list[dict[str, Any]] = response.json()["comments"]
    return comments


# --- add ----------------------------------------------------------------------------------------


# DECISIONS: POST .../comments answers 200.
async def test_adding_a_comment_returns_200_with_the_comment(client: httpx.AsyncClient) -> None:
    author, reader = await register(client), await register(client)
    article = await create_article(client, author["token"])

    response = await client.post(
        f"/api/articles/{article['slug']}/comments",
        json={"comment": {"body": "His name was my name too."}},
        headers=auth(reader["token"]),
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    comment = response.json()["comment"]
    assert set(comment) == {"id", "createdAt", "updatedAt", "body", "author"}
    assert isinstance(comment["id"], int)
    assert TIMESTAMP.match(comment["createdAt"])
    assert comment["updatedAt"] == comment["createdAt"]
    assert comment["body"] == "His name was my name too."
    assert comment["author"] == {
        "username": reader["username"],
        "bio": None,
        "image": None,
        "following": False,
    }


async def test_a_comment_keeps_its_body_exactly(client: httpx.AsyncClient) -> None:
    author = await register(client)
    article = await create_article(client, author["token"])
    body = "  Line one\n\n**Markdown** <b>and</b> émojis 🐉  "

    comment = await _add(client, author["token"], article["slug"], body)

    assert comment["body"] == body
    assert (await _comments(client, article["slug"]))[0]["body"] == body


async def test_the_added_comment_shows_following_as_the_commenter_sees_it(
    client: httpx.AsyncClient,
) -> None:
    author, reader = await register(client), await register(client)
    article = await create_article(client, author["token"])
    follow = await client.post(f"/api/profiles/{author['username']}/follow", headers=auth(reader["token"]))
    assert follow.status_code == 200

    comment = await _add(client, author["token"], article["slug"])

    assert comment["author"]["following"] is False
    assert (await _comments(client, article["slug"], reader["token"]))[0]["author"]["following"] is True


@pytest.mark.parametrize(
    ("payload", "field", "problem"),
    [
        ({"comment": {"body": ""}}, "body", "can't be blank"),
        ({"comment": {"body": " \n\t "}}, "body", "can't be blank"),
        ({"comment": {}}, "body", "can't be blank"),
        ({"comment": {"body": None}}, "body", "can't be blank"),
        ({"comment": {"body": 42}}, "body", "must be a string"),
        ({"comment": None}, "comment", "can't be blank"),
        ({}, "comment", "can't be blank"),
    ],
)
async def test_an_invalid_comment_is_refused(
    client: httpx.AsyncClient, payload: dict[str, Any], field: str, problem: str
) -> None:
    author = await register(client)
    article = await create_article(client, author["token"])

    response = await client.post(
        f"/api/articles/{article['slug']}/comments", json=payload, headers=auth(author["token"])
    )

    assert response.status_code == 422
    # A field named "body" gets no key of its own: the envelope's "body" already names it.
    expected: dict[str, list[str]] = {"body": [f"{field} {problem}"]}
    if field != "body":
        expected[field] = [problem]
    assert response.json() == {"errors": expected}
    assert await _comments(client, article["slug"]) == []


async def test_commenting_on_an_unknown_article_is_404(client: httpx.AsyncClient) -> None:
    user = await register(client)

    response = await client.post(
        "/api/articles/no-such-article/comments",
        json={"comment": {"body": "Hello"}},
        headers=auth(user["token"]),
    )

    assert response.status_code == 404
    assert response.json() == {"errors": {"body": ["article not found"]}}


async def test_commenting_anonymously_is_401(client: httpx.AsyncClient) -> None:
    author = await register(client)
    article = await create_article(client, author["token"])

    response = await client.post(
        f"/api/articles/{article['slug']}/comments", json={"comment": {"body": "Hi"}}
    )

    assert response.status_code == 401
    assert response.json() == {"errors": {"body": ["authentication required"]}}
    assert await _comments(client, article["slug"]) == []


# --- list ---------------------------------------------------------------------------------------


async def test_an_article_without_comments_lists_none(client: httpx.AsyncClient) -> None:
    author = await register(client)
    article = await create_article(client, author["token"])

    response = await client.get(f"/api/articles/{article['slug']}/comments")

    assert response.status_code == 200
    assert response.json() == {"comments": []}


# DECISIONS: comments are newest first.
async def test_comments_are_listed_newest_first(client: httpx.AsyncClient) -> None:
    author, reader = await register(client), await register(client)
    article = await create_article(client, author["token"])
    added = [await _add(client, reader["token"], article["slug"], f"Comment {number}") for number in range(3)]

    listed = await _comments(client, article["slug"])

    assert listed == list(reversed(added))


async def test_comment_order_follows_creation_time_not_insertion_order(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    author = await register(client)
    article = await create_article(client, author["token"])
    first = await _add(client, author["token"], article["slug"], "Added first, dated latest")
    second = await _add(client, author["token"], article["slug"], "Added second, dated earliest")

    async def redate(session: AsyncSession) -> None:
        await session.execute(
            update(Comment)
            .where(Comment.id == first["id"])
            .values(created_at=datetime(2030, 1, 1, tzinfo=UTC))
        )
        await session.execute(
            update(Comment)
            .where(Comment.id == second["id"])
            .values(created_at=datetime(2020, 1, 1, tzinfo=UTC))
        )

    await context.db.write(redate)

    listed = await _comments(client, article["slug"])

    assert [comment["id"] for comment in listed] == [first["id"], second["id"]]
    assert [comment["createdAt"] for comment in listed] == [
        "2030-01-01T00:00:00.000Z",
        "2020-01-01T00:00:00.000Z",
    ]


async def test_comments_of_other_articles_are_not_listed(client: httpx.AsyncClient) -> None:
    author = await register(client)
    article = await create_article(client, author["token"], title="This one")
    other = await create_article(client, author["token"], title="Other one")
    mine = await _add(client, author["token"], article["slug"])
    await _add(client, author["token"], other["slug"])

    assert await _comments(client, article["slug"]) == [mine]


async def test_listing_comments_of_an_unknown_article_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/articles/no-such-article/comments")

    assert response.status_code == 404
    assert response.json() == {"errors": {"body": ["article not found"]}}


async def test_the_following_flag_reflects_the_signed_in_viewer(client: httpx.AsyncClient) -> None:
    article_author, followed, stranger, viewer = [await register(client) for _ in range(4)]
    article = await create_article(client, article_author["token"])
    await _add(client, followed["token"], article["slug"], "From followed")
    await _add(client, stranger["token"], article["slug"], "From stranger")
    follow = await client.post(f"/api/profiles/{followed['username']}/follow", headers=auth(viewer["token"]))
    assert follow.status_code == 200

    as_viewer = await _comments(client, article["slug"], viewer["token"])
    as_anonymous = await _comments(client, article["slug"])

    assert {comment["body"]: comment["author"]["following"] for comment in as_viewer} == {
        "From followed": True,
        "From stranger": False,
    }
    assert {comment["body"]: comment["author"]["following"] for comment in as_anonymous} == {
        "From followed": False,
        "From stranger": False,
    }


# --- delete -------------------------------------------------------------------------------------


# DECISIONS: DELETE .../comments/{id} is 204 with an empty body.
async def test_the_author_deletes_a_comment_with_204(client: httpx.AsyncClient) -> None:
    author, reader = await register(client), await register(client)
    article = await create_article(client, author["token"])
    doomed = await _add(client, reader["token"], article["slug"], "Doomed")
    kept = await _add(client, reader["token"], article["slug"], "Kept")

    response = await client.delete(
        f"/api/articles/{article['slug']}/comments/{doomed['id']}", headers=auth(reader["token"])
    )

    assert response.status_code == 204
    assert response.content == b""
    assert await _comments(client, article["slug"]) == [kept]


# DECISIONS: only the comment's author may delete it (403 otherwise).
@pytest.mark.parametrize("who", ["article author", "stranger"])
async def test_only_the_comment_author_may_delete_it(client: httpx.AsyncClient, who: str) -> None:
    article_author, commenter, stranger = (
        await register(client),
        await register(client),
        await register(client),
    )
    article = await create_article(client, article_author["token"])
    comment = await _add(client, commenter["token"], article["slug"])
    intruder = article_author if who == "article author" else stranger

    response = await client.delete(
        f"/api/articles/{article['slug']}/comments/{comment['id']}", headers=auth(intruder["token"])
    )

    assert response.status_code == 403
    assert response.json() == {"errors": {"body": ["only the author may delete this comment"]}}
    assert await _comments(client, article["slug"]) == [comment]


async def test_deleting_a_comment_anonymously_is_401(client: httpx.AsyncClient) -> None:
    author = await register(client)
    article = await create_article(client, author["token"])
    comment = await _add(client, author["token"], article["slug"])

    response = await client.delete(f"/api/articles/{article['slug']}/comments/{comment['id']}")

    assert response.status_code == 401
    assert response.json() == {"errors": {"body": ["authentication required"]}}
    assert await _comments(client, article["slug"]) == [comment]


async def test_deleting_an_unknown_comment_is_404(client: httpx.AsyncClient) -> None:
    author = await register(client)
    article = await create_article(client, author["token"])
    comment = await _add(client, author["token"], article["slug"])

    response = await client.delete(
        f"/api/articles/{article['slug']}/comments/{comment['id'] + 1000}", headers=auth(author["token"])
    )

    assert response.status_code == 404
    assert response.json() == {"errors": {"body": ["comment not found"]}}


async def test_deleting_a_comment_twice_is_404_the_second_time(client: httpx.AsyncClient) -> None:
    author = await register(client)
    article = await create_article(client, author["token"])
    comment = await _add(client, author["token"], article["slug"])
    path = f"/api/articles/{article['slug']}/comments/{comment['id']}"
    assert (await client.delete(path, headers=auth(author["token"]))).status_code == 204

    response = await client.delete(path, headers=auth(author["token"]))

    assert response.status_code == 404
    assert response.json() == {"errors": {"body": ["comment not found"]}}


async def test_deleting_a_comment_of_an_unknown_article_is_404(client: httpx.AsyncClient) -> None:
    author = await register(client)
    article = await create_article(client, author["token"])
    comment = await _add(client, author["token"], article["slug"])

    response = await client.delete(
        f"/api/articles/no-such-article/comments/{comment['id']}", headers=auth(author["token"])
    )

    assert response.status_code == 404
    assert response.json() == {"errors": {"body": ["article not found"]}}
    assert await _comments(client, article["slug"]) == [comment]


# DECISIONS: a comment id that does not belong to the article in the path is 404.
async def test_a_comment_id_from_another_article_is_404(client: httpx.AsyncClient) -> None:
    author = await register(client)
    article = await create_article(client, author["token"], title="Home of the comment")
    other = await create_article(client, author["token"], title="Somewhere else")
    comment = await _add(client, author["token"], article["slug"])

    response = await client.delete(
        f"/api/articles/{other['slug']}/comments/{comment['id']}", headers=auth(author["token"])
    )

    assert response.status_code == 404
    assert response.json() == {"errors": {"body": ["comment not found"]}}
    assert await _comments(client, article["slug"]) == [comment]


# DECISIONS: malformed path parameters are 422.
@pytest.mark.parametrize(
    ("comment_id", "problem"),
    [
        ("abc", "must be an integer"),
        ("1.5", "must be an integer"),
        ("0", "must be greater than or equal to 1"),
        ("-3", "must be greater than or equal to 1"),
        ("99999999999999999999", "must be less than or equal to 9223372036854775807"),
    ],
)
async def test_a_comment_id_that_is_not_a_positive_integer_is_422(
    client: httpx.AsyncClient, comment_id: str, problem: str
) -> None:
    author = await register(client)
    article = await create_article(client, author["token"])

    response = await client.delete(
        f"/api/articles/{article['slug']}/comments/{comment_id}", headers=auth(author["token"])
    )

    assert response.status_code == 422
    assert response.json() == {"errors": {"body": [f"id {problem}"], "id": [problem]}}
