"""Every core flow with JavaScript off: plain forms post, the server answers 303, the browser lands
on the right page. No htmx here, so each action is a full page load."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.browser.support import (
    LiveApi,
    favorite_button,
    follow_button,
    nav_profile_link,
    sign_in,
    sign_in_with_the_form,
)
from tests.helpers import PASSWORD, unique_name


def submit(page: Page, button: Locator) -> None:
    """Clicks a form's button: a plain form post (not htmx) that the server answers with a 303."""
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        button.click()
    assert "hx-request" not in posted.value.request.headers
    assert posted.value.status == 303, f"{posted.value.url}: {posted.value.status}"
    page.wait_for_load_state()


def test_signing_up_and_out_without_javascript(no_js_page: Page) -> None:
    page = no_js_page
    username = unique_name("plain")

    page.goto("/register")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    submit(page, page.get_by_role("button", name="Sign up"))

    expect(page).to_have_url(re.compile(r"/$"))
    expect(nav_profile_link(page, username)).to_be_visible()

    page.goto("/settings")
    submit(page, page.get_by_role("button", name="Sign out", exact=True))

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def test_a_rejected_sign_up_comes_back_with_messages_without_javascript(no_js_page: Page) -> None:
    page = no_js_page
    page.goto("/register")
    page.get_by_label("Username").fill("no spaces allowed")
    page.get_by_label("Email").fill("not-an-email")
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        page.get_by_role("button", name="Sign up").click()

    assert posted.value.status == 422
    expect(page.get_by_label("Username")).to_have_accessible_description(
        "Username may only contain letters, digits, '_', '-' and '.'."
    )
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Username")).to_have_value("no spaces allowed")


def test_signing_in_without_javascript(no_js_page: Page, api: LiveApi) -> None:
    account = api.register("plainreader")

    sign_in_with_the_form(no_js_page, account)

    expect(no_js_page).to_have_url(re.compile(r"/$"))


def test_writing_and_editing_an_article_without_javascript(no_js_page: Page, api: LiveApi) -> None:
    page = no_js_page
    author = api.register("plainwriter")
    sign_in(page, author)
    title = unique_name("Plain words ")

    page.goto("/editor")
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("What's this article about?").fill("Forms all the way down")
    page.get_by_label("Article", exact=True).fill("It *works*.")
    page.get_by_label("Tags").fill("forms")
    submit(page, page.get_by_role("button", name="Publish article"))

    expect(page).to_have_url(re.compile(r"/article/plain-words-\d+$"))
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    expect(page.locator(".article-body em")).to_have_text("works")

    page.get_by_role("link", name="Edit article").click()
    new_title = unique_name("Plainer words ")
    page.get_by_label("Title", exact=True).fill(new_title)
    submit(page, page.get_by_role("button", name="Update article"))

    expect(page).to_have_url(re.compile(r"/article/plainer-words-\d+$"))
    expect(page.get_by_role("heading", name=new_title, level=1)).to_be_visible()


def test_commenting_and_deleting_the_comment_without_javascript(no_js_page: Page, api: LiveApi) -> None:
    page = no_js_page
    author = api.register("plainhost")
    article = api.create_article(author)
    reader = api.register("plaincommenter")
    sign_in(page, reader)
    page.goto(f"/article/{article['slug']}")

    page.get_by_label("Add a comment").fill("Said without script")
    submit(page, page.get_by_role("button", name="Post comment"))

    expect(page).to_have_url(re.compile(rf"/article/{article['slug']}#comments$"))
    card = (
        page.get_by_role("region", name="Comments")
        .get_by_role("article")
        .filter(has_text="Said without script")
    )
    expect(card).to_be_visible()

    submit(page, card.get_by_role("button", name="Delete comment"))

    expect(page).to_have_url(re.compile(rf"/article/{article['slug']}#comments$"))
    expect(card).to_have_count(0)
    expect(page.get_by_role("region", name="Comments")).to_contain_text("No comments yet.")
    assert api.comments(article["slug"]) == []


