"""Security in a real browser: no user field can run script or inject markup, forms refuse forged
posts, pages carry the security headers, and only authors get the controls for their own content.

The XSS checks browse with the Content Security Policy switched off (``bypass_csp``), so they test the
escaping and the Markdown sanitiser themselves, not the CSP's second wall; the CSP has its own tests.
Every payload tries to set ``window.__xss`` or open a dialog.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.support import (
    Account,
    LiveApi,
    favorite_button,
    follow_button,
    sign_in,
    sign_in_with_the_form,
)
from tests.helpers import PASSWORD, unique_name
from tests.xss_payloads import (
    ATTRIBUTE_BREAK,
    BAD_USERNAMES,
    BIO,
    BODY,
    COMMENT,
    DESCRIPTION,
    IMAGE_BREAKING_OUT,
    IMAGE_WITH_HANDLER,
    IMG,
    SCRIPT,
    TAGS,
    TEXTAREA_BREAK,
    TITLE,
)

INERT_CHECK = """() => {
    const found = [];
    for (const element of document.querySelectorAll("*")) {
        for (const attribute of element.attributes) {
            if (attribute.name.startsWith("on")) found.push(`${element.tagName} ${attribute.name}`);
            if (["href", "src", "action", "formaction", "data"].includes(attribute.name)
                && /^\\s*(javascript|data|vbscript):/i.test(attribute.value)
                && !(element.tagName === "IMG" && attribute.value.startsWith("data:image/"))) {
                found.push(`${element.tagName} ${attribute.name}=${attribute.value}`);
            }
        }
    }
    const injected = "script:not([src]), iframe, object, embed, style, base, svg, img[src='x'], "
        + "meta[http-equiv], link:not([rel='stylesheet']):not([rel='icon'])";
    for (const element of document.querySelectorAll(injected)) found.push(element.outerHTML.slice(0, 80));
    return found;
}"""
PAYLOAD_SHOWN = """(payload) => document.body.innerText.includes(payload)
    || [...document.querySelectorAll("input, textarea")].some((field) => field.value.includes(payload))"""


@dataclass(frozen=True, slots=True)
class Planted:
    """An author and a commenter whose every field holds a payload, and their article."""

    author: Account
    commenter: Account
    slug: str

    def path(self, template: str) -> str:
        return template.format(
            slug=self.slug,
            author=self.author.username,
            commenter=self.commenter.username,
            tag=quote(TAGS[0], safe=""),
        )


@pytest.fixture(scope="module")
def planted(api: LiveApi) -> Planted:
    author = api.register("xssauthor")
    api.update_user(author, bio=BIO, image=IMAGE_BREAKING_OUT)
    commenter = api.register("xsscommenter")
    api.update_user(commenter, bio=BIO, image=IMAGE_WITH_HANDLER)
    article = api.create_article(author, title=TITLE, description=DESCRIPTION, body=BODY, tags=TAGS)
    api.add_comment(commenter, article["slug"], COMMENT)
    api.add_comment(author, article["slug"], COMMENT)
    api.favorite(author, article["slug"])
    api.favorite(commenter, article["slug"])
    api.follow(commenter, author.username)
    return Planted(author=author, commenter=commenter, slug=article["slug"])


@pytest.fixture(scope="module")
def viewers(browser: Browser, live_server: str, planted: Planted) -> Iterator[dict[str, BrowserContext]]:
    """Browser profiles without the CSP (see the module's docstring): anonymous, the author, the commenter."""
    contexts: dict[str, BrowserContext] = {}
    for name, account in (("anonymous", None), ("author", planted.author), ("commenter", planted.commenter)):
        context = browser.new_context(base_url=live_server, bypass_csp=True)
        context.set_default_timeout(10_000)
        if account is not None:
            page = context.new_page()
            sign_in(page, account)
            page.close()
        contexts[name] = context
    yield contexts
    for context in contexts.values():
        context.close()


class Alarm:
    """Records every dialog a page opens (and dismisses it, so nothing blocks)."""

    def __init__(self, page: Page) -> None:
        self.dialogs: list[str] = []
        page.on("dialog", self._opened)

    def _opened(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def assert_inert(page: Page, alarm: Alarm) -> None:
    assert alarm.dialogs == [], f"a payload opened a dialog on {page.url}"
    assert page.evaluate("window.__xss") is None, f"a payload ran on {page.url}"
    assert page.evaluate(INERT_CHECK) == [], f"injected markup on {page.url}"


@pytest.fixture
def xss_page(request: pytest.FixtureRequest, viewers: dict[str, BrowserContext]) -> Iterator[Page]:
    page = viewers[request.param].new_page()
    yield page
    page.close()


# --- no payload runs or becomes markup --------------------------------------------------------------

PAGES = [
    ("anonymous", "/"),
    ("anonymous", "/?tag={tag}"),
    ("anonymous", "/article/{slug}"),
    ("anonymous", "/profile/{author}"),
    ("anonymous", "/profile/{author}/favorites"),
    ("anonymous", "/profile/{commenter}"),
    ("author", "/"),
    ("author", "/article/{slug}"),
    ("author", "/settings"),
    ("author", "/editor/{slug}"),
    ("author", "/profile/{author}"),
    ("commenter", "/?feed=following"),
    ("commenter", "/article/{slug}"),
    ("commenter", "/settings"),
    ("commenter", "/profile/{author}/favorites"),
]


@pytest.mark.parametrize(
    ("xss_page", "path"), PAGES, indirect=["xss_page"], ids=[f"{who}:{path}" for who, path in PAGES]
)
def test_payloads_show_as_text_and_never_run(xss_page: Page, path: str, planted: Planted) -> None:
    alarm = Alarm(xss_page)

    response = xss_page.goto(planted.path(path))

    assert response is not None
    assert response.status == 200
    assert xss_page.evaluate(PAYLOAD_SHOWN, SCRIPT), "the payload is not on the page: nothing was tested"
    assert_inert(xss_page, alarm)


@pytest.mark.parametrize("xss_page", ["anonymous"], indirect=True)
def test_the_article_shows_every_payload_literally(xss_page: Page, planted: Planted) -> None:
    xss_page.goto(planted.path("/article/{slug}"))

    expect(xss_page.get_by_role("heading", level=1)).to_have_text(TITLE)
    body = xss_page.locator(".article-body")
    expect(body).to_contain_text(f"Raw {SCRIPT}")
    expect(body).to_contain_text(IMG)
    expect(body.get_by_role("link")).to_have_count(1)  # only the https one
    expect(body.get_by_role("link")).to_have_attribute("href", "https://ok.example/")
    expect(body.locator("code")).to_have_text(SCRIPT)
    tags = xss_page.get_by_role("list", name="Tags")
    expect(tags.get_by_role("link")).to_have_text(sorted(TAGS))
    expect(xss_page.locator("#comments .comment-body").first).to_have_text(
        re.compile(re.escape(f"Comment {SCRIPT}") + r"\s*" + re.escape(IMG))
    )


@pytest.mark.parametrize("xss_page", ["commenter"], indirect=True)
def test_payloads_in_htmx_fragments_never_run(xss_page: Page, api: LiveApi, planted: Planted) -> None:
    # An article of its own, so the pages the other tests visit stay as planted.
    article = api.create_article(planted.author, title=TITLE, description=DESCRIPTION, body=BODY, tags=TAGS)
    alarm = Alarm(xss_page)
    xss_page.goto(f"/article/{article['slug']}")

    xss_page.get_by_label("Add a comment").fill(COMMENT)
    xss_page.get_by_role("button", name="Post comment").click()
    expect(xss_page.get_by_role("region", name="Comments")).to_contain_text(f"Comment {SCRIPT}")
    assert_inert(xss_page, alarm)

    favorite_button(xss_page, TITLE).click()
    expect(favorite_button(xss_page, TITLE, favorited=True)).to_have_attribute("aria-pressed", "true")
    assert_inert(xss_page, alarm)

    follow_button(xss_page, planted.author.username, following=True).click()
    follow_button(xss_page, planted.author.username).click()
    expect(follow_button(xss_page, planted.author.username, following=True)).to_be_visible()
    assert_inert(xss_page, alarm)


@pytest.mark.parametrize("xss_page", ["author"], indirect=True)
def test_payloads_kept_in_rejected_forms_never_run(xss_page: Page, planted: Planted) -> None:
    alarm = Alarm(xss_page)

    xss_page.goto("/editor")
    xss_page.get_by_label("What's this article about?").fill(DESCRIPTION)
    xss_page.get_by_label("Article", exact=True).fill(BODY)
    xss_page.get_by_label("Tags").fill(f"{TEXTAREA_BREAK}, {ATTRIBUTE_BREAK}")
    xss_page.get_by_role("button", name="Publish article").click()
    expect(xss_page.get_by_label("Title", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(xss_page.get_by_label("Article", exact=True)).to_have_value(BODY)
    expect(xss_page.get_by_label("Tags")).to_have_value(f"{TEXTAREA_BREAK}, {ATTRIBUTE_BREAK}")
    assert_inert(xss_page, alarm)

    xss_page.goto("/settings")
    xss_page.get_by_label("Picture URL").fill(f"javascript:{ATTRIBUTE_BREAK}")
    xss_page.get_by_label("Bio").fill(BIO)
    xss_page.get_by_role("button", name="Update settings").click()
    expect(xss_page.get_by_label("Picture URL")).to_have_attribute("aria-invalid", "true")
    expect(xss_page.get_by_label("Picture URL")).to_have_value(f"javascript:{ATTRIBUTE_BREAK}")
    expect(xss_page.get_by_label("Bio")).to_have_value(BIO)
    assert_inert(xss_page, alarm)


@pytest.mark.parametrize("xss_page", ["anonymous"], indirect=True)
def test_payloads_kept_in_rejected_sign_up_and_sign_in_forms_never_run(xss_page: Page) -> None:
    alarm = Alarm(xss_page)

    xss_page.goto("/register")
    xss_page.get_by_label("Username").fill(ATTRIBUTE_BREAK)
    xss_page.get_by_label("Email").fill(f"{ATTRIBUTE_BREAK}@example.com")
    xss_page.get_by_label("Password").fill(PASSWORD)
    xss_page.get_by_role("button", name="Sign up").click()
    expect(xss_page.get_by_label("Username")).to_have_attribute("aria-invalid", "true")
    expect(xss_page.get_by_label("Username")).to_have_value(ATTRIBUTE_BREAK)
    assert_inert(xss_page, alarm)

    xss_page.goto(f"/login?next={quote(ATTRIBUTE_BREAK)}")
    xss_page.get_by_label("Email").fill(ATTRIBUTE_BREAK)
    xss_page.get_by_label("Password").fill("wrong")
    xss_page.get_by_role("button", name="Sign in").click()
    expect(xss_page.get_by_role("alert")).to_be_visible()
    expect(xss_page.get_by_label("Email")).to_have_value(ATTRIBUTE_BREAK)
    assert_inert(xss_page, alarm)


@pytest.mark.parametrize("username", BAD_USERNAMES)
def test_a_username_with_markup_is_refused(api: LiveApi, username: str) -> None:
    response = api.post_raw(
        "/users",
        {"user": {"username": username, "email": f"{unique_name('bad')}@example.com", "password": PASSWORD}},
    )

    assert response.status_code == 422
    assert response.json()["errors"]["username"] == ["may only contain letters, digits, '_', '-' and '.'"]


# --- the Content Security Policy and other headers -----------------------------------------------

HEADER_PAGES = [
    "/",
    "/login",
    "/register",
    "/article/{slug}",
    "/profile/{author}",
    "/no/such/page",
    "/static/css/conduit.css",
]


@pytest.mark.parametrize("path", HEADER_PAGES)
def test_pages_carry_the_security_headers(page: Page, path: str, planted: Planted) -> None:
    response = page.goto(planted.path(path))

    assert response is not None
    headers = response.headers
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in headers["content-security-policy"].split("; ")
    }
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["x-frame-options"] == "DENY"


CSP_WATCH = """document.addEventListener("securitypolicyviolation", (event) => {
    (window.__cspViolations ||= []).push(`${event.violatedDirective} ${event.blockedURI}`);
});"""


def test_our_own_pages_break_none_of_the_policy(page: Page, api: LiveApi) -> None:
    """Inline scripts, inline styles or handlers in our templates would be blocked: there are none."""
    author = api.register("cspauthor")
    article = api.create_article(author, tags=["csp"], body="# Heading\n\n*some* `code`")
    api.add_comment(author, article["slug"], "A comment")
    page.add_init_script(CSP_WATCH)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    sign_in(page, author)

    for path in (
        "/",
        "/?feed=following",
        "/?tag=csp",
        f"/article/{article['slug']}",
        f"/editor/{article['slug']}",
        "/editor",
        "/settings",
        f"/profile/{author.username}",
        f"/profile/{author.username}/favorites",
        "/no/such/page",
    ):
        page.goto(path)
        assert page.evaluate("window.__cspViolations ?? []") == [], path
    page.goto(f"/article/{article['slug']}")
    page.get_by_label("Add a comment").fill("Posted with htmx")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_role("region", name="Comments")).to_contain_text("Posted with htmx")
    assert page.evaluate("window.__cspViolations ?? []") == []
    assert [text for text in console if "Content Security Policy" in text] == []


def test_the_session_cookie_is_out_of_reach_of_scripts(
    page: Page, context: BrowserContext, api: LiveApi
) -> None:
    account = api.register("cookies")
    sign_in_with_the_form(page, account)

    cookies = {cookie["name"]: cookie for cookie in context.cookies()}
    assert cookies["conduit_session"]["httpOnly"] is True
    assert cookies["conduit_session"]["sameSite"] == "Lax"
    assert cookies["conduit_csrf"]["httpOnly"] is True
    assert cookies["conduit_csrf"]["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""


# --- forged form posts ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scene:
    """``me``, signed in in a browser of my own, and ``other``: an article each, my comment on theirs."""

    browser: BrowserContext
    me: Account
    other: Account
    my_slug: str
    other_slug: str
    my_comment_id: int

    def page(self) -> Page:
        return self.browser.new_page()

    def csrf_token(self) -> str:
        """The token this browser's pages carry (what a real form on our site would send)."""
        page = self.page()
        page.goto("/")
        token = page.locator("input[name=csrf_token]").first.input_value()
        page.close()
        return token


@pytest.fixture(scope="module")
def scene(browser: Browser, live_server: str, api: LiveApi) -> Iterator[Scene]:
    """One signed-in browser for the module: forged posts are refused, so they leave it as it was."""
    me = api.register("target")
    other = api.register("bystander")
    mine = api.create_article(me, title=unique_name("Mine "))
    theirs = api.create_article(other, title=unique_name("Theirs "))
    comment = api.add_comment(me, theirs["slug"], "My comment")
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, me)
    page.close()
    yield Scene(
        browser=context,
        me=me,
        other=other,
        my_slug=mine["slug"],
        other_slug=theirs["slug"],
        my_comment_id=comment["id"],
    )
    context.close()


def state_of(api: LiveApi, scene: Scene) -> dict[str, Any]:
    """Everything the forged posts below aim at."""
    mine = api.get_article(scene.my_slug, token=scene.me.token)["article"]
    theirs = api.get_article(scene.other_slug, token=scene.me.token)["article"]
    user = api.current_user(scene.me)
    return {
        "mine": (mine["title"], mine["description"], mine["body"], mine["tagList"]),
        "theirs favorited": theirs["favorited"],
        "following": api.profile(scene.other.username, token=scene.me.token)["following"],
        "comments": [(comment["id"], comment["body"]) for comment in api.comments(scene.other_slug)],
        "user": (user["username"], user["email"], user["bio"], user["image"]),
        "article count": api.articles_count(scene.me.username),
    }


FORGED_POSTS = {
    "favorite": ("/article/{other_slug}/favorite", {"next": "/"}),
    "follow": ("/profile/{other}/follow", {"next": "/"}),
    "comment": ("/article/{other_slug}/comments", {"body": "forged comment"}),
    "delete comment": ("/article/{other_slug}/comments/{comment_id}/delete", {}),
    "delete article": ("/article/{my_slug}/delete", {}),
    "new article": ("/editor", {"title": "Forged", "description": "d", "body": "b", "tags": ""}),
    "edit article": ("/editor/{my_slug}", {"title": "Forged", "description": "d", "body": "b", "tags": ""}),
    "settings": (
        "/settings",
        {"username": "forged", "email": "forged@example.com", "bio": "forged", "image": "", "password": ""},
    ),
    "sign out": ("/logout", {}),
}


@pytest.mark.parametrize("token", [None, "forged-token"], ids=["no token", "forged token"])
@pytest.mark.parametrize("action", list(FORGED_POSTS))
def test_a_post_without_this_browsers_csrf_token_is_refused_and_changes_nothing(
    api: LiveApi, scene: Scene, action: str, token: str | None
) -> None:
    path, fields = FORGED_POSTS[action]
    target = path.format(
        other_slug=scene.other_slug,
        my_slug=scene.my_slug,
        other=scene.other.username,
        comment_id=scene.my_comment_id,
    )
    before = state_of(api, scene)

    form: dict[str, str | float | bool] = {**fields, **({"csrf_token": token} if token else {})}
    # The browser's own cookies (session, CSRF seed) go along, as with a form on another site.
    response = scene.browser.request.post(target, form=form, max_redirects=0)

    assert response.status == 403
    assert "did not come from this site" in response.text()
    assert state_of(api, scene) == before
    assert scene.browser.request.get("/settings", max_redirects=0).status == 200  # still signed in


def test_a_csrf_token_from_another_browser_is_refused(
    browser: Browser, live_server: str, api: LiveApi, scene: Scene
) -> None:
    stranger = browser.new_context(base_url=live_server)
    page = stranger.new_page()
    page.goto("/login")
    foreign_token = page.locator("input[name=csrf_token]").first.input_value()
    stranger.close()
    target = f"/article/{scene.other_slug}/favorite"

    in_form = scene.browser.request.post(target, form={"csrf_token": foreign_token}, max_redirects=0)
    in_header = scene.browser.request.post(target, headers={"X-CSRF-Token": foreign_token}, max_redirects=0)

    assert (in_form.status, in_header.status) == (403, 403)
    assert api.get_article(scene.other_slug, token=scene.me.token)["article"]["favorited"] is False


def test_the_same_post_with_this_browsers_token_works(api: LiveApi, scene: Scene) -> None:
    article = api.create_article(scene.other)

    response = scene.browser.request.post(
        f"/article/{article['slug']}/favorite",
        form={"csrf_token": scene.csrf_token(), "next": "/"},
        max_redirects=0,
    )

    assert response.status == 303
    assert response.headers["location"] == "/"
    assert api.get_article(article["slug"], token=scene.me.token)["article"]["favorited"] is True


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_the_redirect_after_a_post_stays_on_this_site(api: LiveApi, scene: Scene, target: str) -> None:
    article = api.create_article(scene.other)

    response = scene.browser.request.post(
        f"/article/{article['slug']}/favorite",
        form={"csrf_token": scene.csrf_token(), "next": target},
        max_redirects=0,
    )

    assert response.status == 303
    assert response.headers["location"] == f"/article/{article['slug']}"


# --- only authors get the controls, and the endpoints refuse everyone else --------------------------


def test_another_persons_article_shows_no_edit_or_delete_controls(api: LiveApi, scene: Scene) -> None:
    article = api.create_article(scene.other)
    api.add_comment(scene.other, article["slug"], "Their comment")
    api.add_comment(scene.me, article["slug"], "My own comment")
    page = scene.page()

    page.goto(f"/article/{article['slug']}")

    expect(page.get_by_role("heading", level=1)).to_have_text(article["title"])
    expect(page.get_by_role("link", name="Edit article")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete article")).to_have_count(0)
    expect(follow_button(page, scene.other.username)).to_be_visible()
    comments = page.get_by_role("region", name="Comments").get_by_role("article")
    expect(
        comments.filter(has_text="Their comment").get_by_role("button", name="Delete comment")
    ).to_have_count(0)
    expect(
        comments.filter(has_text="My own comment").get_by_role("button", name="Delete comment")
    ).to_have_count(1)
    expect(page.locator("form[action$='/delete']")).to_have_count(1)
    page.close()


def test_a_signed_out_visitor_sees_no_edit_delete_or_comment_controls(page: Page, api: LiveApi) -> None:
    author = api.register("public")
    article = api.create_article(author)
    api.add_comment(author, article["slug"], "Author's comment")

    page.goto(f"/article/{article['slug']}")

    expect(page.get_by_role("heading", level=1)).to_have_text(article["title"])
    expect(page.get_by_role("link", name="Edit article")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Delete"))).to_have_count(0)
    expect(page.get_by_label("Add a comment")).to_have_count(0)
    expect(page.locator("form[action$='/delete']")).to_have_count(0)
    expect(page.locator(".comments-sign-in").get_by_role("link", name="Sign in")).to_be_visible()


def test_the_endpoints_refuse_another_persons_article_and_comments(api: LiveApi, scene: Scene) -> None:
    article = api.create_article(scene.other)
    their_comment = api.add_comment(scene.other, article["slug"], "Their comment")
    token = scene.csrf_token()
    request = scene.browser.request
    before = api.get_article(article["slug"])["article"]

    responses = {
        "edit page": request.get(f"/editor/{article['slug']}"),
        "edit": request.post(
            f"/editor/{article['slug']}",
            form={"csrf_token": token, "title": "Hijacked", "description": "d", "body": "b", "tags": ""},
            max_redirects=0,
        ),
        "delete": request.post(
            f"/article/{article['slug']}/delete", form={"csrf_token": token}, max_redirects=0
        ),
        "delete comment": request.post(
            f"/article/{article['slug']}/comments/{their_comment['id']}/delete",
            form={"csrf_token": token},
            max_redirects=0,
        ),
    }

    assert {name: response.status for name, response in responses.items()} == dict.fromkeys(responses, 403)
    assert responses["edit page"].headers["content-type"].startswith("text/html")
    assert api.get_article(article["slug"])["article"] == before
    assert [comment["id"] for comment in api.comments(article["slug"])] == [their_comment["id"]]
