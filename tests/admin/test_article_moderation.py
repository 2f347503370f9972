"""Hiding, showing and deleting articles from the admin console, on both engines.

A hidden article is 404 to everyone but its author (API and page, and so are its comments,
favorites and live stream), and it is in no list, feed or count for anyone, tags included.
Showing it again puts it back. Deleting removes it for everyone and keeps every tag's count right,
also for an article that was hidden. Each change writes one audit entry.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.services.context import AppContext
from tests.admin.support import FROM_THE_CONSOLE, article_id, audit_log, run_action, tag_counts
from tests.helpers import auth, create_article, register
from tests.web.helpers import browser, sign_in_browserless

NOT_FOUND = {"errors": {"body": ["article not found"]}}


async def moderate(
    console: httpx.AsyncClient, context: AppContext, action: str, *articles: dict[str, Any]
) -> None:
    ids = [await article_id(context, article["slug"]) for article in articles]
    response = await run_action(console, "article", action, *ids)
    assert response.status_code == 303, response.text
    assert "error" not in response.headers["location"]


@pytest.fixture
async def author(client: httpx.AsyncClient) -> dict[str, Any]:
    return await register(client)


@pytest.fixture
async def reader(client: httpx.AsyncClient, author: dict[str, Any]) -> dict[str, Any]:
    """Someone who follows the author, so the author's articles are in their feed."""
    user = await register(client)
    response = await client.post(f"/api/profiles/{author['username']}/follow", headers=auth(user["token"]))
    assert response.status_code == 200
    return user


@pytest.fixture
async def hidden(
    client: httpx.AsyncClient,
    context: AppContext,
    console: httpx.AsyncClient,
    author: dict[str, Any],
    reader: dict[str, Any],
) -> dict[str, Any]:
    """An article tagged "spam" (no other article has it) and "news" (another visible article has it
    too), favorited by the reader, then hidden by staff."""
    await create_article(client, author["token"], title="Still visible", tags=["news"])
    article = await create_article(client, author["token"], title="Buy now", tags=["spam", "news"])
    favorited = await client.post(f"/api/articles/{article['slug']}/favorite", headers=auth(reader["token"]))
    assert favorited.status_code == 200
    await moderate(console, context, "hide", article)
    return article


@pytest.mark.parametrize("viewer", ["anonymous", "reader", "staff"])
async def test_a_hidden_article_is_404_to_everyone_but_its_author(
    client: httpx.AsyncClient,
    hidden: dict[str, Any],
    reader: dict[str, Any],
    staff: dict[str, Any],
    viewer: str,
) -> None:
    headers = {"reader": auth(reader["token"]), "staff": auth(staff["token"]), "anonymous": {}}[viewer]

    response = await client.get(f"/api/articles/{hidden['slug']}", headers=headers)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


async def test_its_author_still_reads_it(
    client: httpx.AsyncClient, hidden: dict[str, Any], author: dict[str, Any]
) -> None:
    response = await client.get(f"/api/articles/{hidden['slug']}", headers=auth(author["token"]))

    assert response.status_code == 200
    assert response.json()["article"]["title"] == "Buy now"


async def test_its_page_is_404_to_others_and_shown_to_its_author(
    app: FastAPI,
    client: httpx.AsyncClient,
    hidden: dict[str, Any],
    author: dict[str, Any],
    reader: dict[str, Any],
) -> None:
    async with browser(app) as author_browser, browser(app) as reader_browser:
        await sign_in_browserless(author_browser, author["email"])
        await sign_in_browserless(reader_browser, reader["email"])

        for_author = await author_browser.get(f"/article/{hidden['slug']}")
        for_reader = await reader_browser.get(f"/article/{hidden['slug']}")
        for_anyone = await client.get(f"/article/{hidden['slug']}")

    assert for_author.status_code == 200
    assert "Buy now" in for_author.text
    assert for_reader.status_code == for_anyone.status_code == 404
    assert "Buy now" not in for_reader.text


@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/api/articles", "anonymous"),
        ("/api/articles", "author"),
        ("/api/articles?tag=spam", "anonymous"),
        ("/api/articles?tag=news", "author"),
        ("/api/articles?author={author}", "author"),
        ("/api/articles?favorited={reader}", "reader"),
        ("/api/articles/feed", "reader"),
    ],
)
async def test_a_hidden_article_is_in_no_list_or_feed_or_count(
    client: httpx.AsyncClient,
    hidden: dict[str, Any],
    author: dict[str, Any],
    reader: dict[str, Any],
    path: str,
    who: str,
) -> None:
    people = {"author": author, "reader": reader}
    headers = auth(people[who]["token"]) if who in people else {}

    response = await client.get(
        path.format(author=author["username"], reader=reader["username"]), headers=headers
    )

    assert response.status_code == 200
    listed = response.json()
    assert hidden["slug"] not in [article["slug"] for article in listed["articles"]]
    assert listed["articlesCount"] == len(listed["articles"])


