"""CSRF protection of the admin console: a state-changing request must come from the console itself.

sqladmin's actions are GET links and its forms POSTs, without tokens, and the session cookie is
sent on top-level navigations from other sites (SameSite=Lax). So every state-changing console
request needs ``Sec-Fetch-Site: same-origin``, or, from browsers without fetch metadata, an
``Origin`` or ``Referer`` of this origin. Anything else is 403 and changes nothing.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.services.context import AppContext
from tests.admin.support import audit_log, run_action, user_id
from tests.helpers import auth, register

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

REFUSAL = "Refused: this request did not come from the admin console. Nothing was changed."


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "none"},
        {"Sec-Fetch-Site": "cross-site", "Referer": "http://testserver/admin/user/list"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/admin/user/list"},
        {"Referer": "https://testserver/admin/user/list"},  # another scheme is another origin
        {},
    ],
    ids=[
        "cross-site",
        "same-site",
        "typed-or-bookmarked",
        "fetch-metadata-wins-over-referer",
        "foreign-origin",
        "null-origin",
        "foreign-referer",
        "https-referer-on-http",
        "no-evidence",
    ],
)
async def test_an_action_from_anywhere_else_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, context: AppContext, console: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    victim = await register(client)

    response = await run_action(
        console, "user", "deactivate", await user_id(context, victim["username"]), headers=headers
    )

    assert response.status_code == 403
    assert response.text == REFUSAL
    still_signed_in = await client.get("/api/user", headers=auth(victim["token"]))
    assert still_signed_in.status_code == 200
    assert await audit_log(context) == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin"},
        {"Origin": "http://testserver"},
        {"Referer": "http://testserver/admin/user/list?search=x"},
    ],
    ids=["fetch-metadata", "origin", "referer"],
)
async def test_an_action_from_the_console_itself_is_carried_out(
    client: httpx.AsyncClient, context: AppContext, console: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    user = await register(client)

    response = await run_action(
        console, "user", "deactivate", await user_id(context, user["username"]), headers=headers
    )

    assert response.status_code == 303
    signed_out = await client.get("/api/user", headers=auth(user["token"]))
    assert signed_out.status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/admin/user/create"), ("POST", "/admin/user/edit/1"), ("DELETE", "/admin/user/delete?pks=1")],
)
async def test_forms_and_deletes_from_another_site_are_refused(
    console: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await console.request(method, path, headers={"Sec-Fetch-Site": "cross-site"})

    assert response.status_code == 403
    assert response.text == REFUSAL


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/user/create"),
        ("POST", "/admin/user/create"),
        ("GET", "/admin/user/edit/1"),
        ("POST", "/admin/user/edit/1"),
        ("DELETE", "/admin/user/delete?pks=1"),
    ],
)
async def test_the_views_are_read_only_even_from_the_console(
    client: httpx.AsyncClient, console: httpx.AsyncClient, staff: dict[str, Any], method: str, path: str
) -> None:
    response = await console.request(
        method, path, data={"email": "taken@example.com"}, headers={"Sec-Fetch-Site": "same-origin"}
    )

    assert response.status_code == 403
    unchanged = await client.get("/api/user", headers=auth(staff["token"]))
    assert unchanged.json()["user"]["email"] == staff["email"]


async def test_signing_out_from_another_site_is_refused(console: httpx.AsyncClient) -> None:
    response = await console.get("/admin/logout", headers={"Sec-Fetch-Site": "cross-site"})

    assert response.status_code == 403
    assert (await console.get("/admin/")).status_code == 200


async def test_signing_out_from_the_console_signs_out_of_the_site(console: httpx.AsyncClient) -> None:
    response = await console.get("/admin/logout", headers={"Sec-Fetch-Site": "same-origin"})

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert (await console.get("/settings")).status_code == 303
    assert (await console.get("/admin/")).status_code == 303
