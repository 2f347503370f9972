"""Live updates in a real browser: what one person does shows up on another person's open page,
without a reload (server-sent events, ``static/js/live.js``).

Each reader's page is opened and its event stream connected (the response to ``/api/events`` has
arrived) before the other person acts: a stream only hears about what happens after it opened.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser.support import (
    Account,
    LiveApi,
    assert_not_reloaded,
    favorite_button,
    set_marker,
    sign_in,
)
from tests.helpers import unique_name


@pytest.fixture
def other_context(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    """A second, separate browser profile: another person on another computer."""
    browser_context = browser.new_context(base_url=live_server)
    browser_context.set_default_timeout(10_000)
    yield browser_context
    browser_context.close()


@pytest.fixture
def other_page(other_context: BrowserContext) -> Page:
    return other_context.new_page()


def open_live(page: Page, path: str, account: Account | None = None) -> str:
    """Signs in (if given someone), opens ``path`` and waits until its event stream is connected."""
    if account is not None:
        sign_in(page, account)
    with page.expect_response(lambda response: "/api/events" in response.url) as stream:
        page.goto(path)
    assert stream.value.status == 200
    set_marker(page)
    return page.url


def comment_card(page: Page, text: str) -> Locator:
    return page.get_by_role("region", name="Comments").get_by_role("article").filter(has_text=text)


def test_a_comment_posted_in_one_browser_appears_in_the_other_without_a_reload(
    page: Page, other_page: Page, api: LiveApi
) -> None:
    author = api.register("host")
    article = api.create_article(author, title=unique_name("Talked about "))
    writer, reader = api.register("writer"), api.register("reader")
    path = f"/article/{article['slug']}"
    open_live(page, path, writer)
    url = open_live(other_page, path, reader)
    text = unique_name("Live from the other browser ")

    page.get_by_label("Add a comment").fill(text)
    page.get_by_role("button", name="Post comment").click()

    expect(comment_card(other_page, text)).to_be_visible()
    assert_not_reloaded(other_page, url)


def test_a_comment_deleted_in_one_browser_disappears_from_the_other(
    page: Page, other_page: Page, api: LiveApi
) -> None:
    author = api.register("host")
    article = api.create_article(author, title=unique_name("Retracted "))
    writer = api.register("writer")
    api.add_comment(writer, article["slug"], "I take it back")
    path = f"/article/{article['slug']}"
    open_live(page, path, writer)
    url = open_live(other_page, path)  # an anonymous reader
    expect(comment_card(other_page, "I take it back")).to_be_visible()

    comment_card(page, "I take it back").get_by_role("button", name="Delete comment").click()

    expect(comment_card(other_page, "I take it back")).to_have_count(0)
    assert_not_reloaded(other_page, url)


def test_a_favorite_in_one_browser_updates_the_count_in_the_other(
    page: Page, other_page: Page, api: LiveApi
) -> None:
    author = api.register("admired")
    article = api.create_article(author, title=unique_name("Much liked "))
    fan, reader = api.register("fan"), api.register("onlooker")
    path = f"/article/{article['slug']}"
    open_live(page, path, fan)
    url = open_live(other_page, path, reader)

    favorite_button(page, article["title"]).click()

    button = favorite_button(other_page, article["title"])
    expect(button).to_have_text(re.compile(r"Favorite article \(1\)"))
    expect(button).to_have_accessible_name(f"Favorite {article['title']} (1)")
    assert_not_reloaded(other_page, url)


def test_the_home_page_announces_new_articles_without_a_reload(page: Page, api: LiveApi) -> None:
    author = api.register("prolific")
    url = open_live(page, "/")

    api.create_article(author, title=unique_name("Fresh "))
    expect(page.get_by_role("status")).to_have_text("1 new article: show it")
    api.create_article(author, title=unique_name("Fresher "))
    expect(page.get_by_role("status")).to_have_text("2 new articles: show them")

    assert_not_reloaded(page, url)
