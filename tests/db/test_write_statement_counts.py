"""Round trips per write: each write runs a pinned number of SQL statements, on each engine.

The reads' counts are pinned in ``test_statement_counts.py``; these are the writes'. Each count is
every statement the request sends (BEGIN, COMMIT and savepoints left out), the check of the
caller's token and the view it answers with included. A new statement on a write path is a
deliberate change to this contract, made here.

What the counts include besides the write itself, per engine: the caller's token check (one
``SELECT`` of the user and their session), the answer's view (one; a favorite's reads the
article's visibility for its event under a share lock, in the same statement), the event
(PostgreSQL: ``pg_notify`` inside the transaction when the events go through PostgreSQL; SQLite:
none, dispatched in the process; a comment's event reads its article's visibility under a share
lock, one ``SELECT``) and, registering, the new session's ``INSERT``. No process caches responses
here, so no write raises the response cache's generation (``app/db/generation.py``). Deleting
an article on SQLite also drops its pending counter deltas (SQLite reuses ids: ``deltas.forget_article``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from app.services.context import AppContext
from tests.helpers import auth, count_statements, create_article, register, unique_name

# Statements per write and engine (at 8d0bc0f, before counters moved to deltas, on SQLite: register
# 4, create 12, update 17, delete 10, comment 5, delete comment 5, favorite 7, unfavorite 7, follow 4,
# unfollow 4).
WRITE_STATEMENTS: dict[str, dict[str, int]] = {
    "register": {"sqlite": 3, "postgresql": 3},
    "create article": {"sqlite": 6, "postgresql": 7},
    "update article": {"sqlite": 10, "postgresql": 10},
    "delete article": {"sqlite": 8, "postgresql": 8},
    "comment": {"sqlite": 4, "postgresql": 5},
    "delete comment": {"sqlite": 4, "postgresql": 5},
    "favorite": {"sqlite": 4, "postgresql": 5},
    "unfavorite": {"sqlite": 4, "postgresql": 5},
    "follow": {"sqlite": 3, "postgresql": 4},
    "unfollow": {"sqlite": 3, "postgresql": 4},
}

Write = Callable[[httpx.AsyncClient, dict[str, Any], dict[str, Any]], Awaitable[httpx.Response]]


async def _register(
    client: httpx.AsyncClient, _writer: dict[str, Any], _other: dict[str, Any]
) -> httpx.Response:
    name = unique_name()
    user = {"username": name, "email": f"{name}@example.com", "password": "correct horse battery"}
    return await client.post("/api/users", json={"user": user})


async def _create(
    client: httpx.AsyncClient, writer: dict[str, Any], _other: dict[str, Any]
) -> httpx.Response:
    article = {"title": "Dragons", "description": "Beasts", "body": "Fire", "tagList": ["myth", "zoology"]}
    return await client.post("/api/articles", json={"article": article}, headers=auth(writer["token"]))


async def _update(
    client: httpx.AsyncClient, writer: dict[str, Any], _other: dict[str, Any]
) -> httpx.Response:
    slug = (await create_article(client, writer["token"], tags=["myth", "zoology"]))["slug"]
    change = {"title": "Gardens", "tagList": ["myth", "botany"]}
    return await client.put(f"/api/articles/{slug}", json={"article": change}, headers=auth(writer["token"]))


async def _delete(client: httpx.AsyncClient, writer: dict[str, Any], other: dict[str, Any]) -> httpx.Response:
    slug = (await create_article(client, writer["token"], tags=["myth", "zoology"]))["slug"]
    await client.post(f"/api/articles/{slug}/favorite", headers=auth(other["token"]))
    return await client.delete(f"/api/articles/{slug}", headers=auth(writer["token"]))


async def _comment(
    client: httpx.AsyncClient, writer: dict[str, Any], other: dict[str, Any]
) -> httpx.Response:
    slug = (await create_article(client, other["token"]))["slug"]
    body = {"comment": {"body": "Nice"}}
    return await client.post(f"/api/articles/{slug}/comments", json=body, headers=auth(writer["token"]))


async def _delete_comment(
    client: httpx.AsyncClient, writer: dict[str, Any], other: dict[str, Any]
) -> httpx.Response:
    slug = (await create_article(client, other["token"]))["slug"]
    url = f"/api/articles/{slug}/comments"
    made = await client.post(url, json={"comment": {"body": "Nice"}}, headers=auth(writer["token"]))
    return await client.delete(f"{url}/{made.json()['comment']['id']}", headers=auth(writer["token"]))


async def _favorite(
    client: httpx.AsyncClient, writer: dict[str, Any], other: dict[str, Any]
) -> httpx.Response:
    slug = (await create_article(client, other["token"]))["slug"]
    return await client.post(f"/api/articles/{slug}/favorite", headers=auth(writer["token"]))


async def _unfavorite(
    client: httpx.AsyncClient, writer: dict[str, Any], other: dict[str, Any]
) -> httpx.Response:
    slug = (await create_article(client, other["token"]))["slug"]
    await client.post(f"/api/articles/{slug}/favorite", headers=auth(writer["token"]))
    return await client.delete(f"/api/articles/{slug}/favorite", headers=auth(writer["token"]))


async def _follow(client: httpx.AsyncClient, writer: dict[str, Any], other: dict[str, Any]) -> httpx.Response:
    return await client.post(f"/api/profiles/{other['username']}/follow", headers=auth(writer["token"]))


async def _unfollow(
    client: httpx.AsyncClient, writer: dict[str, Any], other: dict[str, Any]
) -> httpx.Response:
    await client.post(f"/api/profiles/{other['username']}/follow", headers=auth(writer["token"]))
    return await client.delete(f"/api/profiles/{other['username']}/follow", headers=auth(writer["token"]))


WRITES: dict[str, Write] = {
    "register": _register,
    "create article": _create,
    "update article": _update,
    "delete article": _delete,
    "comment": _comment,
    "delete comment": _delete_comment,
    "favorite": _favorite,
    "unfavorite": _unfavorite,
    "follow": _follow,
    "unfollow": _unfollow,
}


@pytest.mark.parametrize("write", list(WRITES))
async def test_each_write_runs_a_pinned_number_of_statements(
    client: httpx.AsyncClient, context: AppContext, write: str
) -> None:
    writer, other = await register(client), await register(client)
    engine = context.db.engine
    # Every request of the scenario is counted on its own; the last one is the write under test
    # (the others set it up).
    counted: list[list[str]] = []
    original_send = client.send

    async def send(request: httpx.Request, **options: Any) -> httpx.Response:
        with count_statements(engine) as counter:
            response = await original_send(request, **options)
        counted.append(counter.statements)
        return response

    client.send = send  # type: ignore[method-assign]
    try:
        final = await WRITES[write](client, writer, other)
    finally:
        client.send = original_send  # type: ignore[method-assign]

    assert final.is_success, final.text
    expected = WRITE_STATEMENTS[write][engine.dialect.name]
    statements = "\n".join(statement.split("\n")[0][:100] for statement in counted[-1])
    assert len(counted[-1]) == expected, f"{write}: {len(counted[-1])} statements:\n{statements}"
