"""Profile pages (``/profile/<username>`` and ``/profile/<username>/favorites``) and the follow
buttons: what the page shows to whom, the tabs and pagination, following with plain forms (303 back)
and with htmx (just the button), sign-in redirects, refusals and CSRF.
"""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import PASSWORD, auth, create_article, register
from tests.web.helpers import browser, csrf_token, register_browserless, submit

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

HTMX = {"HX-Request": "true"}
_LINK = re.compile(r'<a href="([^"]*)"([^>]*)>([^<]*)</a>')


def current_tab(page: str) -> tuple[str, str]:
    """The address and label of the article tab marked as the current page (there must be one)."""
    tabs = page.split('<nav class="tabs" aria-label="Articles">')[1].split("</nav>", maxsplit=1)[0]
    [current] = [
        (href, label) for href, attrs, label in _LINK.findall(tabs) if 'aria-current="page"' in attrs
    ]
    return current


async def is_following(client: httpx.AsyncClient, username: str, token: str) -> bool:
    response = await client.get(f"/api/profiles/{username}", headers=auth(token))
    assert response.status_code == 200, response.text
    following: bool = response.json()["profile"]["following"]
    return following


async def follow_over_api(client: httpx.AsyncClient, username: str, token: str) -> None:
    response = await client.post(f"/api/profiles/{username}/follow", headers=auth(token))
    assert response.status_code == 200, response.text


@pytest.fixture
async def jake_token(client: httpx.AsyncClient) -> str:
    """jake exists (not signed in on ``client``); returns his API token."""
    return str((await register(client, "jake"))["token"])


@pytest.fixture
async def ann_token(client: httpx.AsyncClient) -> str:
    """ann is signed in on ``client``; returns her API token."""
    await register_browserless(client, "ann")
    response = await client.post(
        "/api/users/login", json={"user": {"email": "ann@example.com", "password": PASSWORD}}
    )
    return str(response.json()["user"]["token"])


# --- the page -----------------------------------------------------------------------------------


async def test_a_profile_shows_the_users_picture_name_and_bio(
    client: httpx.AsyncClient, jake_token: str
) -> None:
    await client.put(
        "/api/user",
        json={"user": {"bio": "I work at <b>statefarm</b>", "image": "https://example.com/jake.png"}},
        headers=auth(jake_token),
    )

    response = await client.get("/profile/jake")

    assert response.status_code == 200
    page = response.text
    assert "<title>jake — Conduit</title>" in page
    assert '<h1 id="profile-name">jake</h1>' in page
    assert '<p class="bio">I work at &lt;b&gt;statefarm&lt;/b&gt;</p>' in page
    assert '<img class="avatar avatar-lg" src="https://example.com/jake.png"' in page


# DECISIONS: unknown profile: 404.
async def test_an_unknown_profile_is_a_404_page_in_the_sites_look(client: httpx.AsyncClient) -> None:
    response = await client.get("/profile/nobody")

    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Page not found</h1>" in response.text
    assert "<p>Profile not found</p>" in response.text
    assert '<nav class="container nav" aria-label="Main">' in response.text


@pytest.mark.parametrize("path", ["/profile/nobody/favorites", "/profile/jake/following"])
async def test_other_unknown_profile_pages_are_404_pages(
    client: httpx.AsyncClient, jake_token: str, path: str
) -> None:
    response = await client.get(path)

    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text


async def test_profile_addresses_ignore_the_case_of_the_username(
    client: httpx.AsyncClient, jake_token: str
) -> None:
    await create_article(client, jake_token, title="Dragons")

    response = await client.get("/profile/JAKE")

    assert response.status_code == 200
    assert '<h1 id="profile-name">jake</h1>' in response.text
    assert "<h2>Dragons</h2>" in response.text
    assert '<a href="/profile/jake/favorites"' in response.text


async def test_the_articles_tab_lists_only_the_users_own_articles(
    client: httpx.AsyncClient, jake_token: str
) -> None:
    other = await register(client, "jacob")
    await create_article(client, jake_token, title="Jake writes")
    await create_article(client, other["token"], title="Jacob writes")

    response = await client.get("/profile/jake")

    page = response.text
    assert current_tab(page) == ("/profile/jake", "My articles")
    assert "<h2>Jake writes</h2>" in page
    assert "Jacob writes" not in page


