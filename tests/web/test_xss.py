"""XSS at the HTML source: every user field holds a payload, and every page, htmx fragment and
rejected form that shows it has it escaped, with no script, handler or foreign element added.

The browser suite (``tests/browser/test_security.py``) runs the same payloads in Chromium; these
checks read the markup itself, so they are fast and name the exact page that went wrong.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from app.web.cookies import SESSION_COOKIE
from tests.helpers import PASSWORD, auth, create_article, register
from tests.web.helpers import browser, csrf_token, htmx_headers, submit
from tests.xss_payloads import (
    ATTRIBUTE_BREAK,
    BIO,
    BODY,
    COMMENT,
    DESCRIPTION,
    IMAGE_BREAKING_OUT,
    IMAGE_WITH_HANDLER,
    SCRIPT,
    TAGS,
    TEXTAREA_BREAK,
    TITLE,
)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ESCAPED_SCRIPT = "&lt;script&gt;window.__xss=1&lt;/script&gt;"
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "data", "poster", "srcset"})
FOREIGN_ELEMENTS = frozenset({"iframe", "object", "embed", "style", "base", "svg", "math", "frame", "meta"})
UNSAFE_SCHEME = re.compile(r"^\s*(javascript|vbscript|data):", re.IGNORECASE)


class MarkupAudit(HTMLParser):
    """Every element and attribute in a page that could run script or was not ours to begin with."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "head":
            self._in_head = True
        if tag == "script" and not attributes.get("src"):
            self.problems.append("inline <script>")
        if tag in FOREIGN_ELEMENTS and not (
            tag == "meta" and self._in_head and "http-equiv" not in attributes
        ):
            self.problems.append(f"<{tag}>")
        if tag == "img" and attributes.get("src") == "x":
            self.problems.append("<img src=x>")
        for name, value in attributes.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in URL_ATTRIBUTES and UNSAFE_SCHEME.match(value):
                self.problems.append(f"<{tag} {name}={value[:40]}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False


def assert_inert(html: str, where: str) -> None:
    audit = MarkupAudit()
    audit.feed(html)
    audit.close()
    assert audit.problems == [], f"{where}: {audit.problems}"
    assert "<script>window" not in html, where


@dataclass
class Planted:
    """An author and a commenter whose every field holds a payload, their article, and three browsers."""

    slug: str
    author: str
    commenter: str
    anonymous: httpx.AsyncClient
    as_author: httpx.AsyncClient
    as_commenter: httpx.AsyncClient

    def path(self, template: str) -> str:
        return template.format(
            slug=self.slug,
            author=self.author,
            commenter=self.commenter,
            tag=quote(TAGS[0], safe=""),
            payload=quote(SCRIPT, safe=""),
        )

    def viewer(self, name: str) -> httpx.AsyncClient:
        clients = {"anonymous": self.anonymous, "author": self.as_author, "commenter": self.as_commenter}
        return clients[name]


async def _user_with_payloads(client: httpx.AsyncClient, prefix: str, image: str) -> dict[str, Any]:
    user = await register(client, f"{prefix}")
    response = await client.put(
        "/api/user", json={"user": {"bio": BIO, "image": image}}, headers=auth(user["token"])
    )
    assert response.status_code == 200, response.text
    return user


@pytest.fixture
async def planted(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[Planted]:
    author = await _user_with_payloads(client, "author", IMAGE_BREAKING_OUT)
    commenter = await _user_with_payloads(client, "commenter", IMAGE_WITH_HANDLER)
    article = await create_article(
        client, author["token"], title=TITLE, description=DESCRIPTION, body=BODY, tags=TAGS
    )
    slug = article["slug"]
    for user in (commenter, author):
        response = await client.post(
            f"/api/articles/{slug}/comments", json={"comment": {"body": COMMENT}}, headers=auth(user["token"])
        )
        assert response.status_code == 200, response.text
        assert (
            await client.post(f"/api/articles/{slug}/favorite", headers=auth(user["token"]))
        ).status_code == 200
    following = await client.post(
        f"/api/profiles/{author['username']}/follow", headers=auth(commenter["token"])
    )
    assert following.status_code == 200
    async with browser(app) as as_author, browser(app) as as_commenter:
        as_author.cookies.set(SESSION_COOKIE, author["token"])
        as_commenter.cookies.set(SESSION_COOKIE, commenter["token"])
        yield Planted(
            slug=slug,
            author=author["username"],
            commenter=commenter["username"],
            anonymous=client,
            as_author=as_author,
            as_commenter=as_commenter,
        )


PAGES = [
    ("anonymous", "/"),
    ("anonymous", "/?tag={tag}"),
    ("anonymous", "/article/{slug}"),
    ("anonymous", "/profile/{author}"),
    ("anonymous", "/profile/{author}/favorites"),
    ("anonymous", "/profile/{commenter}"),
    ("anonymous", "/search?q={payload}"),
    ("author", "/"),
    ("author", "/article/{slug}"),
    ("author", "/settings"),
    ("author", "/editor/{slug}"),
    ("author", "/profile/{author}"),
    ("author", "/search?q=title"),
    ("commenter", "/?feed=following"),
    ("commenter", "/article/{slug}"),
    ("commenter", "/settings"),
    ("commenter", "/profile/{author}/favorites"),
]


@pytest.mark.parametrize(("viewer", "path"), PAGES, ids=[f"{who}:{path}" for who, path in PAGES])
async def test_every_page_shows_the_payloads_escaped(planted: Planted, viewer: str, path: str) -> None:
    response = await planted.viewer(viewer).get(planted.path(path))

    assert response.status_code == 200, response.text
    assert ESCAPED_SCRIPT in response.text, "the payload is not on the page: nothing was tested"
    assert_inert(response.text, path)


async def test_the_image_url_stays_inside_its_attribute(planted: Planted) -> None:
    page = (await planted.anonymous.get(planted.path("/article/{slug}"))).text

    assert 'src="https://x.example/a.png&#34;&gt;&lt;script&gt;window.__xss=1&lt;/script&gt;"' in page
    assert 'src="https://x.example/b.png&#34;onerror=&#34;window.__xss=1"' in page


async def test_the_markdown_body_keeps_only_the_safe_link(planted: Planted) -> None:
    page = (await planted.anonymous.get(planted.path("/article/{slug}"))).text
    body = page[page.index('<div class="article-body">') :]
    body = body[: body.index("</div>")]

    links = re.findall(r"<a [^>]*>", body)
    assert len(links) == 1
    assert links[0].startswith('<a href="https://ok.example/" ')
    assert f"<p>Raw {ESCAPED_SCRIPT}</p>" in body
    assert "&lt;/textarea&gt;" in body
    assert f"<pre><code>{ESCAPED_SCRIPT}" in body


ADDRESSES_WITH_PAYLOADS = [
    ("author", "/?tag={payload}", 200),
    ("anonymous", "/login?next={payload}", 200),
    ("anonymous", "/register?next={payload}", 200),
    ("author", "/article/{payload}", 404),
    ("author", "/profile/{payload}", 404),
    ("author", "/profile/{payload}/favorites", 404),
    ("author", "/editor/{payload}", 404),
    ("author", "/no/such/{payload}", 404),
]


@pytest.mark.parametrize(("viewer", "path", "status"), ADDRESSES_WITH_PAYLOADS)
async def test_a_payload_in_the_address_is_never_echoed_as_markup(
    planted: Planted, viewer: str, path: str, status: int
) -> None:
    response = await planted.viewer(viewer).get(planted.path(path))

    assert response.status_code == status
    assert_inert(response.text, path)


async def test_htmx_fragments_show_the_payloads_escaped(planted: Planted) -> None:
    page = f"/article/{planted.slug}"
    client = planted.as_commenter
    headers = htmx_headers(await csrf_token(client, page))

    comments = await client.post(f"{page}/comments", data={"body": f"Fresh {COMMENT}"}, headers=headers)
    unfavorite = await client.post(
        f"{page}/unfavorite", data={"next": page, "compact": "no"}, headers=headers
    )
    favorite = await client.post(f"{page}/favorite", data={"next": page, "compact": "yes"}, headers=headers)
    unfollow = await client.post(f"/profile/{planted.author}/unfollow", data={"next": page}, headers=headers)

    for name, response in {"comments": comments, "unfavorite": unfavorite, "favorite": favorite}.items():
        assert response.status_code == 200, response.text
        assert ESCAPED_SCRIPT in response.text, name
        assert_inert(response.text, name)
    assert unfollow.status_code == 200
    assert_inert(unfollow.text, "unfollow")


async def test_rejected_forms_keep_the_payloads_escaped(app: FastAPI, planted: Planted) -> None:
    editor = await submit(
        planted.as_author,
        "/editor",
        {
            "title": "",
            "description": DESCRIPTION,
            "body": BODY,
            "tags": f"{TEXTAREA_BREAK}, {ATTRIBUTE_BREAK}",
        },
        page="/editor",
    )
    settings = await submit(
        planted.as_author,
        "/settings",
        {
            "image": f"javascript:{ATTRIBUTE_BREAK}",
            "username": planted.author,
            "bio": BIO,
            "email": "a@b.example",
        },
        page="/settings",
    )
    async with browser(app) as stranger:
        sign_up = await submit(
            stranger,
            "/register",
            {"username": ATTRIBUTE_BREAK, "email": f"{ATTRIBUTE_BREAK}@example.com", "password": PASSWORD},
            page="/register",
        )
        sign_in = await submit(
            stranger, "/login", {"email": ATTRIBUTE_BREAK, "password": "wrong", "next": SCRIPT}, page="/login"
        )

    for name, response in {
        "editor": editor,
        "settings": settings,
        "sign up": sign_up,
        "sign in": sign_in,
    }.items():
        assert response.status_code == 422, f"{name}: {response.status_code}"
        assert "&lt;svg onload=window.__xss=1&gt;" in response.text, name
        assert_inert(response.text, name)
    assert "&lt;/textarea&gt;&lt;script&gt;" in editor.text
    assert "&lt;/textarea&gt;&lt;script&gt;" in settings.text
