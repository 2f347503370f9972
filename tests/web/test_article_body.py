"""An article's body is rendered once, when it is written, and the page shows the stored HTML.

The render runs in a worker thread before the write's transaction: while it runs, other requests
are answered, writes included (on SQLite a transaction held open would hold the write lock). A
view renders nothing. The API's ``body`` stays the Markdown exactly as written.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import text

from app import markdown
from app.schemas.articles import BODY_MAX
from app.services.context import AppContext
from tests.helpers import auth, create_article, register

MARKDOWN = "# Training\n\nYou have to *believe*.  \n<script>alert(1)</script>"
HTML = "<h2>Training</h2>\n<p>You have to <em>believe</em>.<br>\n&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
# The slowest body found for its length (tests/unit/test_markdown.py).
SLOW_BODY = ("![" * BODY_MAX)[:BODY_MAX]
GATE_SECONDS = 30


def _article_body(page: str) -> str:
    body = page[page.index('<div class="article-body">') + len('<div class="article-body">') :]
    return body[: body.index("</div>")]


def _refuse_to_render(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_text: str) -> str:
        raise AssertionError("a view rendered Markdown")

    monkeypatch.setattr(markdown, "render_markdown", refuse)


async def test_the_page_shows_the_html_stored_when_the_article_was_written(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    author = await register(client)
    article = await create_article(client, author["token"], body=MARKDOWN)
    _refuse_to_render(monkeypatch)

    page = await client.get(f"/article/{article['slug']}")
    api = await client.get(f"/api/articles/{article['slug']}")

    assert page.status_code == 200
    assert _article_body(page.text) == HTML
    assert article["body"] == api.json()["article"]["body"] == MARKDOWN


async def test_a_new_body_stores_new_html_and_other_edits_keep_it(client: httpx.AsyncClient) -> None:
    author = await register(client)
    article = await create_article(client, author["token"], body="first *version*")
    url = f"/api/articles/{article['slug']}"

    edited = await client.put(url, json={"article": {"body": MARKDOWN}}, headers=auth(author["token"]))
    retitled = await client.put(
        url, json={"article": {"description": "Another"}}, headers=auth(author["token"])
    )

    assert edited.status_code == retitled.status_code == 200
    assert retitled.json()["article"]["body"] == MARKDOWN
    assert _article_body((await client.get(f"/article/{article['slug']}")).text) == HTML


async def test_a_view_of_the_slowest_body_renders_nothing(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    author = await register(client)
    article = await create_article(client, author["token"], body=SLOW_BODY)
    _refuse_to_render(monkeypatch)

    page = await client.get(f"/article/{article['slug']}")

    assert page.status_code == 200
    assert _article_body(page.text) == f"<p>{SLOW_BODY}</p>\n"


class Gate:
    """Holds the rendering of ``SLOW_BODY`` (in its worker thread) until the test opens the gate."""

    def __init__(self, render: Callable[[str], str]) -> None:
        self.entered, self.opened = threading.Event(), threading.Event()
        self._render = render

    def render(self, text: str) -> str:
        if text == SLOW_BODY:
            self.entered.set()
            # On the event loop's thread (the old way), this would stall every request until it
            # gave up.
            self.opened.wait(GATE_SECONDS)
        return self._render(text)


async def test_other_requests_and_writes_are_served_while_a_write_renders_its_body(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    author = await register(client)
    gate = Gate(markdown.render_markdown)
    monkeypatch.setattr(markdown, "render_markdown", gate.render)
    new_article = {"article": {"title": "Slow", "description": "d", "body": SLOW_BODY, "tagList": []}}
    writing = asyncio.create_task(
        client.post("/api/articles", json=new_article, headers=auth(author["token"]))
    )
    try:
        assert await asyncio.to_thread(gate.entered.wait, GATE_SECONDS)

        tags = await client.get("/api/tags")
        # A write of its own: on SQLite it needs the write lock, which a transaction left open
        # around the render would hold.
        other = await create_article(client, (await register(client))["token"], title="Meanwhile")

        assert not writing.done()
    finally:
        gate.opened.set()
    written = await writing

    assert tags.status_code == 200
    assert other["title"] == "Meanwhile"
    assert written.status_code == 201
    assert written.json()["article"]["body"] == SLOW_BODY


async def test_an_article_written_without_html_by_the_release_before_is_rendered_when_shown(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    author = await register(client)
    article = await create_article(client, author["token"], body=MARKDOWN)
    # What a process of the previous release leaves while the release rolls: the column's default.
    async with context.db.engine.begin() as connection:
        await connection.execute(text("UPDATE articles SET body_html = ''"))

    page = await client.get(f"/article/{article['slug']}")

    assert _article_body(page.text) == HTML