async def test_the_favorites_tab_lists_the_articles_the_user_favorited(
    client: httpx.AsyncClient, jake_token: str
) -> None:
    other = await register(client, "jacob")
    liked = await create_article(client, other["token"], title="Liked by jake")
    await create_article(client, other["token"], title="Not liked")
    await create_article(client, jake_token, title="Written by jake")
    await client.post(f"/api/articles/{liked['slug']}/favorite", headers=auth(jake_token))

    response = await client.get("/profile/jake/favorites")

    assert response.status_code == 200
    page = response.text
    assert current_tab(page) == ("/profile/jake/favorites", "Favorited articles")
    assert "<h2>Liked by jake</h2>" in page
    assert "Not liked" not in page
    assert "Written by jake" not in page


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/profile/jake", "No articles are here… yet."),
        ("/profile/jake/favorites", "No favorited articles yet."),
    ],
)
async def test_an_empty_tab_says_so(
    client: httpx.AsyncClient, jake_token: str, path: str, message: str
) -> None:
    response = await client.get(path)

    assert f'<p class="empty">{message}</p>' in response.text


async def test_the_articles_are_paginated_ten_to_a_page(client: httpx.AsyncClient, jake_token: str) -> None:
    for number in range(1, 12):
        await create_article(client, jake_token, title=f"Article {number:02d}")

    first = await client.get("/profile/jake")
    second = await client.get("/profile/jake", params={"page": "2"})

    assert first.text.count('class="article-preview"') == 10
    assert "<h2>Article 11</h2>" in first.text
    assert "<h2>Article 01</h2>" not in first.text
    assert '<a href="/profile/jake" aria-current="page">1</a>' in first.text
    assert '<a href="/profile/jake?page=2" >2</a>' in first.text
    assert second.status_code == 200
    assert second.text.count('class="article-preview"') == 1
    assert "<h2>Article 01</h2>" in second.text
    assert '<a href="/profile/jake?page=2" aria-current="page">2</a>' in second.text


async def test_buttons_on_a_later_page_come_back_to_that_page(
    client: httpx.AsyncClient, jake_token: str
) -> None:
    for number in range(1, 12):
        await create_article(client, jake_token, title=f"Article {number:02d}")

    response = await client.get("/profile/jake", params={"page": "2"})

    assert response.text.count('<input type="hidden" name="next" value="/profile/jake?page=2">') == 2


async def test_a_page_number_that_is_not_a_number_is_a_422_page(
    client: httpx.AsyncClient, jake_token: str
) -> None:
    response = await client.get("/profile/jake", params={"page": "zero"})

    assert response.status_code == 422
    assert "<h1>That did not work</h1>" in response.text


# --- the follow button --------------------------------------------------------------------------


async def test_signed_out_visitors_see_a_follow_button(client: httpx.AsyncClient, jake_token: str) -> None:
    response = await client.get("/profile/jake")

    page = response.text
    assert '<form class="inline-form follow-form" method="post" action="/profile/jake/follow"' in page
    assert '<input type="hidden" name="next" value="/profile/jake">' in page
    assert "Follow jake" in page
    assert "Edit profile settings" not in page


async def test_your_own_profile_links_to_settings_instead_of_a_follow_button(
    client: httpx.AsyncClient, ann_token: str
) -> None:
    response = await client.get("/profile/ann")

    page = response.text
    assert (
        '<a class="button button-small button-outline-secondary" href="/settings">Edit profile settings</a>'
        in page
    )
    assert "follow-form" not in page
    assert '<a class="nav-profile" href="/profile/ann" aria-current="page">' in page


async def test_a_followed_profile_shows_an_unfollow_button(
    client: httpx.AsyncClient, jake_token: str, ann_token: str
) -> None:
    await follow_over_api(client, "jake", ann_token)

    response = await client.get("/profile/jake")

    assert 'action="/profile/jake/unfollow"' in response.text
    assert 'aria-pressed="true"' in response.text
    assert "Unfollow jake" in response.text


# --- following with plain forms -----------------------------------------------------------------


async def test_following_goes_back_to_the_page_the_button_was_on(
    client: httpx.AsyncClient, jake_token: str, ann_token: str
) -> None:
    response = await submit(client, "/profile/jake/follow", {"next": "/?tag=dragons"}, page="/profile/jake")

    assert response.status_code == 303
    assert response.headers["location"] == "/?tag=dragons"
    assert await is_following(client, "jake", ann_token)


@pytest.mark.parametrize("target", ["", "https://evil.example/", "//evil.example/"])
async def test_following_without_a_local_next_page_goes_to_the_profile(
    client: httpx.AsyncClient, jake_token: str, ann_token: str, target: str
) -> None:
    response = await submit(client, "/profile/jake/follow", {"next": target}, page="/profile/jake")

    assert response.status_code == 303
    assert response.headers["location"] == "/profile/jake"


# DECISIONS: follow is idempotent.
async def test_following_twice_changes_nothing(
    client: httpx.AsyncClient, jake_token: str, ann_token: str
) -> None:
    await submit(client, "/profile/jake/follow", page="/profile/jake")

    response = await submit(client, "/profile/jake/follow", page="/profile/jake")

    assert response.status_code == 303
    assert await is_following(client, "jake", ann_token)


