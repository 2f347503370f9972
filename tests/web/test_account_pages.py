"""The account's lifecycle on the settings page, with plain forms (no JavaScript): "Download my data"
gives the API's export as a file; "Delete account" takes the current password and a CSRF token, then
signs the browser out and says so once on the home page.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from app.web.cookies import SESSION_COOKIE
from app.web.notices import NOTICE_COOKIE
from tests.helpers import PASSWORD, auth, create_article
from tests.web.helpers import (
    browser,
    csrf_token,
    csrf_token_from,
    register_browserless,
    session_token,
    set_cookie,
    submit,
)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

DELETED_NOTICE = '<p class="notice" role="status">Your account has been deleted, with your articles, comments'


@pytest.fixture
async def jake(client: httpx.AsyncClient) -> str:
    """jake's browser (``client``) is signed in; returns his session token."""
    await register_browserless(client, "jake")
    return session_token(client)


async def delete_account(client: httpx.AsyncClient, password: str = PASSWORD) -> httpx.Response:
    return await submit(client, "/settings/delete", {"password": password}, page="/settings")


async def api_status(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get("/api/user", headers=auth(token))).status_code


# --- the page -----------------------------------------------------------------------------------


async def test_the_settings_page_offers_the_download_and_a_csrf_protected_delete_form(
    client: httpx.AsyncClient, jake: str
) -> None:
    page = (await client.get("/settings")).text

    assert (
        '<a class="button button-outline-secondary" href="/settings/export" download>Download my data</a>'
        in page
    )
    delete_form = page.split('<form class="form" method="post" action="/settings/delete" novalidate>')
    assert len(delete_form) == 2
    assert csrf_token_from(delete_form[1])
    assert (
        '<input id="delete-password" name="password" type="password" autocomplete="current-password"' in page
    )
    assert "It cannot be undone." in page
    assert "Delete my account</button>" in delete_form[1]


# --- download -----------------------------------------------------------------------------------


async def test_the_download_is_the_api_export_as_an_attachment(client: httpx.AsyncClient, jake: str) -> None:
    await create_article(client, jake, title="Dragons", tags=["dragons"])

    response = await client.get("/settings/export")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="conduit-jake-')
    assert disposition.endswith('.json"')
    assert response.headers["cache-control"] == "no-store"
    downloaded = response.json()
    from_api = (await client.get("/api/user/export", headers=auth(jake))).json()
    del downloaded["exportedAt"], from_api["exportedAt"]
    assert downloaded == from_api
    assert [article["title"] for article in downloaded["articles"]] == ["Dragons"]


async def test_signed_out_visitors_are_sent_to_sign_in_before_downloading(client: httpx.AsyncClient) -> None:
    response = await client.get("/settings/export")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fsettings%2Fexport"


# --- delete -------------------------------------------------------------------------------------


async def test_deleting_signs_out_and_says_so_once_on_the_home_page(
    client: httpx.AsyncClient, jake: str
) -> None:
    response = await delete_account(client)

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    session = set_cookie(response, SESSION_COOKIE)
    assert session["value"] == ""
    assert session["max-age"] == "0"
    assert set_cookie(response, NOTICE_COOKIE)["value"] == "account-deleted"
    assert client.cookies.get(SESSION_COOKIE) is None
    home = await client.get("/")
    assert DELETED_NOTICE in home.text
    assert 'href="/login"' in home.text
    assert DELETED_NOTICE not in (await client.get("/")).text
    assert await api_status(client, jake) == 401


async def test_the_deleted_account_can_no_longer_sign_in(client: httpx.AsyncClient, jake: str) -> None:
    await delete_account(client)

    response = await submit(
        client, "/login", {"email": "jake@example.com", "password": PASSWORD}, page="/login"
    )

    assert response.status_code == 422
    assert "Email or password is invalid" in response.text


@pytest.mark.parametrize(
    ("password", "message"),
    [("not my password", "Password is invalid."), ("", "Password can&#39;t be blank.")],
)
async def test_a_wrong_or_missing_password_is_shown_next_to_the_field_and_deletes_nothing(
    client: httpx.AsyncClient, jake: str, password: str, message: str
) -> None:
    response = await delete_account(client, password)

    assert response.status_code == 422
    page = response.text
    assert f'<p class="field-error" id="delete-password-error">{message}</p>' in page
    assert 'aria-describedby="delete-warning delete-password-error" aria-invalid="true"' in page
    assert 'id="username" name="username" type="text" value="jake"' in page  # the rest of the page intact
    assert await api_status(client, jake) == 200
    assert (await client.get("/settings")).status_code == 200


async def test_deleting_without_a_csrf_token_is_forbidden_and_deletes_nothing(
    client: httpx.AsyncClient, jake: str
) -> None:
    response = await client.post("/settings/delete", data={"password": PASSWORD})

    assert response.status_code == 403
    assert await api_status(client, jake) == 200


async def test_deleting_with_another_browsers_csrf_token_is_forbidden(
    client: httpx.AsyncClient, app: FastAPI, jake: str
) -> None:
    async with browser(app) as attacker:
        forged = await csrf_token(attacker)

    response = await client.post("/settings/delete", data={"password": PASSWORD, "csrf_token": forged})

    assert response.status_code == 403
    assert await api_status(client, jake) == 200


async def test_deleting_while_signed_out_is_sent_to_sign_in_and_back_to_settings(
    client: httpx.AsyncClient,
) -> None:
    response = await submit(client, "/settings/delete", {"password": PASSWORD})

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fsettings"


async def test_a_notice_cookie_that_names_no_notice_shows_nothing(client: httpx.AsyncClient) -> None:
    client.cookies.set(NOTICE_COOKIE, "<script>alert(1)</script>")

    page = (await client.get("/")).text

    assert 'class="notice"' not in page
    assert "alert(1)" not in page
