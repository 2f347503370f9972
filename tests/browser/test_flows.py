"""The core flows in a real browser with JavaScript on: htmx updates parts of pages in place.

Set-up data goes through the JSON API; the flow under test goes through the pages, the way a person
would use them. Each test makes its own people and articles, so the tests share only the server.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.browser.support import (
    MARKER,
    LiveApi,
    assert_not_reloaded,
    favorite_button,
    follow_button,
    nav_profile_link,
    set_marker,
    sign_in,
    sign_in_with_the_form,
)
from tests.helpers import PASSWORD, unique_name

# --- accounts -----------------------------------------------------------------------------------


def test_signing_up_signs_you_in_and_lands_on_home(page: Page, api: LiveApi) -> None:
    username = unique_name("newcomer")

    page.goto("/register")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(nav_profile_link(page, username)).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_have_count(0)
    assert api.profile(username)["username"] == username


def test_signing_up_with_a_taken_username_says_what_to_fix_and_keeps_the_input(
    page: Page, api: LiveApi
) -> None:
    existing = api.register("taken")

    page.goto("/register")
    page.get_by_label("Username").fill(existing.username)
    page.get_by_label("Email").fill("someone-else@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()

    username = page.get_by_label("Username")
    expect(username).to_have_attribute("aria-invalid", "true")
    expect(username).to_have_accessible_description("Username has already been taken.")
    expect(username).to_have_value(existing.username)
    expect(page.get_by_label("Email")).to_have_value("someone-else@example.com")
    expect(page.get_by_label("Password")).to_have_value("")


def test_signing_out_everywhere_else_from_the_settings_page(page: Page, api: LiveApi) -> None:
    account = api.register("traveller")  # signed in through the API: one session
    sign_in(page, account)  # and this browser: another

    page.goto("/settings")
    sessions = page.locator("#sessions li")
    expect(sessions).to_have_count(2)
    expect(sessions.filter(has_text="this browser")).to_have_count(1)
    page.get_by_role("button", name="Sign out everywhere else").click()

    expect(page).to_have_url(re.compile(r"/settings#sessions$"))
    expect(sessions).to_have_count(1)
    expect(page.get_by_role("button", name="Sign out everywhere else")).to_have_count(0)
    api.current_user(account, expect=401)


def test_signing_out_and_back_in(page: Page, api: LiveApi) -> None:
    account = api.register("returning")
    sign_in(page, account)

    page.goto("/settings")
    page.get_by_role("button", name="Sign out", exact=True).click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    expect(nav_profile_link(page, account.username)).to_have_count(0)

    sign_in_with_the_form(page, account)
    expect(page).to_have_url(re.compile(r"/$"))


def test_a_wrong_password_is_refused_with_a_message(page: Page, api: LiveApi) -> None:
    account = api.register("forgetful")

    page.goto("/login")
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("invalid")
    expect(page.get_by_label("Email")).to_have_value(account.email)
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def test_signing_in_from_a_protected_page_returns_to_it(page: Page, api: LiveApi) -> None:
    account = api.register("redirected")

    page.goto("/settings")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fsettings$"))
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/settings$"))
    expect(page.get_by_label("Username")).to_have_value(account.username)


def test_settings_changes_show_on_the_profile(page: Page, api: LiveApi) -> None:
    account = api.register("settler")
    sign_in(page, account)
    image = f"https://images.example/{account.username}.png"

    page.goto("/settings")
    page.get_by_label("Picture URL").fill(image)
    page.get_by_label("Bio").fill("I write about dragons.")
    page.get_by_role("button", name="Update settings").click()

    expect(page).to_have_url(re.compile(rf"/profile/{account.username}$"))
    expect(page.get_by_text("I write about dragons.")).to_be_visible()
    expect(page.locator(f'main img[src="{image}"]').first).to_be_attached()
    assert api.current_user(account)["bio"] == "I write about dragons."


def test_settings_errors_are_shown_next_to_the_field(page: Page, api: LiveApi) -> None:
    account = api.register("mistaken")
    sign_in(page, account)

    page.goto("/settings")
    page.get_by_label("Picture URL").fill("javascript:alert(1)")
    page.get_by_role("button", name="Update settings").click()

    picture = page.get_by_label("Picture URL")
    expect(picture).to_have_attribute("aria-invalid", "true")
    expect(picture).to_have_accessible_description("Image must be an http(s) URL.")
    assert api.current_user(account)["image"] is None


# --- lists: feeds, tags, pages, profiles --------------------------------------------------------


def preview_titles(page: Page) -> list[str]:
    return page.locator("main .article-preview h2").all_inner_texts()


def preview(page: Page, title: str) -> Locator:
    """An article's preview in a list, found by its heading (exactly: "Story 1" is not "Story 12")."""
    return page.get_by_role("heading", name=title, exact=True, level=2)


