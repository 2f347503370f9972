"""Signing in (``/login``), signing up (``/register``) and signing out (``/logout``) with plain forms.

Covers the 303 redirects and their ``next`` targets, the session cookie's attributes over http and
https, the inline messages with the input kept, CSRF refusals (403, nothing changed) and signed-in
visitors being sent home from the sign-in pages.
"""

from __future__ import annotations

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

UNSAFE_TARGETS = ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)"]


async def api_sign_in_status(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> int:
    response = await client.post("/api/users/login", json={"user": {"email": email, "password": password}})
    return response.status_code


async def is_signed_in(client: httpx.AsyncClient) -> bool:
    response = await client.get("/settings")
    assert response.status_code in {200, 303}, response.text
    return response.status_code == 200


# --- the sign-in page ---------------------------------------------------------------------------


async def test_the_sign_in_page_has_a_labelled_form_with_a_csrf_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/login")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert "<h1>Sign in</h1>" in page
    assert '<form class="form" method="post" action="/login" novalidate>' in page
    assert '<label for="email">Email</label>' in page
    assert '<label for="password">Password</label>' in page
    assert csrf_token_from(page)
    assert '<a href="/register">Need an account?</a>' in page


# DECISIONS: pages use a session cookie (HttpOnly, SameSite=Lax, Secure behind TLS).
async def test_signing_in_sets_an_http_only_lax_session_cookie_and_goes_home(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await register(client, "jake")

    response = await submit(
        client, "/login", {"email": "jake@example.com", "password": PASSWORD}, page="/login"
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = session_cookie(response)
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "lax"
    assert cookie["path"] == "/"
    assert cookie["max-age"] == str(app.state.settings.jwt_lifetime_seconds)
    assert "secure" not in cookie
    assert await is_signed_in(client)


# DECISIONS: pages use a session cookie (HttpOnly, SameSite=Lax, Secure behind TLS).
async def test_the_session_cookie_is_secure_when_the_page_is_served_over_https(app: FastAPI) -> None:
    async with browser(app, base_url="https://testserver") as https_client:
        await register(https_client, "jake")

        response = await sign_in_browserless(https_client, "jake@example.com")

        cookie = session_cookie(response)
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "lax"


async def test_the_session_cookie_holds_a_token_the_api_accepts(client: httpx.AsyncClient) -> None:
    await register(client, "jake")

    response = await sign_in_browserless(client, "jake@example.com")

    token = str(session_cookie(response)["value"])
    api_response = await client.get("/api/user", headers=auth(token))
    assert api_response.status_code == 200
    assert api_response.json()["user"]["username"] == "jake"


async def test_signing_in_goes_on_to_the_page_that_asked_for_it(client: httpx.AsyncClient) -> None:
    await register(client, "jake")

    response = await sign_in_browserless(client, "jake@example.com", next_target="/settings?tab=1")

    assert response.headers["location"] == "/settings?tab=1"


@pytest.mark.parametrize("target", UNSAFE_TARGETS)
async def test_signing_in_never_goes_on_to_another_site(client: httpx.AsyncClient, target: str) -> None:
    await register(client, "jake")

    response = await sign_in_browserless(client, "jake@example.com", next_target=target)

    assert response.headers["location"] == "/"


async def test_the_sign_in_form_carries_the_next_page_along(client: httpx.AsyncClient) -> None:
    response = await client.get("/login", params={"next": "/settings"})

    assert response.status_code == 200
    assert '<input type="hidden" name="next" value="/settings">' in response.text
    assert '<a href="/register?next=/settings">Need an account?</a>' in response.text


@pytest.mark.parametrize("target", UNSAFE_TARGETS)
async def test_the_sign_in_form_drops_a_next_page_on_another_site(
    client: httpx.AsyncClient, target: str
) -> None:
    response = await client.get("/login", params={"next": target})

    assert response.status_code == 200
    assert 'name="next"' not in response.text
    assert "evil.example" not in response.text


@pytest.mark.parametrize(
    ("email", "password"),
    [("jake@example.com", "not the password"), ("nobody@example.com", PASSWORD)],
    ids=["wrong password", "unknown email"],
)
async def test_wrong_credentials_show_the_sign_in_page_again_with_the_email_kept(
    client: httpx.AsyncClient, email: str, password: str
) -> None:
    await register(client, "jake")

    response = await submit(client, "/login", {"email": email, "password": password}, page="/login")

    assert response.status_code == 422
    assert "<li>Email or password is invalid</li>" in response.text
    assert f'value="{email}"' in response.text
    assert password not in response.text
    assert not sets_cookie(response, SESSION_COOKIE)
    assert not await is_signed_in(client)


async def test_blank_sign_in_fields_are_each_marked_with_what_to_fix(client: httpx.AsyncClient) -> None:
    response = await submit(client, "/login", {"email": "", "password": ""}, page="/login")

    assert response.status_code == 422
    page = response.text
    assert '<p class="field-error" id="email-error">Email can&#39;t be blank.</p>' in page
    assert '<p class="field-error" id="password-error">Password can&#39;t be blank.</p>' in page
    assert 'name="email" type="email" value="" autocomplete="email" required aria-invalid="true"' in page
    assert 'aria-describedby="password-error"' in page


# DECISIONS: CSRF protection on every form.
async def test_signing_in_without_a_csrf_token_is_forbidden(client: httpx.AsyncClient) -> None:
    await register(client, "jake")
    await client.get("/login")

    response = await client.post("/login", data={"email": "jake@example.com", "password": PASSWORD})

    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in response.text
    assert not sets_cookie(response, SESSION_COOKIE)
    assert not await is_signed_in(client)


async def test_signing_in_with_another_browsers_csrf_token_is_forbidden(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await register(client, "jake")
    async with browser(app) as attacker:
        forged = await csrf_token(attacker, "/login")
    await client.get("/login")

    response = await client.post(
        "/login", data={"email": "jake@example.com", "password": PASSWORD, "csrf_token": forged}
    )

    assert response.status_code == 403
    assert not sets_cookie(response, SESSION_COOKIE)


@pytest.mark.parametrize("page", ["/login", "/register"])
async def test_signed_in_visitors_are_sent_home_from_the_sign_in_pages(
    client: httpx.AsyncClient, page: str
) -> None:
    await register_browserless(client, "jake")

    response = await client.get(page)

    assert response.status_code == 303
    assert response.headers["location"] == "/"


# --- the sign-up page ---------------------------------------------------------------------------


async def test_the_sign_up_page_has_a_labelled_form_with_a_csrf_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/register")

    assert response.status_code == 200
    page = response.text
    assert "<h1>Sign up</h1>" in page
    assert '<form class="form" method="post" action="/register" novalidate>' in page
    for field, label in [("username", "Username"), ("email", "Email"), ("password", "Password")]:
        assert f'<label for="{field}">{label}</label>' in page
        assert f'<input id="{field}" name="{field}"' in page
    assert csrf_token_from(page)


async def test_signing_up_creates_the_account_and_signs_in(client: httpx.AsyncClient) -> None:
    response = await submit(
        client,
        "/register",
        {"username": "jake", "email": "jake@example.com", "password": PASSWORD},
        page="/register",
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert session_cookie(response)["httponly"] is True
    assert await api_sign_in_status(client, "jake@example.com") == 200
    home = await client.get("/")
    assert "<span>jake</span>" in home.text


async def test_signing_up_goes_on_to_the_page_that_asked_for_it(client: httpx.AsyncClient) -> None:
    data = {"username": "jake", "email": "jake@example.com", "password": PASSWORD, "next": "/editor"}

    response = await submit(client, "/register", data, page="/register")

    assert response.status_code == 303
    assert response.headers["location"] == "/editor"


# DECISIONS: usernames are unique case-insensitively; a taken username is 422.
async def test_a_taken_username_is_shown_next_to_the_username_with_the_input_kept(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "jake")
    data = {"username": "Jake", "email": "other@example.com", "password": PASSWORD}

    response = await submit(client, "/register", data, page="/register")

    assert response.status_code == 422
    page = response.text
    assert '<p class="field-error" id="username-error">Username has already been taken.</p>' in page
    assert 'id="username" name="username" type="text" value="Jake"' in page
    assert 'id="email" name="email" type="email" value="other@example.com"' in page
    assert PASSWORD not in page
    assert not sets_cookie(response, SESSION_COOKIE)
    assert await api_sign_in_status(client, "other@example.com") == 401


# DECISIONS: emails are stored lower-cased and unique.
async def test_a_taken_email_is_shown_next_to_the_email(client: httpx.AsyncClient) -> None:
    await register(client, "jake")
    data = {"username": "jacob", "email": "JAKE@example.com", "password": PASSWORD}

    response = await submit(client, "/register", data, page="/register")

    assert response.status_code == 422
    assert '<p class="field-error" id="email-error">Email has already been taken.</p>' in response.text
    assert "username-error" not in response.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "", "Username can't be blank."),
        ("username", "jake smith", "Username may only contain letters, digits, '_', '-' and '.'."),
        ("email", "not-an-email", "Email is invalid."),
        ("password", "short", "Password is too short (minimum is 8 characters)."),
    ],
)
async def test_invalid_sign_up_fields_say_what_to_fix(
    client: httpx.AsyncClient, field: str, value: str, message: str
) -> None:
    data = {"username": "jake", "email": "jake@example.com", "password": PASSWORD, field: value}

    response = await submit(client, "/register", data, page="/register")

    assert response.status_code == 422
    assert f'<p class="field-error" id="{field}-error">{escape(message)}</p>' in response.text
    assert response.text.count('class="field-error"') == 1
    assert await api_sign_in_status(client, "jake@example.com") == 401


async def test_signing_up_without_a_csrf_token_creates_nobody(client: httpx.AsyncClient) -> None:
    await client.get("/register")

    response = await client.post(
        "/register", data={"username": "jake", "email": "jake@example.com", "password": PASSWORD}
    )

    assert response.status_code == 403
    assert not sets_cookie(response, SESSION_COOKIE)
    assert await api_sign_in_status(client, "jake@example.com") == 401


async def test_signing_up_with_a_made_up_csrf_token_creates_nobody(client: httpx.AsyncClient) -> None:
    await client.get("/register")
    data = {"username": "jake", "email": "jake@example.com", "password": PASSWORD, "csrf_token": "made.up"}

    response = await client.post("/register", data=data)

    assert response.status_code == 403
    assert await api_sign_in_status(client, "jake@example.com") == 401


# --- signing out --------------------------------------------------------------------------------


async def test_signing_out_clears_the_session_cookie_and_goes_home(client: httpx.AsyncClient) -> None:
    await register_browserless(client, "jake")

    response = await submit(client, "/logout", page="/settings")

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = session_cookie(response)
    assert cookie["value"] == ""
    assert cookie["max-age"] == "0"
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "lax"
    assert not await is_signed_in(client)


async def test_signing_out_over_https_clears_a_secure_cookie(app: FastAPI) -> None:
    async with browser(app, base_url="https://testserver") as https_client:
        await register_browserless(https_client, "jake")

        response = await submit(https_client, "/logout", page="/settings")

        assert response.status_code == 303
        assert session_cookie(response)["secure"] is True
        assert not await is_signed_in(https_client)


async def test_signing_out_without_a_csrf_token_keeps_the_session(client: httpx.AsyncClient) -> None:
    await register_browserless(client, "jake")

    response = await client.post("/logout")

    assert response.status_code == 403
    assert not sets_cookie(response, SESSION_COOKIE)
    assert await is_signed_in(client)
