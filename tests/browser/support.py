"""What browser tests share: quick set-up through the live server's JSON API, signing in, and
accessible locators for the controls several pages have (favorite and follow buttons, the header).

Everything here is synchronous (httpx), like Playwright's sync API the tests use next to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.helpers import PASSWORD, unique_name


@dataclass(frozen=True, slots=True)
class Account:
    username: str
    email: str
    token: str
    password: str = PASSWORD


class LiveApi:
    """A thin client for ``/api`` on the live server (one connection pool: close it when done)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._http = httpx.Client(base_url=f"{base_url}/api", timeout=10)

    def close(self) -> None:
        self._http.close()

    def _request(
        self, method: str, path: str, *, token: str | None = None, json: Any = None, expect: int = 200
    ) -> Any:
        headers = {"Authorization": f"Token {token}"} if token else {}
        response = self._http.request(method, path, json=json, headers=headers)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def register(self, prefix: str = "user", *, username: str | None = None) -> Account:
        username = username or unique_name(prefix)
        email = f"{username.lower()}@example.com"
        user = self._request(
            "POST",
            "/users",
            json={"user": {"username": username, "email": email, "password": PASSWORD}},
            expect=201,
        )["user"]
        return Account(username=user["username"], email=email, token=user["token"])

    def update_user(self, account: Account, **fields: Any) -> dict[str, Any]:
        user: dict[str, Any] = self._request("PUT", "/user", token=account.token, json={"user": fields})[
            "user"
        ]
        return user

    def create_article(
        self,
        author: Account,
        *,
        title: str | None = None,
        description: str = "A short description",
        body: str = "Some *body* text.",
        tags: list[str] | None = None,
    ) -> dict[str, Any]:
        article: dict[str, Any] = self._request(
            "POST",
            "/articles",
            token=author.token,
            json={
                "article": {
                    "title": title or unique_name("Article "),
                    "description": description,
                    "body": body,
                    "tagList": tags or [],
                }
            },
            expect=201,
        )["article"]
        return article

    def get_article(self, slug: str, *, token: str | None = None, expect: int = 200) -> Any:
        return self._request("GET", f"/articles/{slug}", token=token, expect=expect)

    def articles_count(self, author: str) -> int:
        count: int = self._request("GET", f"/articles?author={author}&limit=1")["articlesCount"]
        return count

    def add_comment(self, author: Account, slug: str, body: str) -> dict[str, Any]:
        comment: dict[str, Any] = self._request(
            "POST", f"/articles/{slug}/comments", token=author.token, json={"comment": {"body": body}}
        )["comment"]
        return comment

    def comments(self, slug: str) -> list[dict[str, Any]]:
        comments: list[dict[str, Any]] = self._request("GET", f"/articles/{slug}/comments")["comments"]
        return comments

    def favorite(self, account: Account, slug: str) -> None:
        self._request("POST", f"/articles/{slug}/favorite", token=account.token)

    def follow(self, account: Account, username: str) -> None:
        self._request("POST", f"/profiles/{username}/follow", token=account.token)

    def profile(self, username: str, *, token: str | None = None) -> dict[str, Any]:
        profile: dict[str, Any] = self._request("GET", f"/profiles/{username}", token=token)["profile"]
        return profile

    def current_user(self, account: Account, *, expect: int = 200) -> dict[str, Any]:
        user: dict[str, Any] = self._request("GET", "/user", token=account.token, expect=expect).get(
            "user", {}
        )
        return user

    def post_raw(self, path: str, json: Any, *, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Token {token}"} if token else {}
        return self._http.post(path, json=json, headers=headers)


MARKER = "window.__marker"


def set_marker(page: Page) -> None:
    """A value that lives only as long as this document: a full page load would drop it."""
    page.evaluate(f"{MARKER} = 1")


def assert_not_reloaded(page: Page, url: str) -> None:
    assert page.evaluate(MARKER) == 1, "the page navigated: the update was not done in place"
    assert page.url == url


_CSRF_INPUT = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')


def sign_in(page: Page, account: Account) -> None:
    """Signs in by posting the sign-in form from this browser (its cookies, its CSRF token), without
    drawing the pages: for tests about something else. The form itself is under test elsewhere."""
    form_page = page.request.get("/login")
    match = _CSRF_INPUT.search(form_page.text())
    assert match is not None, "the sign-in page has no CSRF token"
    response = page.request.post(
        "/login",
        form={"email": account.email, "password": account.password, "csrf_token": match.group(1)},
        max_redirects=0,
    )
    assert response.status == 303, response.text()


def sign_in_with_the_form(page: Page, account: Account) -> None:
    """Signs in the way a person does: fills in the sign-in page and waits for the signed-in header."""
    page.goto("/login")
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    expect(nav_profile_link(page, account.username)).to_be_visible()


def nav_profile_link(page: Page, username: str) -> Locator:
    """The header link to the signed-in person's profile (named by their username)."""
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=username, exact=True)


def favorite_button(page: Page | Locator, title: str, *, favorited: bool = False) -> Locator:
    """The (un)favorite button for an article: compact ("Favorite <title>, 3 favorites") or full
    ("Favorite <title> (3)"). Anchored, because "Favorite X" is also part of "Unfavorite X"."""
    verb = "Unfavorite" if favorited else "Favorite"
    # Playwright sends the pattern as /source/, so a "/" in the title must be escaped as well.
    title_pattern = re.escape(title).replace("/", r"\/")
    name = re.compile(rf"^{verb} {title_pattern}(, \d+ favorites?| \(\d+\))$")
    return page.get_by_role("button", name=name)


def follow_button(page: Page | Locator, username: str, *, following: bool = False) -> Locator:
    return page.get_by_role("button", name=f"{'Unfollow' if following else 'Follow'} {username}", exact=True)