def test_following_an_author_puts_their_articles_in_your_feed(page: Page, api: LiveApi) -> None:
    author = api.register("followed")
    article = api.create_article(author, title=unique_name("Followed story "))
    reader = api.register("follower")
    sign_in(page, reader)

    page.goto("/?feed=following")
    expect(page.get_by_text("No articles from people you follow yet.")).to_be_visible()

    page.goto(f"/profile/{author.username}")
    set_marker(page)
    follow_button(page, author.username).click()

    unfollow = follow_button(page, author.username, following=True)
    expect(unfollow).to_have_attribute("aria-pressed", "true")
    assert_not_reloaded(page, page.url)
    assert api.profile(author.username, token=reader.token)["following"] is True

    page.goto("/")
    page.get_by_role("navigation", name="Feeds").get_by_role("link", name="Your feed").click()
    expect(page).to_have_url(re.compile(r"/\?feed=following$"))
    expect(preview(page, article["title"])).to_be_visible()


def test_unfollowing_in_place_takes_the_author_out_of_your_feed(page: Page, api: LiveApi) -> None:
    author = api.register("unfollowed")
    article = api.create_article(author, title=unique_name("Soon gone "))
    reader = api.register("fickle")
    api.follow(reader, author.username)
    sign_in(page, reader)

    page.goto(f"/profile/{author.username}")
    follow_button(page, author.username, following=True).click()
    expect(follow_button(page, author.username)).to_have_attribute("aria-pressed", "false")

    page.goto("/?feed=following")
    expect(page.get_by_text("No articles from people you follow yet.")).to_be_visible()
    expect(preview(page, article["title"])).to_have_count(0)


def test_browsing_by_tag_from_the_tag_cloud(page: Page, api: LiveApi) -> None:
    tag = unique_name("cloudtag")
    author = api.register("tagger")
    tagged = api.create_article(author, title=unique_name("Tagged "), tags=[tag])
    untagged = api.create_article(author, title=unique_name("Untagged "))

    page.goto("/")
    set_marker(page)
    page.get_by_role("complementary", name="Popular tags").get_by_role("link", name=tag, exact=True).click()

    tabs = page.get_by_role("navigation", name="Feeds")
    expect(tabs.get_by_role("link", name=f"#{tag}")).to_have_attribute("aria-current", "page")
    expect(page).to_have_url(re.compile(rf"/\?tag={tag}$"))
    expect(preview(page, tagged["title"])).to_be_visible()
    expect(preview(page, untagged["title"])).to_have_count(0)
    assert page.evaluate(MARKER) == 1, "the tab switch reloaded the whole page"


