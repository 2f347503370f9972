"""Who gets into the admin console at ``/admin``: staff only, signed in through the site.

Anonymous visitors (and sessions that no longer sign anyone in) are sent to the site's sign-in page
and come back afterwards; signed-in people who are not staff get 403. The console reads the site's
session cookie only: an API token in a header opens nothing, and it has no password form of its own.
Staff see every list, with search and filters, and never a password hash.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.services.context import AppContext
from tests.admin.support import register_staff, run_action, user_id
from tests.helpers import auth, create_article, register
from tests.web.helpers import browser, sign_in_browserless

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

CONSOLE_PAGES = [
    "/admin/",
    "/admin/user/list",
    "/admin/article/list",
    "/admin/comment/list",
    "/admin/tag/list",
    "/admin/audit-entry/list",
]


@pytest.mark.parametrize("page", [*CONSOLE_PAGES, "/admin/user/details/1"])
async def test_anonymous_visitors_are_sent_to_sign_in_and_back(client: httpx.AsyncClient, page: str) -> None:
    response = await client.get(page)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=" + page.replace("/", "%2F")


async def test_signing_in_from_that_redirect_lands_on_the_console(
    app: FastAPI, staff: dict[str, Any]
) -> None:
    async with browser(app) as visitor:
        response = await sign_in_browserless(visitor, staff["email"], next_target="/admin/user/list")
        assert response.headers["location"] == "/admin/user/list"

        console_page = await visitor.get("/admin/user/list")

    assert console_page.status_code == 200
    assert staff["username"] in console_page.text


async def test_the_console_has_no_password_form_of_its_own(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/login")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin"


@pytest.mark.parametrize("page", CONSOLE_PAGES)
async def test_signed_in_people_who_are_not_staff_get_403(
    app: FastAPI, client: httpx.AsyncClient, page: str
) -> None:
    user = await register(client)
    async with browser(app) as visitor:
        await sign_in_browserless(visitor, user["email"])
        response = await visitor.get(page)

    assert response.status_code == 403
    assert "Not allowed: the admin console is for staff only." in response.text
    assert "/admin/user/list" not in response.text  # no menu of the console either


async def test_an_api_token_in_a_header_does_not_open_the_console(
    client: httpx.AsyncClient, staff: dict[str, Any]
) -> None:
    response = await client.get("/admin/user/list", headers=auth(staff["token"]))

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin%2Fuser%2Flist"


async def test_people_who_are_not_staff_cannot_run_actions(
    app: FastAPI, client: httpx.AsyncClient, context: AppContext, staff: dict[str, Any]
) -> None:
    user = await register(client)
    async with browser(app) as visitor:
        await sign_in_browserless(visitor, user["email"])
        response = await run_action(visitor, "user", "deactivate", await user_id(context, staff["username"]))

    assert response.status_code == 403
    still_signed_in = await client.get("/api/user", headers=auth(staff["token"]))
    assert still_signed_in.status_code == 200


async def test_staff_who_are_deactivated_are_signed_out_of_the_console(
    app: FastAPI, client: httpx.AsyncClient, context: AppContext, console: httpx.AsyncClient
) -> None:
    colleague = await register_staff(client, context)
    async with browser(app) as colleague_console:
        await sign_in_browserless(colleague_console, colleague["email"])
        await run_action(console, "user", "deactivate", await user_id(context, colleague["username"]))

        response = await colleague_console.get("/admin/user/list")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin%2Fuser%2Flist"


async def test_staff_see_every_list(
    client: httpx.AsyncClient, console: httpx.AsyncClient, staff: dict[str, Any]
) -> None:
    article = await create_article(client, staff["token"], title="Moderation basics", tags=["rules"])
    await client.post(
        f"/api/articles/{article['slug']}/comments",
        json={"comment": {"body": "First!"}},
        headers=auth(staff["token"]),
    )

    pages = {page: await console.get(page) for page in CONSOLE_PAGES}

    assert {page: response.status_code for page, response in pages.items()} == dict.fromkeys(
        CONSOLE_PAGES, 200
    )
    assert staff["email"] in pages["/admin/user/list"].text
    assert "Moderation basics" in pages["/admin/article/list"].text
    assert "First!" in pages["/admin/comment/list"].text
    assert "rules" in pages["/admin/tag/list"].text


async def test_searching_users_narrows_the_list(
    client: httpx.AsyncClient, console: httpx.AsyncClient, staff: dict[str, Any]
) -> None:
    await register(client, "needle")
    await register(client, "haystack")

    response = await console.get("/admin/user/list", params={"search": "needl"})

    assert response.status_code == 200
    assert "needle@example.com" in response.text
    assert "haystack@example.com" not in response.text
    assert staff["email"] not in response.text


@pytest.mark.parametrize(
    ("staff_filter", "listed", "not_listed"),
    [("true", "staff", "reader"), ("false", "reader", "staff")],
)
async def test_filtering_users_by_the_staff_flag(
    client: httpx.AsyncClient,
    console: httpx.AsyncClient,
    staff: dict[str, Any],
    staff_filter: str,
    listed: str,
    not_listed: str,
) -> None:
    reader = await register(client)
    emails = {"staff": staff["email"], "reader": reader["email"]}

    response = await console.get("/admin/user/list", params={"is_staff": staff_filter})

    assert response.status_code == 200
    assert emails[listed] in response.text
    assert emails[not_listed] not in response.text


async def test_the_console_never_shows_a_password_hash(
    console: httpx.AsyncClient, context: AppContext, staff: dict[str, Any]
) -> None:
    response = await console.get(f"/admin/user/details/{await user_id(context, staff['username'])}")

    assert response.status_code == 200
    assert staff["email"] in response.text
    assert "$argon2id$" not in response.text
    assert "password" not in response.text.lower()