async def test_a_hidden_article_leaves_the_tag_counts(
    client: httpx.AsyncClient, context: AppContext, hidden: dict[str, Any]
) -> None:
    response = await client.get("/api/tags")

    assert response.json() == {"tags": ["news"]}
    assert await tag_counts(context) == {"news": 1, "spam": 0}


async def test_others_can_neither_comment_on_favorite_nor_watch_a_hidden_article(
    client: httpx.AsyncClient, hidden: dict[str, Any], reader: dict[str, Any]
) -> None:
    slug, headers = hidden["slug"], auth(reader["token"])

    answers = [
        await client.get(f"/api/articles/{slug}/comments", headers=headers),
        await client.post(
            f"/api/articles/{slug}/comments", json={"comment": {"body": "hi"}}, headers=headers
        ),
        await client.post(f"/api/articles/{slug}/favorite", headers=headers),
        await client.get("/api/events", params={"article": slug}, headers=headers),
    ]

    assert [(answer.status_code, answer.json()) for answer in answers] == [(404, NOT_FOUND)] * 4


async def test_showing_it_again_puts_it_back_everywhere(
    client: httpx.AsyncClient, context: AppContext, console: httpx.AsyncClient, hidden: dict[str, Any]
) -> None:
    await moderate(console, context, "unhide", hidden)

    assert (await client.get(f"/api/articles/{hidden['slug']}")).status_code == 200
    listed = (await client.get("/api/articles?tag=spam")).json()
    assert [article["slug"] for article in listed["articles"]] == [hidden["slug"]]
    assert await tag_counts(context) == {"news": 2, "spam": 1}


async def test_its_author_can_retag_it_while_hidden_and_the_counts_stay_right(
    client: httpx.AsyncClient,
    context: AppContext,
    console: httpx.AsyncClient,
    hidden: dict[str, Any],
    author: dict[str, Any],
) -> None:
    response = await client.put(
        f"/api/articles/{hidden['slug']}",
        json={"article": {"tagList": ["offers", "news"]}},
        headers=auth(author["token"]),
    )
    assert response.status_code == 200
    assert await tag_counts(context) == {"news": 1, "spam": 0, "offers": 0}

    await moderate(console, context, "unhide", hidden)

    assert await tag_counts(context) == {"news": 2, "spam": 0, "offers": 1}


@pytest.mark.parametrize("hidden_first", [False, True], ids=["visible", "hidden"])
async def test_deleting_an_article_removes_it_for_everyone_and_keeps_tag_counts_right(
    client: httpx.AsyncClient,
    context: AppContext,
    console: httpx.AsyncClient,
    author: dict[str, Any],
    hidden_first: bool,
) -> None:
    await create_article(client, author["token"], title="Still visible", tags=["news"])
    article = await create_article(client, author["token"], title="Buy now", tags=["spam", "news"])
    if hidden_first:
        await moderate(console, context, "hide", article)

    await moderate(console, context, "delete", article)

    response = await client.get(f"/api/articles/{article['slug']}", headers=auth(author["token"]))
    assert response.status_code == 404
    assert (await client.get("/api/tags")).json() == {"tags": ["news"]}
    assert await tag_counts(context) == {"news": 1, "spam": 0}


async def test_after_deleting_from_its_details_page_the_console_shows_the_list(
    client: httpx.AsyncClient, context: AppContext, console: httpx.AsyncClient, author: dict[str, Any]
) -> None:
    article = await create_article(client, author["token"])
    the_id = await article_id(context, article["slug"])
    details = f"http://testserver/admin/article/details/{the_id}"

    response = await run_action(
        console, "article", "delete", the_id, headers={**FROM_THE_CONSOLE, "Referer": details}
    )

    assert response.status_code == 303
    assert response.headers["location"] == "http://testserver/admin/article/list"


async def test_each_change_is_audited_with_what_the_article_was(
    client: httpx.AsyncClient,
    context: AppContext,
    console: httpx.AsyncClient,
    author: dict[str, Any],
    staff: dict[str, Any],
) -> None:
    article = await create_article(client, author["token"], title="Buy now")
    the_id = await article_id(context, article["slug"])

    for action in ("hide", "unhide", "delete"):
        await moderate(console, context, action, article)

    detail = {"slug": article["slug"], "title": "Buy now", "author": author["username"]}
    assert await audit_log(context) == [
        (staff["username"], "hide", "article", the_id, detail),
        (staff["username"], "unhide", "article", the_id, detail),
        (staff["username"], "delete", "article", the_id, detail),
    ]
