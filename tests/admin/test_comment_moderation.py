"""Hiding, showing and deleting comments from the admin console, on both engines.

A hidden comment is in no comment list (API and page) for anyone, its author included, and its
author can no longer delete it; showing it puts it back. Deleting removes it. Readers watching the
article are told the list changed. Each change writes one audit entry.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.services.context import AppContext
from tests.admin.support import audit_log, run_action
from tests.helpers import auth, create_article, register
from tests.sse import StreamingASGITransport, open_events
from tests.web.helpers import browser, sign_in_browserless


@pytest.fixture
async def article(client: httpx.AsyncClient) -> dict[str, Any]:
    author = await register(client)
    return await create_article(client, author["token"])


@pytest.fixture
async def commenter(client: httpx.AsyncClient) -> dict[str, Any]:
    return await register(client)


async def comment_on(
    client: httpx.AsyncClient, article: dict[str, Any], user: dict[str, Any], body: str
) -> int:
    response = await client.post(
        f"/api/articles/{article['slug']}/comments",
        json={"comment": {"body": body}},
        headers=auth(user["token"]),
    )
    assert response.status_code == 200
    comment_id: int = response.json()["comment"]["id"]
    return comment_id


async def comment_bodies(
    client: httpx.AsyncClient, article: dict[str, Any], user: dict[str, Any] | None = None
) -> list[str]:
    headers = auth(user["token"]) if user else {}
    response = await client.get(f"/api/articles/{article['slug']}/comments", headers=headers)
    assert response.status_code == 200
    return [comment["body"] for comment in response.json()["comments"]]


async def moderate(console: httpx.AsyncClient, action: str, *comment_ids: int) -> None:
    response = await run_action(console, "comment", action, *comment_ids)
    assert response.status_code == 303, response.text
    assert "error" not in response.headers["location"]


async def test_a_hidden_comment_is_in_no_comment_list_for_anyone(
    client: httpx.AsyncClient, console: httpx.AsyncClient, article: dict[str, Any], commenter: dict[str, Any]
) -> None:
    await comment_on(client, article, commenter, "Thanks, useful")
    spam = await comment_on(client, article, commenter, "Cheap pills here")

    await moderate(console, "hide", spam)

    assert await comment_bodies(client, article) == ["Thanks, useful"]
    assert await comment_bodies(client, article, commenter) == ["Thanks, useful"]


async def test_a_hidden_comment_is_not_on_the_article_page(
    app: FastAPI,
    client: httpx.AsyncClient,
    console: httpx.AsyncClient,
    article: dict[str, Any],
    commenter: dict[str, Any],
) -> None:
    spam = await comment_on(client, article, commenter, "Cheap pills here")
    await moderate(console, "hide", spam)

    async with browser(app) as their_browser:
        await sign_in_browserless(their_browser, commenter["email"])
        page = await their_browser.get(f"/article/{article['slug']}")
        fragment = await their_browser.get(f"/article/{article['slug']}/comments")

    assert page.status_code == fragment.status_code == 200
    assert "Cheap pills here" not in page.text
    assert "Cheap pills here" not in fragment.text


async def test_its_author_cannot_delete_a_hidden_comment(
    client: httpx.AsyncClient, console: httpx.AsyncClient, article: dict[str, Any], commenter: dict[str, Any]
) -> None:
    spam = await comment_on(client, article, commenter, "Cheap pills here")
    await moderate(console, "hide", spam)

    response = await client.delete(
        f"/api/articles/{article['slug']}/comments/{spam}", headers=auth(commenter["token"])
    )

    assert response.status_code == 404
    assert response.json() == {"errors": {"body": ["comment not found"]}}


async def test_readers_watching_the_article_see_a_hidden_comment_go(
    app: FastAPI,
    client: httpx.AsyncClient,
    console: httpx.AsyncClient,
    article: dict[str, Any],
    commenter: dict[str, Any],
) -> None:
    spam = await comment_on(client, article, commenter, "Cheap pills here")
    transport = StreamingASGITransport(app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as reader,
        open_events(reader, article=article["slug"]) as stream,
    ):
        await moderate(console, "hide", spam)
        gone = await stream.next_event()

    assert gone.event == "comment.deleted"
    assert gone.json() == {"type": "comment.deleted", "slug": article["slug"], "commentId": spam}


async def test_showing_a_comment_again_puts_it_back(
    client: httpx.AsyncClient, console: httpx.AsyncClient, article: dict[str, Any], commenter: dict[str, Any]
) -> None:
    spam = await comment_on(client, article, commenter, "Not spam after all")
    await moderate(console, "hide", spam)

    await moderate(console, "unhide", spam)

    assert await comment_bodies(client, article) == ["Not spam after all"]


async def test_deleting_comments_removes_them(
    client: httpx.AsyncClient, console: httpx.AsyncClient, article: dict[str, Any], commenter: dict[str, Any]
) -> None:
    keep = await comment_on(client, article, commenter, "Thanks, useful")
    first = await comment_on(client, article, commenter, "Spam one")
    second = await comment_on(client, article, commenter, "Spam two")
    await moderate(console, "hide", second)

    await moderate(console, "delete", first, second)

    assert await comment_bodies(client, article) == ["Thanks, useful"]
    await moderate(console, "unhide", keep)  # still there to act on; the deleted ones are not
    response = await run_action(console, "comment", "unhide", second)
    assert (
        response.headers["location"]
        == f"http://testserver/admin/comment/list?error=comment+{second}+not+found"
    )


async def test_each_change_is_audited_with_what_the_comment_was(
    client: httpx.AsyncClient,
    context: AppContext,
    console: httpx.AsyncClient,
    article: dict[str, Any],
    commenter: dict[str, Any],
    staff: dict[str, Any],
) -> None:
    spam = await comment_on(client, article, commenter, "Cheap pills here")

    for action in ("hide", "unhide", "delete"):
        await moderate(console, action, spam)

    detail = {"article": article["slug"], "author": commenter["username"], "body": "Cheap pills here"}
    assert await audit_log(context) == [
        (staff["username"], "hide", "comment", spam, detail),
        (staff["username"], "unhide", "comment", spam, detail),
        (staff["username"], "delete", "comment", spam, detail),
    ]