def test_paging_through_the_global_feed_shows_every_article_once(page: Page, api: LiveApi) -> None:
    author = api.register("prolific")
    titles = [api.create_article(author, title=unique_name("Paged "))["title"] for _ in range(12)]
    newest_first = titles[::-1]

    page.goto("/")
    first_page = preview_titles(page)
    assert first_page == newest_first[:10]

    pages = page.get_by_role("navigation", name="Pages")
    expect(pages.get_by_role("link", name="1")).to_have_attribute("aria-current", "page")
    pages.get_by_role("link", name="2", exact=True).click()

    expect(page).to_have_url(re.compile(r"/\?page=2$"))
    expect(pages.get_by_role("link", name="2", exact=True)).to_have_attribute("aria-current", "page")
    second_page = preview_titles(page)
    assert second_page[:2] == newest_first[10:]
    assert not set(first_page) & set(second_page)


def test_a_profile_lists_their_articles_and_their_favorites_in_two_tabs(page: Page, api: LiveApi) -> None:
    person = api.register("tabbed")
    own = api.create_article(person, title=unique_name("Written by me "))
    someone = api.register("liked")
    liked = api.create_article(someone, title=unique_name("Liked by me "))
    api.favorite(person, liked["slug"])

    page.goto(f"/profile/{person.username}")
    expect(page.get_by_role("heading", name=person.username, level=1)).to_be_visible()
    tabs = page.get_by_role("navigation", name="Articles")
    expect(tabs.get_by_role("link", name="My articles")).to_have_attribute("aria-current", "page")
    assert preview_titles(page) == [own["title"]]

    set_marker(page)
    tabs.get_by_role("link", name="Favorited articles").click()

    expect(page).to_have_url(re.compile(rf"/profile/{person.username}/favorites$"))
    expect(tabs.get_by_role("link", name="Favorited articles")).to_have_attribute("aria-current", "page")
    expect(preview(page, liked["title"])).to_be_visible()
    assert preview_titles(page) == [liked["title"]]
    assert page.evaluate(MARKER) == 1, "the tab switch reloaded the whole page"

    page.goto(f"/profile/{person.username}/favorites")
    assert preview_titles(page) == [liked["title"]]


# --- articles -----------------------------------------------------------------------------------


def comment_card(page: Page, text: str) -> Locator:
    return page.get_by_role("region", name="Comments").get_by_role("article").filter(has_text=text)


def test_writing_an_article_with_tags_shows_it_rendered(page: Page, api: LiveApi) -> None:
    author = api.register("writer")
    sign_in(page, author)
    title = unique_name("Dragons and you ")
    tag = unique_name("dragons")
    page.goto("/")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="New article").click()
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("What's this article about?").fill("Training, feeding, flying")
    page.get_by_label("Article", exact=True).fill(
        "# Feeding\n\nDragons eat **a lot**. See [the guide](https://guide.example/dragons).\n\n"
        "- fish\n- sheep"
    )
    page.get_by_label("Tags").fill(f"{tag}, pets")
    page.get_by_role("button", name="Publish article").click()

    expect(page).to_have_url(re.compile(r"/article/dragons-and-you-\d+"))
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    body = page.locator(".article-body")
    expect(body.get_by_role("heading", name="Feeding", level=2)).to_be_visible()  # under the title's h1
    expect(body.locator("strong")).to_have_text("a lot")
    link = body.get_by_role("link", name="the guide")
    expect(link).to_have_attribute("href", "https://guide.example/dragons")
    expect(link).to_have_attribute("rel", re.compile("noopener"))
    expect(body.get_by_role("listitem")).to_have_text(["fish", "sheep"])
    tags = page.get_by_role("list", name="Tags")
    expect(tags.get_by_role("link")).to_have_text(sorted([tag, "pets"]))

    tags.get_by_role("link", name=tag).click()
    expect(page).to_have_url(re.compile(rf"/\?tag={tag}$"))
    expect(preview(page, title)).to_be_visible()


def test_the_editor_says_what_to_fix_and_keeps_the_input(page: Page, api: LiveApi) -> None:
    author = api.register("hasty")
    sign_in(page, author)

    page.goto("/editor")
    page.get_by_label("What's this article about?").fill("No title yet")
    page.get_by_role("button", name="Publish article").click()

    title = page.get_by_label("Title", exact=True)
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_have_accessible_description("Title can't be blank.")
    expect(page.get_by_label("What's this article about?")).to_have_value("No title yet")
    expect(page).to_have_url(re.compile(r"/editor$"))


