"""Deactivating and reactivating users from the admin console, on both engines.

A deactivated user's tokens get 401 at once, their browser session stops signing them in, and
signing in again is refused exactly like a wrong password; their content stays. Reactivating lets
them sign in again (old tokens stay revoked). Each change writes one audit entry; a refused or
partly impossible action changes nothing at all.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.services.context import AppContext
from tests.admin.support import FROM_THE_CONSOLE, audit_log, run_action, user_id
from tests.helpers import PASSWORD, auth, create_article, register
from tests.web.helpers import browser, sign_in_browserless, submit

LIST = "http://testserver/admin/user/list"
BAD_CREDENTIALS = {"errors": {"body": ["email or password is invalid"]}}


async def api_login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/users/login", json={"user": {"email": email, "password": password}})


async def deactivate(
    console: httpx.AsyncClient, context: AppContext, *users: dict[str, Any]
) -> httpx.Response:
    ids = [await user_id(context, user["username"]) for user in users]
    response = await run_action(console, "user", "deactivate", *ids)
    assert response.status_code == 303, response.text
    return response


async def test_a_deactivated_users_token_gets_401(
    client: httpx.AsyncClient, context: AppContext, console: httpx.AsyncClient
) -> None:
    user = await register(client)

    await deactivate(console, context, user)

    response = await client.get("/api/user", headers=auth(user["token"]))
    assert response.status_code == 401
    assert response.json() == {"errors": {"body": ["token is no longer valid"]}}


async def test_a_deactivated_users_session_no_longer_signs_them_in_on_pages(
    app: FastAPI, client: httpx.AsyncClient, context: AppContext, console: httpx.AsyncClient
) -> None:
    user = await register(client)
    async with browser(app) as their_browser:
        await sign_in_browserless(their_browser, user["email"])
        assert (await their_browser.get("/settings")).status_code == 200

        await deactivate(console, context, user)

        response = await their_browser.get("/settings")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fsettings"


async def test_a_deactivated_user_is_refused_sign_in_as_if_the_password_were_wrong(
    app: FastAPI, client: httpx.AsyncClient, context: AppContext, console: httpx.AsyncClient
) -> None:
    user = await register(client)
    await deactivate(console, context, user)

    right_password = await api_login(client, user["email"])
    wrong_password = await api_login(client, user["email"], "not the password")
    async with browser(app) as their_browser:
        page = await submit(
            their_browser, "/login", {"email": user["email"], "password": PASSWORD}, page="/login"
        )

    assert right_password.status_code == wrong_password.status_code == 401
    assert right_password.json() == wrong_password.json() == BAD_CREDENTIALS
    assert page.status_code == 422
    assert "Email or password is invalid" in page.text


async def test_reactivating_lets_them_sign_in_again_but_their_old_tokens_stay_revoked(
    client: httpx.AsyncClient, context: AppContext, console: httpx.AsyncClient
) -> None:
    user = await register(client)
    await deactivate(console, context, user)

    response = await run_action(console, "user", "reactivate", await user_id(context, user["username"]))

    assert response.status_code == 303
    signed_in = await api_login(client, user["email"])
    assert signed_in.status_code == 200
    assert (await client.get("/api/user", headers=auth(signed_in.json()["user"]["token"]))).status_code == 200
    assert (await client.get("/api/user", headers=auth(user["token"]))).status_code == 401


async def test_a_deactivated_users_articles_stay_readable(
    client: httpx.AsyncClient, context: AppContext, console: httpx.AsyncClient
) -> None:
    user = await register(client)
    article = await create_article(client, user["token"])

    await deactivate(console, context, user)

    assert (await client.get(f"/api/articles/{article['slug']}")).status_code == 200
    assert (await client.get(f"/api/profiles/{user['username']}")).status_code == 200


async def test_each_change_is_audited_with_who_did_what_to_whom(
    client: httpx.AsyncClient, context: AppContext, console: httpx.AsyncClient, staff: dict[str, Any]
) -> None:
    first, second = await register(client), await register(client)
    first_id, second_id = (
        await user_id(context, first["username"]),
        await user_id(context, second["username"]),
    )

    await deactivate(console, context, first, second)
    await run_action(console, "user", "reactivate", first_id)

    assert await audit_log(context) == [
        (staff["username"], "deactivate", "user", first_id, {"username": first["username"]}),
        (staff["username"], "deactivate", "user", second_id, {"username": second["username"]}),
        (staff["username"], "reactivate", "user", first_id, {"username": first["username"]}),
    ]


async def test_deactivating_someone_already_deactivated_changes_nothing_and_is_not_audited_again(
    client: httpx.AsyncClient, context: AppContext, console: httpx.AsyncClient
) -> None:
    user = await register(client)
    await deactivate(console, context, user)

    await deactivate(console, context, user)

    assert [entry[1] for entry in await audit_log(context)] == ["deactivate"]


async def test_after_an_action_the_console_goes_back_to_the_page_it_came_from(
    client: httpx.AsyncClient, context: AppContext, console: httpx.AsyncClient
) -> None:
    user = await register(client)
    came_from = f"{LIST}?search={user['username']}&error=an+old+message"

    response = await run_action(
        console,
        "user",
        "deactivate",
        await user_id(context, user["username"]),
        headers={**FROM_THE_CONSOLE, "Referer": came_from},
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/user/list?search={user['username']}"


async def test_staff_cannot_deactivate_themselves(
    client: httpx.AsyncClient, context: AppContext, console: httpx.AsyncClient, staff: dict[str, Any]
) -> None:
    response = await run_action(console, "user", "deactivate", await user_id(context, staff["username"]))

    assert response.status_code == 303
    assert response.headers["location"] == f"{LIST}?error=you+cannot+deactivate+yourself"
    shown = await console.get(response.headers["location"])
    assert '<div class="alert alert-danger" role="alert">you cannot deactivate yourself</div>' in shown.text
    assert (await client.get("/api/user", headers=auth(staff["token"]))).status_code == 200
    assert await audit_log(context) == []


@pytest.mark.parametrize(
    ("selection", "message"),
    [("{user},999999", "user+999999+not+found"), ("", "select+at+least+one+row")],
    ids=["with-an-unknown-user", "empty"],
)
async def test_a_selection_that_cannot_be_carried_out_in_full_changes_nothing(
    client: httpx.AsyncClient, context: AppContext, console: httpx.AsyncClient, selection: str, message: str
) -> None:
    user = await register(client)
    pks = selection.format(user=await user_id(context, user["username"]))

    response = await console.get(
        "/admin/user/action/deactivate", params={"pks": pks}, headers=FROM_THE_CONSOLE
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"{LIST}?error={message}"
    assert (await client.get("/api/user", headers=auth(user["token"]))).status_code == 200
    assert await audit_log(context) == []


async def test_a_malformed_selection_is_refused(console: httpx.AsyncClient) -> None:
    response = await console.get(
        "/admin/user/action/deactivate", params={"pks": "1;DROP"}, headers=FROM_THE_CONSOLE
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"{LIST}?error=the+selection+is+not+a+list+of+row+ids"
