"""The settings page (``/settings``) with plain forms: who may see it, saving each field, inline
messages with the input kept, CSRF refusals, and a new password revoking the other sessions while
this browser stays signed in.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from markupsafe import escape

from app.web.cookies import SESSION_COOKIE
from tests.helpers import PASSWORD, auth, register
from tests.web.helpers import (
    browser,
    csrf_token,
    csrf_token_from,
    register_browserless,
    session_cookie,
    sets_cookie,
    sign_in_browserless,
    submit,
)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

NEW_PASSWORD = "a brand new passphrase"


def form(**changes: str) -> dict[str, str]:
    """The settings form as jake's browser would send it untouched, with ``changes`` typed in."""
    values = {"image": "", "username": "jake", "bio": "", "email": "jake@example.com", "password": ""}
    return {**values, **changes}


async def current_user(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await client.get("/api/user", headers=auth(token))
    assert response.status_code == 200, response.text
    user: dict[str, Any] = response.json()["user"]
    return user


async def api_sign_in_status(client: httpx.AsyncClient, email: str, password: str) -> int:
    response = await client.post("/api/users/login", json={"user": {"email": email, "password": password}})
    return response.status_code


async def settings_status(client: httpx.AsyncClient) -> int:
    return (await client.get("/settings")).status_code


@pytest.fixture
async def jake(client: httpx.AsyncClient) -> str:
    """jake's browser (``client``) is signed in; returns his session token."""
    response = await register_browserless(client, "jake")
    return str(session_cookie(response)["value"])


# --- who sees the page --------------------------------------------------------------------------


async def test_signed_out_visitors_are_sent_to_sign_in_and_back(client: httpx.AsyncClient) -> None:
    response = await client.get("/settings")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fsettings"


async def test_saving_settings_while_signed_out_is_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await submit(client, "/settings", form(bio="hello"), page="/login")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fsettings"


async def test_a_forged_session_cookie_is_treated_as_signed_out(client: httpx.AsyncClient) -> None:
    client.cookies.set(SESSION_COOKIE, "not.a.token")

    response = await client.get("/settings")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fsettings"


async def test_the_form_shows_the_current_values_and_an_empty_password(
    client: httpx.AsyncClient, jake: str
) -> None:
    await client.put(
        "/api/user",
        json={"user": {"bio": "I like <b>dogs</b>", "image": "https://example.com/jake.png"}},
        headers=auth(jake),
    )

    response = await client.get("/settings")

    assert response.status_code == 200
    page = response.text
    assert '<label for="image">Picture URL</label>' in page
    assert 'id="image" name="image" type="url" value="https://example.com/jake.png"' in page
    assert 'id="username" name="username" type="text" value="jake"' in page
    assert '<label for="bio">Bio</label>' in page
    assert ">\nI like &lt;b&gt;dogs&lt;/b&gt;</textarea>" in page
    assert 'id="email" name="email" type="email" value="jake@example.com"' in page
    assert '<label for="password">New password</label>' in page
    assert '<input id="password" name="password" type="password" autocomplete="new-password"' in page
    assert 'aria-current="page">Settings</a>' in page


async def test_the_page_has_a_csrf_protected_sign_out_form(client: httpx.AsyncClient, jake: str) -> None:
    response = await client.get("/settings")

    sign_out = response.text.split('<form class="inline-form logout-form" method="post" action="/logout">')
    assert len(sign_out) == 2
    assert csrf_token_from(sign_out[1])
    assert "Sign out</button>" in sign_out[1]


# --- saving -------------------------------------------------------------------------------------


async def test_saving_updates_every_field_and_goes_to_the_new_profile(
    client: httpx.AsyncClient, jake: str
) -> None:
    data = form(
        image="https://example.com/j.png", username="jacob", bio="Hi there", email="jacob@example.com"
    )

    response = await submit(client, "/settings", data, page="/settings")

    assert response.status_code == 303
    assert response.headers["location"] == "/profile/jacob"
    user = await current_user(client, jake)
    assert {name: user[name] for name in ("image", "username", "bio", "email")} == {
        "image": "https://example.com/j.png",
        "username": "jacob",
        "bio": "Hi there",
        "email": "jacob@example.com",
    }
    assert await settings_status(client) == 200


async def test_an_empty_password_field_keeps_the_current_password(
    client: httpx.AsyncClient, jake: str
) -> None:
    response = await submit(client, "/settings", form(bio="Hi"), page="/settings")

    assert response.status_code == 303
    assert await api_sign_in_status(client, "jake@example.com", PASSWORD) == 200
    assert (await current_user(client, jake))["bio"] == "Hi"


# DECISIONS: PUT /user: `null` or `""` clears `bio` and `image`.
async def test_emptying_the_bio_and_picture_clears_them(client: httpx.AsyncClient, jake: str) -> None:
    await client.put(
        "/api/user", json={"user": {"bio": "Hi", "image": "https://example.com/j.png"}}, headers=auth(jake)
    )

    response = await submit(client, "/settings", form(bio="", image=""), page="/settings")

    assert response.status_code == 303
    user = await current_user(client, jake)
    assert (user["bio"], user["image"]) == (None, None)


async def test_saving_over_https_sets_a_secure_session_cookie(app: FastAPI) -> None:
    async with browser(app, base_url="https://testserver") as https_client:
        await register_browserless(https_client, "jake")

        response = await submit(https_client, "/settings", form(bio="Hi"), page="/settings")

        assert response.status_code == 303
        cookie = session_cookie(response)
        assert (cookie["secure"], cookie["httponly"], cookie["samesite"]) == (True, True, "lax")


# --- a new password -----------------------------------------------------------------------------


# A new password ends every other session; this browser's goes on.
async def test_a_new_password_signs_out_other_browsers_but_keeps_this_one(
    client: httpx.AsyncClient, app: FastAPI, jake: str
) -> None:
    async with browser(app) as laptop:
        await sign_in_browserless(laptop, "jake@example.com")
        assert await settings_status(laptop) == 200

        response = await submit(client, "/settings", form(password=NEW_PASSWORD), page="/settings")

        assert response.status_code == 303
        assert await settings_status(client) == 200
        assert await settings_status(laptop) == 303


# A new password ends every other session and keeps this browser's.
async def test_a_new_password_keeps_this_browsers_session_and_only_the_new_password_signs_in(
    client: httpx.AsyncClient, app: FastAPI, jake: str
) -> None:
    async with browser(app) as laptop:
        await sign_in_browserless(laptop, "jake@example.com")
        laptop_token = laptop.cookies[SESSION_COOKIE]

        response = await submit(client, "/settings", form(password=NEW_PASSWORD), page="/settings")

        new_token = str(session_cookie(response)["value"])
        assert (await current_user(client, new_token))["username"] == "jake"
        assert (await current_user(client, jake))["username"] == "jake"  # the same session goes on
        assert (await client.get("/api/user", headers=auth(laptop_token))).status_code == 401
    assert await api_sign_in_status(client, "jake@example.com", NEW_PASSWORD) == 200
    assert await api_sign_in_status(client, "jake@example.com", PASSWORD) == 401


# --- what to fix --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "", "Username can't be blank."),
        ("username", "jake smith", "Username may only contain letters, digits, '_', '-' and '.'."),
        ("email", "not-an-email", "Email is invalid."),
        ("image", "javascript:alert(1)", "Image must be an http(s) URL."),
        ("bio", "x" * 4001, "Bio is too long (maximum is 4000 characters)."),
        ("password", "short", "Password is too short (minimum is 8 characters)."),
    ],
)
async def test_an_invalid_field_says_what_to_fix_and_changes_nothing(
    client: httpx.AsyncClient, jake: str, field: str, value: str, message: str
) -> None:
    response = await submit(client, "/settings", form(**{"bio": "kept", field: value}), page="/settings")

    assert response.status_code == 422
    assert f'<p class="field-error" id="{field}-error">{escape(message)}</p>' in response.text
    assert response.text.count('class="field-error"') == 1
    assert (await current_user(client, jake))["bio"] is None