def test_editing_an_article(page: Page, api: LiveApi) -> None:
    author = api.register("editor")
    article = api.create_article(author, title=unique_name("First draft "), body="Old body", tags=["old"])
    sign_in(page, author)

    page.goto(f"/article/{article['slug']}")
    page.get_by_role("link", name="Edit article").click()
    expect(page.get_by_label("Title", exact=True)).to_have_value(article["title"])
    expect(page.get_by_label("Tags")).to_have_value("old")
    new_title = unique_name("Final version ")
    page.get_by_label("Title", exact=True).fill(new_title)
    page.get_by_label("Article", exact=True).fill("New *body*")
    page.get_by_label("Tags").fill("new, shiny")
    page.get_by_role("button", name="Update article").click()

    expect(page).to_have_url(re.compile(r"/article/final-version-\d+"))
    expect(page.get_by_role("heading", name=new_title, level=1)).to_be_visible()
    expect(page.locator(".article-body em")).to_have_text("body")
    expect(page.get_by_role("list", name="Tags").get_by_role("link")).to_have_text(["new", "shiny"])
    api.get_article(article["slug"], expect=404)


def test_a_comment_appears_without_reloading_the_page(page: Page, api: LiveApi) -> None:
    author = api.register("discussed")
    article = api.create_article(author)
    reader = api.register("commenter")
    sign_in(page, reader)
    page.goto(f"/article/{article['slug']}")
    url = page.url
    set_marker(page)

    page.get_by_label("Add a comment").fill("Great read!\nSecond line.")
    page.get_by_role("button", name="Post comment").click()

    card = comment_card(page, "Great read!")
    expect(card).to_be_visible()
    expect(card.get_by_role("link", name=reader.username)).to_be_visible()
    expect(page.get_by_label("Add a comment")).to_have_value("")
    assert_not_reloaded(page, url)
    assert [comment["body"] for comment in api.comments(article["slug"])] == ["Great read!\nSecond line."]


def test_an_empty_comment_is_refused_in_place_with_a_message(page: Page, api: LiveApi) -> None:
    author = api.register("quiet")
    article = api.create_article(author)
    reader = api.register("blank")
    sign_in(page, reader)
    page.goto(f"/article/{article['slug']}")
    url = page.url
    set_marker(page)

    page.get_by_label("Add a comment").fill("   ")
    page.get_by_role("button", name="Post comment").click()

    field = page.get_by_label("Add a comment")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description("Comment can't be blank.")
    assert_not_reloaded(page, url)
    assert api.comments(article["slug"]) == []


def test_deleting_your_comment_removes_it_in_place(page: Page, api: LiveApi) -> None:
    author = api.register("host")
    article = api.create_article(author)
    reader = api.register("regretful")
    api.add_comment(reader, article["slug"], "I take it back")
    api.add_comment(author, article["slug"], "The author's reply")
    sign_in(page, reader)
    page.goto(f"/article/{article['slug']}")
    url = page.url
    set_marker(page)

    expect(
        comment_card(page, "The author's reply").get_by_role("button", name="Delete comment")
    ).to_have_count(0)
    comment_card(page, "I take it back").get_by_role("button", name="Delete comment").click()

    expect(comment_card(page, "I take it back")).to_have_count(0)
    expect(comment_card(page, "The author's reply")).to_be_visible()
    assert_not_reloaded(page, url)
    assert [comment["body"] for comment in api.comments(article["slug"])] == ["The author's reply"]


