"""Sessions on the pages: signing out ends the session (not only the cookie), a deleted account's
cookie never signs in the next account, and the settings page lists the visitor's sessions with
"Sign out" and "Sign out everywhere else" (plain CSRF-protected forms). On both engines."""

from __future__ import annotations

import re

import httpx
import jwt
from fastapi import FastAPI

from app.web.cookies import SESSION_COOKIE
from tests.helpers import PASSWORD, auth
from tests.web.helpers import (
    browser,
    csrf_token,
    register_browserless,
    session_cookie,
    sets_cookie,
    sign_in_browserless,
    submit,
)


def session_of(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["sid"])


async def api_status(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get("/api/user", headers=auth(token))).status_code


async def settings_status(client: httpx.AsyncClient) -> int:
    return (await client.get("/settings")).status_code


async def test_signing_out_ends_the_session_not_only_the_cookie(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await register_browserless(client, "jake")
    token = client.cookies[SESSION_COOKIE]

    response = await submit(client, "/logout", page="/settings")

    assert response.status_code == 303
    assert session_cookie(response)["value"] == ""
    assert await api_status(client, token) == 401
    async with browser(app) as stolen:
        stolen.cookies.set(SESSION_COOKIE, token)
        assert await settings_status(stolen) == 303


async def test_a_deleted_accounts_cookie_does_not_sign_in_the_next_account(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await register_browserless(client, "gone")
    old_cookie = client.cookies[SESSION_COOKIE]
    deleted = await submit(client, "/settings/delete", {"password": PASSWORD}, page="/settings")
    assert deleted.status_code == 303
    async with browser(app) as newcomer:
        await register_browserless(newcomer, "newcomer")

    async with browser(app) as attacker:
        attacker.cookies.set(SESSION_COOKIE, old_cookie)
        assert await settings_status(attacker) == 303
        home = await attacker.get("/")
        assert "newcomer" not in home.text
    assert await api_status(client, old_cookie) == 401


async def test_the_settings_page_lists_the_sessions_with_their_forms(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await register_browserless(client, "jake")
    async with browser(app) as laptop:
        laptop.headers["User-Agent"] = "Laptop Browser/9"
        await sign_in_browserless(laptop, "jake@example.com")
        laptop_session = session_of(laptop.cookies[SESSION_COOKIE])

    page = (await client.get("/settings")).text

    assert "Where you are signed in" in page
    assert "Laptop Browser/9" in page
    assert page.count("this browser</strong>") == 1
    assert f'action="/settings/sessions/{laptop_session}/end"' in page
    own = session_of(client.cookies[SESSION_COOKIE])
    assert f'action="/settings/sessions/{own}/end"' in page
    assert 'action="/settings/sessions/end-others"' in page
    assert "Sign out everywhere else" in page
    sessions_section = page[page.index('id="sessions"') : page.index('id="your-data"')]
    assert len(re.findall(r'name="csrf_token"', sessions_section)) == 3


async def test_one_session_is_alone_without_sign_out_everywhere_else(client: httpx.AsyncClient) -> None:
    await register_browserless(client, "jake")

    page = (await client.get("/settings")).text

    assert "Sign out everywhere else" not in page


async def test_signing_out_another_session_from_the_settings_page(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await register_browserless(client, "jake")
    async with browser(app) as laptop:
        await sign_in_browserless(laptop, "jake@example.com")
        laptop_session = session_of(laptop.cookies[SESSION_COOKIE])

        response = await submit(client, f"/settings/sessions/{laptop_session}/end", page="/settings")

        assert response.status_code == 303
        assert response.headers["location"] == "/settings#sessions"
        assert await settings_status(laptop) == 303
        assert await settings_status(client) == 200
        assert laptop_session not in (await client.get("/settings")).text


async def test_signing_out_this_browsers_own_session_from_the_settings_page(
    client: httpx.AsyncClient,
) -> None:
    await register_browserless(client, "jake")
    token = client.cookies[SESSION_COOKIE]

    response = await submit(client, f"/settings/sessions/{session_of(token)}/end", page="/settings")

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert session_cookie(response)["value"] == ""
    assert await api_status(client, token) == 401


async def test_signing_out_everywhere_else(client: httpx.AsyncClient, app: FastAPI) -> None:
    await register_browserless(client, "jake")
    async with browser(app) as laptop, browser(app) as phone:
        for other in (laptop, phone):
            await sign_in_browserless(other, "jake@example.com")

        response = await submit(client, "/settings/sessions/end-others", page="/settings")

        assert response.status_code == 303
        assert [await settings_status(other) for other in (laptop, phone)] == [303, 303]
        assert await settings_status(client) == 200


async def test_the_session_forms_refuse_a_missing_csrf_token(client: httpx.AsyncClient, app: FastAPI) -> None:
    await register_browserless(client, "jake")
    async with browser(app) as laptop:
        await sign_in_browserless(laptop, "jake@example.com")
        laptop_session = session_of(laptop.cookies[SESSION_COOKIE])

        for action in ("/settings/sessions/end-others", f"/settings/sessions/{laptop_session}/end"):
            response = await client.post(action, data={"csrf_token": "forged"})
            assert response.status_code == 403
            assert not sets_cookie(response, SESSION_COOKIE)
        assert await settings_status(laptop) == 200


async def test_signed_out_visitors_posting_the_session_forms_are_sent_to_sign_in(
    client: httpx.AsyncClient,
) -> None:
    await csrf_token(client)
    for action in ("/settings/sessions/end-others", "/settings/sessions/whatever/end"):
        response = await submit(client, action)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")
