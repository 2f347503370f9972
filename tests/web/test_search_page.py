"""The search box in every page's header (a plain GET form) and ``/search?q=``: matches best first
as article previews, a count, pagination that keeps the search, and the query shown escaped."""

from __future__ import annotations

import re

import httpx
import pytest

from app.schemas.articles import SEARCH_MAX
from tests.helpers import create_article, register

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

_PREVIEW_TITLE = re.compile(r'<a class="preview-link" href="[^"]*">\s*<h2>([^<]*)</h2>')
_PAGE_LINK = re.compile(r'<li><a href="([^"]*)"')


def titles_on(page: str) -> list[str]:
    return _PREVIEW_TITLE.findall(page)


def summary_of(page: str) -> str:
    return page.split('<p class="search-summary" role="status">')[1].split("</p>", maxsplit=1)[0].strip()


async def test_every_page_has_a_search_box_that_sends_a_plain_get_to_the_search_page(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/login")).text

    assert '<form class="site-search" role="search" action="/search" method="get">' in page
    assert f'<input type="search" id="site-search-q" name="q" maxlength="{SEARCH_MAX}"' in page
    assert '<label class="visually-hidden" for="site-search-q">Search articles</label>' in page


async def test_the_search_page_lists_matches_best_first_with_their_count(client: httpx.AsyncClient) -> None:
    author = await register(client)
    await create_article(client, author["token"], title="Castles", body="A dragon lived here")
    await create_article(client, author["token"], title="Dragon care", body="Feed it")
    await create_article(client, author["token"], title="Gardens", body="Roses")

    response = await client.get("/search", params={"q": "dragon"})

    assert response.status_code == 200
    assert titles_on(response.text) == ["Dragon care", "Castles"]
    assert summary_of(response.text) == "2 articles match “dragon”, best match first."
    assert 'value="dragon"' in response.text
    assert "site-search" not in response.text  # the page's own box replaces the header's


async def test_a_search_without_matches_says_so(client: httpx.AsyncClient) -> None:
    response = await client.get("/search", params={"q": "unicorn"})

    assert response.status_code == 200
    assert titles_on(response.text) == []
    assert summary_of(response.text) == "No articles match “unicorn”."


@pytest.mark.parametrize("q", ["", "   "])
async def test_an_empty_search_shows_only_the_search_box(client: httpx.AsyncClient, q: str) -> None:
    author = await register(client)
    await create_article(client, author["token"], title="Dragon care")

    response = await client.get("/search", params={"q": q})

    assert response.status_code == 200
    assert '<input type="search" id="search-page-q" name="q" value=""' in response.text
    assert titles_on(response.text) == []
    assert "search-summary" not in response.text


async def test_search_pages_link_to_each_other_keeping_the_search(client: httpx.AsyncClient) -> None:
    author = await register(client)
    for number in range(12):
        await create_article(client, author["token"], title=f"Dragon {number}")

    first = (await client.get("/search", params={"q": "dragon & believe"})).text
    second = (await client.get("/search", params={"q": "dragon & believe", "page": "2"})).text

    assert summary_of(first) == "12 articles match “dragon &amp; believe”, best match first."
    assert _PAGE_LINK.findall(first.split('<nav class="pagination"')[1]) == [
        "/search?q=dragon+%26+believe",
        "/search?q=dragon+%26+believe&amp;page=2",
    ]
    assert titles_on(first) == [f"Dragon {number}" for number in range(11, 1, -1)]
    assert titles_on(second) == ["Dragon 1", "Dragon 0"]


async def test_the_search_is_shown_escaped(client: httpx.AsyncClient) -> None:
    q = '"><script>window.__xss=1</script>'

    page = (await client.get("/search", params={"q": q})).text

    assert "<script>window" not in page
    assert 'value="&#34;&gt;&lt;script&gt;window.__xss=1&lt;/script&gt;"' in page
    assert summary_of(page) == "No articles match “&#34;&gt;&lt;script&gt;window.__xss=1&lt;/script&gt;”."


async def test_an_overlong_search_gets_the_error_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/search", params={"q": "x" * (SEARCH_MAX + 1)})

    assert response.status_code == 422
    assert "<h1>That did not work</h1>" in response.text