def test_favoriting_updates_the_count_in_place(page: Page, api: LiveApi) -> None:
    author = api.register("loved")
    article = api.create_article(author, title=unique_name("Lovable "))
    api.favorite(api.register("earlyfan"), article["slug"])
    reader = api.register("fan")
    sign_in(page, reader)
    page.goto(f"/profile/{author.username}")
    url = page.url
    set_marker(page)

    favorite_button(page, article["title"]).click()

    unfavorite = favorite_button(page, article["title"], favorited=True)
    expect(unfavorite).to_have_attribute("aria-pressed", "true")
    expect(unfavorite.locator(".count")).to_have_text("2")
    assert_not_reloaded(page, url)
    assert api.get_article(article["slug"], token=reader.token)["article"]["favoritesCount"] == 2

    unfavorite.click()
    expect(favorite_button(page, article["title"]).locator(".count")).to_have_text("1")


def test_keyboard_focus_stays_on_the_favorite_button_after_it_is_swapped(page: Page, api: LiveApi) -> None:
    author = api.register("focused")
    article = api.create_article(author, title=unique_name("Keyboard "))
    reader = api.register("keyboarder")
    sign_in(page, reader)
    page.goto(f"/profile/{author.username}")

    favorite_button(page, article["title"]).focus()
    page.keyboard.press("Enter")

    expect(favorite_button(page, article["title"], favorited=True)).to_be_focused()


def test_favoriting_on_the_article_page_updates_the_count_in_place(page: Page, api: LiveApi) -> None:
    author = api.register("admired")
    article = api.create_article(author, title=unique_name("Admirable "))
    reader = api.register("admirer")
    sign_in(page, reader)
    page.goto(f"/article/{article['slug']}")
    url = page.url
    set_marker(page)

    favorite_button(page, article["title"]).click()

    expect(favorite_button(page, article["title"], favorited=True)).to_have_text(
        re.compile(r"Unfavorite article \(1\)")
    )
    assert_not_reloaded(page, url)


def test_deleting_an_article(page: Page, api: LiveApi) -> None:
    author = api.register("remover")
    article = api.create_article(author, title=unique_name("Short-lived "))
    sign_in(page, author)
    page.goto(f"/article/{article['slug']}")
    page.on("dialog", lambda dialog: dialog.accept())

    page.get_by_role("button", name="Delete article").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(preview(page, article["title"])).to_have_count(0)
    api.get_article(article["slug"], expect=404)


# --- accessibility basics across pages ------------------------------------------------------------

UNNAMED_CONTROLS = """() => [...document.querySelectorAll(
    "input:not([type=hidden]), textarea, select, button, a[href]"
)].filter((control) => {
    const labelled = (control.labels && control.labels.length > 0)
        || control.getAttribute("aria-label") || control.getAttribute("aria-labelledby");
    const text = control.innerText.trim() || control.querySelector("img[alt]:not([alt=''])");
    const hidden = control.closest("[aria-hidden=true]");
    return !labelled && !text && !hidden;
}).map((control) => control.outerHTML.slice(0, 100))"""


def test_every_control_on_every_page_has_a_name_and_every_page_has_landmarks(
    page: Page, api: LiveApi
) -> None:
    author = api.register("a11y")
    article = api.create_article(author, tags=["a11y"])
    api.add_comment(author, article["slug"], "A comment")
    sign_in(page, author)

    for path in (
        "/",
        "/?tag=a11y",
        f"/article/{article['slug']}",
        f"/editor/{article['slug']}",
        "/settings",
        f"/profile/{author.username}",
        f"/profile/{author.username}/favorites",
        "/search?q=a11y",
        "/no/such/page",
    ):
        page.goto(path)
        assert page.evaluate(UNNAMED_CONTROLS) == [], path
        expect(page.get_by_role("main")).to_have_count(1)
        expect(page.get_by_role("navigation", name="Main")).to_have_count(1)
        expect(page.get_by_role("heading", level=1)).to_have_count(1)
    page.context.clear_cookies()
    for path in ("/login", "/register", f"/article/{article['slug']}"):
        page.goto(path)
        assert page.evaluate(UNNAMED_CONTROLS) == [], path
        expect(page.get_by_role("heading", level=1)).to_have_count(1)