def test_favoriting_from_the_home_page_without_javascript_comes_back_to_it(
    no_js_page: Page, api: LiveApi
) -> None:
    page = no_js_page
    author = api.register("plainloved")
    article = api.create_article(author, title=unique_name("Plain favorite "))
    reader = api.register("plainfan")
    sign_in(page, reader)
    page.goto("/")

    submit(page, favorite_button(page, article["title"]))

    expect(page).to_have_url(re.compile(r"/$"))
    unfavorite = favorite_button(page, article["title"], favorited=True)
    expect(unfavorite).to_have_attribute("aria-pressed", "true")
    expect(unfavorite.locator(".count")).to_have_text("1")

    submit(page, unfavorite)
    expect(favorite_button(page, article["title"]).locator(".count")).to_have_text("0")


def test_favoriting_on_the_article_page_without_javascript(no_js_page: Page, api: LiveApi) -> None:
    page = no_js_page
    author = api.register("plainadmired")
    article = api.create_article(author, title=unique_name("Plain article "))
    reader = api.register("plainadmirer")
    sign_in(page, reader)
    page.goto(f"/article/{article['slug']}")

    submit(page, favorite_button(page, article["title"]))

    expect(page).to_have_url(re.compile(rf"/article/{article['slug']}$"))
    expect(favorite_button(page, article["title"], favorited=True)).to_contain_text("Unfavorite article (1)")


def test_following_without_javascript(no_js_page: Page, api: LiveApi) -> None:
    page = no_js_page
    author = api.register("plainauthor")
    api.create_article(author)
    reader = api.register("plainfollower")
    sign_in(page, reader)
    page.goto(f"/profile/{author.username}")

    submit(page, follow_button(page, author.username))

    expect(page).to_have_url(re.compile(rf"/profile/{author.username}$"))
    expect(follow_button(page, author.username, following=True)).to_have_attribute("aria-pressed", "true")
    assert api.profile(author.username, token=reader.token)["following"] is True


def test_a_signed_out_favorite_asks_to_sign_in_and_returns_to_the_page(
    no_js_page: Page, api: LiveApi
) -> None:
    page = no_js_page
    author = api.register("plainpopular")
    article = api.create_article(author, title=unique_name("Needs a sign-in "))
    reader = api.register("plainlate")
    page.goto(f"/profile/{author.username}")

    submit(page, favorite_button(page, article["title"]))

    expect(page).to_have_url(re.compile(rf"/login\?next=%2Fprofile%2F{author.username}$"))
    page.get_by_label("Email").fill(reader.email)
    page.get_by_label("Password").fill(reader.password)
    submit(page, page.get_by_role("button", name="Sign in"))

    expect(page).to_have_url(re.compile(rf"/profile/{author.username}$"))
    expect(nav_profile_link(page, reader.username)).to_be_visible()


def test_tabs_and_pages_are_plain_links_without_javascript(no_js_page: Page, api: LiveApi) -> None:
    page = no_js_page
    person = api.register("plaintabs")
    liked = api.create_article(api.register("plainliked"), title=unique_name("Plain liked "))
    api.favorite(person, liked["slug"])

    page.goto(f"/profile/{person.username}")
    page.get_by_role("navigation", name="Articles").get_by_role("link", name="Favorited articles").click()

    expect(page).to_have_url(re.compile(rf"/profile/{person.username}/favorites$"))
    expect(page.get_by_role("heading", name=liked["title"], exact=True, level=2)).to_be_visible()


def test_searching_from_the_header_without_javascript(no_js_page: Page, api: LiveApi) -> None:
    page = no_js_page
    author = api.register("searcher")
    word = unique_name("zyzzyva")
    api.create_article(author, title="Elsewhere", body=f"It mentions {word} once.")
    api.create_article(author, title="Unrelated")
    api.create_article(author, title=f"All about {word}")
    page.goto("/")

    page.get_by_role("searchbox", name="Search articles").fill(word)
    page.get_by_role("button", name="Search", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/search\?q={word}$"))
    expect(page.get_by_role("status")).to_have_text(f"2 articles match “{word}”, best match first.")
    expect(page.locator("main .article-preview h2")).to_have_text([f"All about {word}", "Elsewhere"])