async def test_unfollowing_goes_back_and_unfollows(
    client: httpx.AsyncClient, jake_token: str, ann_token: str
) -> None:
    await follow_over_api(client, "jake", ann_token)

    response = await submit(client, "/profile/jake/unfollow", {"next": "/profile/jake"}, page="/profile/jake")

    assert response.status_code == 303
    assert response.headers["location"] == "/profile/jake"
    assert not await is_following(client, "jake", ann_token)


# DECISIONS: following yourself is 422.
async def test_following_yourself_shows_the_error_page(client: httpx.AsyncClient, ann_token: str) -> None:
    response = await submit(client, "/profile/ann/follow", {"next": "/profile/ann"}, page="/profile/ann")

    assert response.status_code == 422
    assert "<h1>That did not work</h1>" in response.text
    assert "<p>Username can&#39;t be followed by yourself</p>" in response.text


@pytest.mark.parametrize("action", ["follow", "unfollow"])
async def test_following_an_unknown_user_is_a_404_page(
    client: httpx.AsyncClient, ann_token: str, action: str
) -> None:
    response = await submit(client, f"/profile/nobody/{action}", page="/profile/ann")

    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text


@pytest.mark.parametrize("action", ["follow", "unfollow"])
async def test_signed_out_visitors_are_sent_to_sign_in_and_back_to_the_page(
    client: httpx.AsyncClient, jake_token: str, action: str
) -> None:
    response = await submit(client, f"/profile/jake/{action}", {"next": "/?page=2"}, page="/profile/jake")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2F%3Fpage%3D2"


async def test_signed_out_visitors_come_back_to_the_profile_without_a_next_page(
    client: httpx.AsyncClient, jake_token: str
) -> None:
    response = await submit(client, "/profile/jake/follow", page="/profile/jake")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fprofile%2Fjake"


# --- following with htmx ------------------------------------------------------------------------


async def test_following_with_htmx_returns_only_the_updated_button(
    client: httpx.AsyncClient, jake_token: str, ann_token: str
) -> None:
    token = await csrf_token(client, "/profile/jake")

    response = await client.post(
        "/profile/jake/follow", data={"next": "/profile/jake"}, headers={**HTMX, "X-CSRF-Token": token}
    )

    assert response.status_code == 200
    fragment = response.text.strip()
    assert fragment.startswith(
        '<form class="inline-form follow-form" method="post" action="/profile/jake/unfollow"'
    )
    assert fragment.endswith("</form>")
    assert fragment.count("<form") == 1
    assert "<html" not in fragment
    assert 'aria-pressed="true"' in fragment
    assert "Unfollow jake" in fragment
    assert '<input type="hidden" name="next" value="/profile/jake">' in fragment
    assert f'<input type="hidden" name="csrf_token" value="{token}">' in fragment
    assert await is_following(client, "jake", ann_token)


async def test_unfollowing_with_htmx_returns_the_follow_button(
    client: httpx.AsyncClient, jake_token: str, ann_token: str
) -> None:
    await follow_over_api(client, "jake", ann_token)

    response = await submit(client, "/profile/jake/unfollow", page="/profile/jake", headers=HTMX)

    assert response.status_code == 200
    assert response.text.strip().startswith(
        '<form class="inline-form follow-form" method="post" action="/profile/jake/follow"'
    )
    assert 'aria-pressed="false"' in response.text
    assert not await is_following(client, "jake", ann_token)


async def test_following_with_htmx_while_signed_out_asks_htmx_to_go_to_sign_in(
    client: httpx.AsyncClient, jake_token: str
) -> None:
    response = await submit(client, "/profile/jake/follow", {"next": "/"}, page="/profile/jake", headers=HTMX)

    assert response.status_code == 204
    assert response.headers["hx-redirect"] == "/login?next=%2F"
    assert response.content == b""


# --- CSRF ---------------------------------------------------------------------------------------


# DECISIONS: CSRF protection on every form.
async def test_following_without_a_csrf_token_is_forbidden_and_changes_nothing(
    client: httpx.AsyncClient, jake_token: str, ann_token: str
) -> None:
    response = await client.post("/profile/jake/follow", data={"next": "/"}, headers=HTMX)

    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in response.text
    assert not await is_following(client, "jake", ann_token)


async def test_unfollowing_with_another_browsers_csrf_token_is_forbidden_and_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI, jake_token: str, ann_token: str
) -> None:
    await follow_over_api(client, "jake", ann_token)
    async with browser(app) as attacker:
        forged = await csrf_token(attacker)

    response = await client.post("/profile/jake/unfollow", data={"csrf_token": forged})

    assert response.status_code == 403
    assert await is_following(client, "jake", ann_token)