async def test_a_taken_username_is_shown_next_to_it_with_the_input_kept(
    client: httpx.AsyncClient, jake: str
) -> None:
    await register(client, "jacob")
    data = form(username="JACOB", bio="Still <typed>", image="https://example.com/j.png")

    response = await submit(client, "/settings", data, page="/settings")

    assert response.status_code == 422
    page = response.text
    assert '<p class="field-error" id="username-error">Username has already been taken.</p>' in page
    assert 'type="text" value="JACOB" autocomplete="username" required aria-invalid="true"' in page
    assert ">\nStill &lt;typed&gt;</textarea>" in page
    assert 'value="https://example.com/j.png"' in page
    assert (await current_user(client, jake))["username"] == "jake"


async def test_a_taken_email_is_shown_next_to_it(client: httpx.AsyncClient, jake: str) -> None:
    await register(client, "jacob")

    response = await submit(client, "/settings", form(email="jacob@example.com"), page="/settings")

    assert response.status_code == 422
    assert '<p class="field-error" id="email-error">Email has already been taken.</p>' in response.text


async def test_a_rejected_new_password_is_not_shown_back(client: httpx.AsyncClient, jake: str) -> None:
    response = await submit(client, "/settings", form(username="", password=NEW_PASSWORD), page="/settings")

    assert response.status_code == 422
    assert NEW_PASSWORD not in response.text
    assert await api_sign_in_status(client, "jake@example.com", PASSWORD) == 200


# --- CSRF ---------------------------------------------------------------------------------------


# DECISIONS: CSRF protection on every form.
async def test_saving_without_a_csrf_token_is_forbidden_and_changes_nothing(
    client: httpx.AsyncClient, jake: str
) -> None:
    response = await client.post("/settings", data=form(bio="pwned", password=NEW_PASSWORD))

    assert response.status_code == 403
    assert not sets_cookie(response, SESSION_COOKIE)
    assert (await current_user(client, jake))["bio"] is None
    assert await api_sign_in_status(client, "jake@example.com", PASSWORD) == 200


async def test_saving_with_another_browsers_csrf_token_is_forbidden_and_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI, jake: str
) -> None:
    async with browser(app) as attacker:
        forged = await csrf_token(attacker)

    response = await client.post("/settings", data={**form(email="evil@example.com"), "csrf_token": forged})

    assert response.status_code == 403
    assert (await current_user(client, jake))["email"] == "jake@example.com"
