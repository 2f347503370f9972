"""The editor (``/editor``, ``/editor/<slug>``) with plain forms, as a browser without JavaScript uses it.

Publishing and changing articles (303 to the article; what was stored is checked through the API),
messages next to the fields with the input kept (422), only the author may open or save the editor
of an article (403, nothing changed), CSRF refusals, and signed-out visitors sent to sign in first.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from markupsafe import escape

from tests.helpers import create_article, register
from tests.web.helpers import (
    browser,
    csrf_token,
    register_browserless,
    submit,
)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

DRAGONS = {
    "title": "How to train your dragon",
    "description": "Ever wonder how?",
    "body": "You have to *believe*.\n\nAnd practise.",
    "tags": "dragons, Training ,dragons",
}


async def stored(client: httpx.AsyncClient, slug: str) -> dict[str, Any]:
    response = await client.get(f"/api/articles/{slug}")
    assert response.status_code == 200, response.text
    article: dict[str, Any] = response.json()["article"]
    return article


async def article_count(client: httpx.AsyncClient) -> int:
    response = await client.get("/api/articles")
    count: int = response.json()["articlesCount"]
    return count


async def publish(client: httpx.AsyncClient, **changes: str) -> str:
    """Publishes an article through the editor form; returns its slug."""
    response = await submit(client, "/editor", {**DRAGONS, **changes}, page="/editor")
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/article/")
    return location.removeprefix("/article/")


def error_line(field: str, message: str) -> str:
    return f'<p class="field-error" id="{field}-error">{escape(message)}</p>'


# --- publishing ---------------------------------------------------------------------------------


async def test_the_editor_asks_visitors_to_sign_in_first(client: httpx.AsyncClient) -> None:
    response = await client.get("/editor")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Feditor"


async def test_the_new_article_page_has_a_labelled_form_with_a_csrf_token(client: httpx.AsyncClient) -> None:
    await register_browserless(client, "jake")

    response = await client.get("/editor")

    assert response.status_code == 200
    page = response.text
    assert '<form class="form editor-form" method="post" action="/editor" novalidate>' in page
    assert 'name="csrf_token"' in page
    for field, label in [
        ("title", "Title"),
        ("description", "What's this article about?"),
        ("article_body", "Article"),
        ("tags", "Tags"),
    ]:
        assert f'<label for="{field}">{label}</label>' in page
        assert f'id="{field}"' in page
    assert '<textarea id="article_body" name="body"' in page
    assert "Separate tags with commas" in page
    assert "Publish article" in page
    assert '<a href="/editor" aria-current="page">New article</a>' in page


async def test_publishing_an_article_stores_it_and_goes_to_its_page(client: httpx.AsyncClient) -> None:
    await register_browserless(client, "jake")

    response = await submit(client, "/editor", DRAGONS, page="/editor")

    assert response.status_code == 303
    assert response.headers["location"] == "/article/how-to-train-your-dragon"
    article = await stored(client, "how-to-train-your-dragon")
    assert article["title"] == "How to train your dragon"
    assert article["description"] == "Ever wonder how?"
    assert article["body"] == "You have to *believe*.\n\nAnd practise."
    assert article["tagList"] == ["dragons", "training"]
    assert article["author"]["username"] == "jake"
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    assert '<h1 id="article-title">How to train your dragon</h1>' in page.text


@pytest.mark.parametrize(
    ("typed", "tags"),
    [
        ("cooking tips, travel", ["cooking tips", "travel"]),
        (" , a,,b ,", ["a", "b"]),
        ("", []),
    ],
)
async def test_tags_are_separated_by_commas_and_empty_pieces_are_ignored(
    client: httpx.AsyncClient, typed: str, tags: list[str]
) -> None:
    await register_browserless(client, "jake")

    slug = await publish(client, tags=typed)

    assert (await stored(client, slug))["tagList"] == tags


async def test_two_articles_with_the_same_title_get_different_addresses(client: httpx.AsyncClient) -> None:
    await register_browserless(client, "jake")

    first = await publish(client)
    second = await publish(client)

    assert first == "how-to-train-your-dragon"
    assert second != first
    assert (await stored(client, second))["title"] == DRAGONS["title"]


async def test_blank_fields_are_each_marked_with_what_to_fix_and_nothing_is_published(
    client: httpx.AsyncClient,
) -> None:
    await register_browserless(client, "jake")

    response = await submit(
        client, "/editor", {"title": "", "description": "   ", "body": "", "tags": "kept"}, page="/editor"
    )

    assert response.status_code == 422
    page = response.text
    assert error_line("title", "Title can't be blank.") in page
    assert error_line("description", "Description can't be blank.") in page
    assert error_line("article_body", "Article body can't be blank.") in page
    assert 'id="title-error"' in page
    assert 'id="tags-error"' not in page
    assert 'aria-describedby="title-error" aria-invalid="true"' in page
    assert 'aria-describedby="article_body-hint article_body-error" aria-invalid="true"' in page
    assert 'id="tags" name="tags" type="text" value="kept"' in page
    assert 'value="   "' in page
    assert await article_count(client) == 0


async def test_the_input_is_kept_escaped_when_publishing_fails(client: httpx.AsyncClient) -> None:
    await register_browserless(client, "jake")
    body = 'Fish & <b>"chips"</b>\n\nSecond paragraph'

    response = await submit(
        client,
        "/editor",
        {"title": "x" * 251, "description": 'A "quoted" <i>word</i>', "body": body, "tags": "food"},
        page="/editor",
    )

    assert response.status_code == 422
    page = response.text
    assert error_line("title", "Title is too long (maximum is 250 characters).") in page
    assert f'value="{"x" * 251}"' in page
    assert 'value="A &#34;quoted&#34; &lt;i&gt;word&lt;/i&gt;"' in page
    assert f"\n{escape(body)}</textarea>" in page
    assert "<b>" not in page
    assert await article_count(client) == 0


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        (
            ", ".join(f"tag{number}" for number in range(11)),
            "Tags are too many: at most 10 tags per article.",
        ),
        ("ok, " + "x" * 41, "Tags are at most 40 characters."),
    ],
)
async def test_tag_problems_are_shown_next_to_the_tags(
    client: httpx.AsyncClient, tags: str, message: str
) -> None:
    await register_browserless(client, "jake")

    response = await submit(client, "/editor", {**DRAGONS, "tags": tags}, page="/editor")

    assert response.status_code == 422
    assert error_line("tags", message) in response.text
    assert 'aria-describedby="tags-hint tags-error" aria-invalid="true"' in response.text
    assert f'value="{tags}"' in response.text
    assert await article_count(client) == 0


# --- editing ------------------------------------------------------------------------------------


async def test_the_author_gets_the_editor_filled_in(client: httpx.AsyncClient) -> None:
    await register_browserless(client, "jake")
    slug = await publish(client, body="Line one\nLine <two>")

    response = await client.get(f"/editor/{slug}")

    assert response.status_code == 200
    page = response.text
    assert f'action="/editor/{slug}"' in page
    assert 'value="How to train your dragon"' in page
    assert 'value="Ever wonder how?"' in page
    assert "\nLine one\nLine &lt;two&gt;</textarea>" in page
    assert 'value="dragons, training"' in page
    assert "Update article" in page
    assert f'<a class="button button-outline-secondary" href="/article/{slug}">Cancel</a>' in page


async def test_updating_an_article_stores_the_changes_and_goes_to_its_new_address(
    client: httpx.AsyncClient,
) -> None:
    await register_browserless(client, "jake")
    slug = await publish(client)

    response = await submit(
        client,
        f"/editor/{slug}",
        {"title": "Dragons, revisited", "description": "Again", "body": "New body", "tags": "magic"},
        page=f"/editor/{slug}",
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/article/dragons-revisited"
    article = await stored(client, "dragons-revisited")
    assert (article["title"], article["description"], article["body"]) == (
        "Dragons, revisited",
        "Again",
        "New body",
    )
    assert article["tagList"] == ["magic"]
    assert (await client.get(f"/api/articles/{slug}")).status_code == 404


async def test_keeping_the_title_keeps_the_address_and_clearing_the_tags_removes_them(
    client: httpx.AsyncClient,
) -> None:
    await register_browserless(client, "jake")
    slug = await publish(client)

    response = await submit(client, f"/editor/{slug}", {**DRAGONS, "tags": ""}, page=f"/editor/{slug}")

    assert response.status_code == 303
    assert response.headers["location"] == f"/article/{slug}"
    assert (await stored(client, slug))["tagList"] == []


async def test_a_failed_update_shows_the_messages_with_the_input_kept_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    await register_browserless(client, "jake")
    slug = await publish(client)
    before = await stored(client, slug)

    response = await submit(
        client,
        f"/editor/{slug}",
        {"title": " ", "description": "Changed", "body": "Changed body", "tags": "changed"},
        page=f"/editor/{slug}",
    )

    assert response.status_code == 422
    page = response.text
    assert error_line("title", "Title can't be blank.") in page
    assert f'action="/editor/{slug}"' in page
    assert 'value="Changed"' in page
    assert "\nChanged body</textarea>" in page
    assert await stored(client, slug) == before


async def test_another_user_can_not_open_the_editor_of_an_article(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    jake = await register(client, "jake")
    slug = (await create_article(client, jake["token"]))["slug"]

    async with browser(app) as amy:
        await register_browserless(amy, "amy")
        response = await amy.get(f"/editor/{slug}")

    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in response.text
    assert "Only the author may change this article" in response.text
    assert 'name="title"' not in response.text


async def test_another_user_can_not_save_the_editor_of_an_article(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    jake = await register(client, "jake")
    slug = (await create_article(client, jake["token"]))["slug"]
    before = await stored(client, slug)

    async with browser(app) as amy:
        await register_browserless(amy, "amy")
        valid = await submit(amy, f"/editor/{slug}", {**DRAGONS, "title": "Mine now"})
        invalid = await submit(amy, f"/editor/{slug}", {**DRAGONS, "title": ""})

    assert valid.status_code == 403
    assert "<h1>Not allowed</h1>" in valid.text
    assert invalid.status_code == 403  # not a form with messages: the editor is not theirs
    assert await stored(client, slug) == before


async def test_the_editor_of_an_unknown_article_is_not_found(client: httpx.AsyncClient) -> None:
    await register_browserless(client, "jake")

    response = await client.get("/editor/no-such-article")
    saved = await submit(client, "/editor/no-such-article", DRAGONS)

    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text
    assert saved.status_code == 404
    assert await article_count(client) == 0


# --- CSRF and signing in ------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["missing", "made-up", "another browser's"])
async def test_publishing_without_this_browsers_csrf_token_is_forbidden(
    app: FastAPI, client: httpx.AsyncClient, token: str
) -> None:
    await register_browserless(client, "jake")
    data = dict(DRAGONS)
    if token == "made-up":
        data["csrf_token"] = "made.up.token"
    elif token == "another browser's":
        async with browser(app) as other:
            data["csrf_token"] = await csrf_token(other)

    response = await client.post("/editor", data=data)

    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in response.text
    assert await article_count(client) == 0


@pytest.mark.parametrize("token", ["missing", "made-up", "another browser's"])
async def test_saving_an_edit_without_this_browsers_csrf_token_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, token: str
) -> None:
    await register_browserless(client, "jake")
    slug = await publish(client)
    before = await stored(client, slug)
    data = {**DRAGONS, "title": "Changed"}
    if token == "made-up":
        data["csrf_token"] = "made.up.token"
    elif token == "another browser's":
        async with browser(app) as other:
            data["csrf_token"] = await csrf_token(other)

    response = await client.post(f"/editor/{slug}", data=data)

    assert response.status_code == 403
    assert await stored(client, slug) == before


async def test_a_signed_out_visitor_saving_the_editor_is_sent_to_sign_in_first(
    client: httpx.AsyncClient,
) -> None:
    jake = await register(client, "jake")
    slug = (await create_article(client, jake["token"]))["slug"]
    before = await stored(client, slug)

    created = await submit(client, "/editor", DRAGONS)
    edited = await submit(client, f"/editor/{slug}", {**DRAGONS, "title": "Changed"})

    assert created.status_code == 303
    assert created.headers["location"] == "/login?next=%2Feditor"
    assert edited.status_code == 303
    assert edited.headers["location"] == f"/login?next=%2Feditor%2F{slug}"
    assert await article_count(client) == 1
    assert await stored(client, slug) == before
