"""Sessions through the API: every sign-in makes one, its token works exactly while it lasts, and
the user sees and ends them (``POST /api/users/logout``, ``/api/user/sessions``). Also: a deleted
account's token never speaks for the next account to register, and ids are never reused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from app.db.repositories import sessions
from app.db.types import utc_now
from app.main import create_app
from app.services.activity import INTERVAL
from app.services.context import AppContext
from config import Settings
from tests.helpers import PASSWORD, auth, count_statements, register

STALE_TOKEN = {"errors": {"body": ["token is no longer valid"]}}


def session_of(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["sid"])


def user_id_of(token: str) -> int:
    return int(jwt.decode(token, options={"verify_signature": False})["sub"])


async def login(client: httpx.AsyncClient, email: str, *, user_agent: str = "test-agent/1") -> str:
    response = await client.post(
        "/api/users/login",
        json={"user": {"email": email, "password": PASSWORD}},
        headers={"User-Agent": user_agent},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["user"]["token"])


async def me_status(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get("/api/user", headers=auth(token))).status_code


async def sessions_of(client: httpx.AsyncClient, token: str) -> list[dict[str, Any]]:
    response = await client.get("/api/user/sessions", headers=auth(token))
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["sessions"]
    return found


async def delete_account(client: httpx.AsyncClient, token: str) -> None:
    response = await client.request(
        "DELETE", "/api/user", json={"user": {"password": PASSWORD}}, headers=auth(token)
    )
    assert response.status_code == 204, response.text


# --- item 1: a deleted account's token -------------------------------------------------------------


async def test_a_deleted_accounts_token_does_not_speak_for_the_next_account(
    client: httpx.AsyncClient,
) -> None:
    gone = await register(client, "gone")
    await delete_account(client, gone["token"])
    newcomer = await register(client, "newcomer")

    assert user_id_of(newcomer["token"]) > user_id_of(gone["token"])  # the id was not handed out again
    for method, path, body in [
        ("GET", "/api/user", None),
        ("PUT", "/api/user", {"user": {"email": "attacker@example.com", "password": "taken over now"}}),
        ("GET", "/api/articles/feed", None),
        ("GET", "/api/user/sessions", None),
    ]:
        response = await client.request(method, path, json=body, headers=auth(gone["token"]))
        assert response.status_code == 401, (path, response.text)
    assert (await client.get("/api/user", headers=auth(newcomer["token"]))).json()["user"]["email"] == (
        "newcomer@example.com"
    )


async def test_deleted_comment_and_article_ids_are_not_handed_out_again(client: httpx.AsyncClient) -> None:
    user = await register(client)
    article = await client.post(
        "/api/articles",
        json={"article": {"title": "Ids", "description": "d", "body": "b"}},
        headers=auth(user["token"]),
    )
    slug = article.json()["article"]["slug"]
    url = f"/api/articles/{slug}/comments"
    first = (await client.post(url, json={"comment": {"body": "one"}}, headers=auth(user["token"]))).json()
    await client.delete(f"{url}/{first['comment']['id']}", headers=auth(user["token"]))

    second = (await client.post(url, json={"comment": {"body": "two"}}, headers=auth(user["token"]))).json()

    assert second["comment"]["id"] > first["comment"]["id"]


async def test_article_ids_are_not_handed_out_again(client: httpx.AsyncClient, context: AppContext) -> None:
    user = await register(client)
    for title in ("First", "Second"):
        response = await client.post(
            "/api/articles",
            json={"article": {"title": title, "description": "d", "body": "b"}},
            headers=auth(user["token"]),
        )
        assert response.status_code == 201
    newest = "SELECT max(id) FROM articles"
    async with context.db.engine.connect() as connection:
        deleted_id = (await connection.execute(text(newest))).scalar_one()
    await client.delete("/api/articles/second", headers=auth(user["token"]))
    await client.post(
        "/api/articles",
        json={"article": {"title": "Third", "description": "d", "body": "b"}},
        headers=auth(user["token"]),
    )

    async with context.db.engine.connect() as connection:
        assert (await connection.execute(text(newest))).scalar_one() > deleted_id


# --- every sign-in is a session --------------------------------------------------------------------


async def test_each_sign_in_is_a_session_listed_with_the_current_one_marked(
    client: httpx.AsyncClient,
) -> None:
    user = await register(client)
    other = await login(client, user["email"], user_agent="Other Browser/2.0")

    listed = await sessions_of(client, user["token"])

    assert {session["id"] for session in listed} == {session_of(user["token"]), session_of(other)}
    assert [session["current"] for session in listed if session["id"] == session_of(user["token"])] == [True]
    by_id = {session["id"]: session for session in listed}
    assert by_id[session_of(other)]["userAgent"] == "Other Browser/2.0"
    assert by_id[session_of(other)]["current"] is False
    assert by_id[session_of(other)]["clientAddress"] == "127.0.0.1"
    assert set(by_id[session_of(other)]) == {
        "id",
        "createdAt",
        "lastUsedAt",
        "userAgent",
        "clientAddress",
        "current",
    }
    assert [session["current"] for session in await sessions_of(client, other)].count(True) == 1


async def test_session_ids_are_random_and_unique(client: httpx.AsyncClient) -> None:
    user = await register(client)
    ids = {session_of(await login(client, user["email"])) for _ in range(5)} | {session_of(user["token"])}

    assert len(ids) == 6
    assert all(len(session_id) >= 32 for session_id in ids)


async def test_another_users_sessions_are_not_listed(client: httpx.AsyncClient) -> None:
    ann, bob = await register(client), await register(client)

    assert [session["id"] for session in await sessions_of(client, ann["token"])] == [
        session_of(ann["token"])
    ]
    assert session_of(bob["token"]) not in {
        session["id"] for session in await sessions_of(client, ann["token"])
    }


# --- ending sessions -------------------------------------------------------------------------------


async def test_logout_ends_the_callers_session_at_once_and_no_other(client: httpx.AsyncClient) -> None:
    user = await register(client)
    other = await login(client, user["email"])

    response = await client.post("/api/users/logout", headers=auth(user["token"]))

    assert response.status_code == 204
    assert response.content == b""
    refused = await client.get("/api/user", headers=auth(user["token"]))
    assert refused.status_code == 401
    assert refused.json() == STALE_TOKEN
    assert (await client.get("/api/articles?limit=1", headers=auth(user["token"]))).status_code == 401
    assert await me_status(client, other) == 200
    assert (await client.post("/api/users/logout", headers=auth(user["token"]))).status_code == 401


async def test_logout_requires_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/users/logout")).status_code == 401


async def test_a_session_ended_in_one_process_is_refused_by_another(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    user = await register(client)
    other_process = create_app(settings)
    async with LifespanManager(other_process):
        transport = httpx.ASGITransport(app=other_process)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as elsewhere:
            assert await me_status(elsewhere, user["token"]) == 200

            await client.post("/api/users/logout", headers=auth(user["token"]))

            assert await me_status(elsewhere, user["token"]) == 401


async def test_ending_one_session_by_id(client: httpx.AsyncClient) -> None:
    user = await register(client)
    other = await login(client, user["email"])

    response = await client.delete(f"/api/user/sessions/{session_of(other)}", headers=auth(user["token"]))

    assert response.status_code == 204
    assert await me_status(client, other) == 401
    assert await me_status(client, user["token"]) == 200
    assert [session["id"] for session in await sessions_of(client, user["token"])] == [
        session_of(user["token"])
    ]


async def test_ending_an_unknown_or_someone_elses_session_is_404(client: httpx.AsyncClient) -> None:
    ann, bob = await register(client), await register(client)

    for session_id in ("no-such-session", session_of(bob["token"])):
        response = await client.delete(f"/api/user/sessions/{session_id}", headers=auth(ann["token"]))
        assert response.status_code == 404
        assert response.json() == {"errors": {"body": ["session not found"]}}
    assert await me_status(client, bob["token"]) == 200


async def test_ending_every_other_session_keeps_the_current_one(client: httpx.AsyncClient) -> None:
    user = await register(client)
    others = [await login(client, user["email"]) for _ in range(3)]
    stranger = await register(client)

    response = await client.delete("/api/user/sessions", headers=auth(user["token"]))

    assert response.status_code == 204
    assert [await me_status(client, token) for token in others] == [401, 401, 401]
    assert await me_status(client, user["token"]) == 200
    assert await me_status(client, stranger["token"]) == 200
    assert [session["id"] for session in await sessions_of(client, user["token"])] == [
        session_of(user["token"])
    ]


async def test_the_session_endpoints_require_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/user/sessions")).status_code == 401
    assert (await client.delete("/api/user/sessions")).status_code == 401
    assert (await client.delete("/api/user/sessions/anything")).status_code == 401


async def test_deleting_the_account_removes_its_sessions(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    user = await register(client)
    await login(client, user["email"])

    await delete_account(client, user["token"])

    async with context.db.engine.connect() as connection:
        query = text("SELECT count(*) FROM sessions WHERE user_id = :id")
        assert (await connection.execute(query, {"id": user_id_of(user["token"])})).scalar_one() == 0


async def test_a_sign_in_racing_nothing_still_needs_the_current_password(client: httpx.AsyncClient) -> None:
    user = await register(client)
    await client.put(
        "/api/user", json={"user": {"password": "another password"}}, headers=auth(user["token"])
    )

    response = await client.post(
        "/api/users/login", json={"user": {"email": user["email"], "password": PASSWORD}}
    )

    assert response.status_code == 401


# --- last used -------------------------------------------------------------------------------------


def _session_updates(statements: list[str]) -> list[str]:
    return [statement for statement in statements if statement.lstrip().upper().startswith("UPDATE SESSIONS")]


async def test_last_used_is_written_at_most_once_a_minute_and_off_the_requests_path(
    client: httpx.AsyncClient, context: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await register(client)
    activity = context.activity

    with count_statements(context.db.engine) as counter:
        for _ in range(5):
            assert await me_status(client, user["token"]) == 200
        await activity.settle()
    assert _session_updates(counter.statements) == []  # used within the minute of signing in

    later = utc_now() + timedelta(seconds=61)
    monkeypatch.setattr(activity, "clock", lambda: later)
    with count_statements(context.db.engine) as counter:
        for _ in range(5):
            assert await me_status(client, user["token"]) == 200
        await activity.settle()
    assert len(_session_updates(counter.statements)) == 1

    (session,) = await sessions_of(client, user["token"])
    assert session["lastUsedAt"] == later.strftime("%Y-%m-%dT%H:%M:%S.") + f"{later.microsecond // 1000:03d}Z"
    assert session["createdAt"] < session["lastUsedAt"]


async def test_a_use_another_process_recorded_within_the_minute_is_not_written_again(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    # Each process remembers only its own writes; the UPDATE's condition covers the others'.
    user = await register(client)
    session_id = session_of(user["token"])
    first = utc_now() + timedelta(seconds=61)
    second = first + timedelta(seconds=30)  # another process, 30 s later: within the minute

    for now in (first, second):
        await context.db.bookkeeping(sessions.record_use(session_id, now=now, unless_since=now - INTERVAL))

    (session,) = await sessions_of(client, user["token"])
    assert session["lastUsedAt"].startswith(first.strftime("%Y-%m-%dT%H:%M:%S"))


async def test_the_session_endpoints_are_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    paths = document["paths"]

    expected = {
        ("post", "/api/users/logout"): {"204", "401"},
        ("get", "/api/user/sessions"): {"200", "401"},
        ("delete", "/api/user/sessions"): {"204", "401"},
        ("delete", "/api/user/sessions/{id}"): {"204", "401", "404"},
    }
    for (method, path), statuses in expected.items():
        operation = paths[path][method]
        assert statuses <= set(operation["responses"]), (method, path)
        assert operation["security"] == [{"Token": []}]
        assert operation["description"].startswith("Conduit extension.")
    listing = paths["/api/user/sessions"]["get"]["responses"]["200"]["content"]
    assert next(iter(listing.values()))["schema"] == {"$ref": "#/components/schemas/SessionsResponse"}
    assert set(document["components"]["schemas"]["SessionOut"]["required"]) == {
        "id",
        "createdAt",
        "lastUsedAt",
        "userAgent",
        "clientAddress",
        "current",
    }


@pytest.mark.parametrize(
    "meanwhile",
    [
        "UPDATE users SET is_active = false WHERE email = :email",
        "UPDATE users SET password_hash = 'changed' WHERE email = :email",
    ],
    ids=["deactivated", "password changed"],
)
async def test_a_login_whose_account_changed_while_the_password_was_checked_starts_no_session(
    client: httpx.AsyncClient, context: AppContext, monkeypatch: pytest.MonkeyPatch, meanwhile: str
) -> None:
    # Deactivation and a password change end every session; a login that checked the old state
    # must not slip a new one in after them.
    user = await register(client)
    verify = context.passwords.verify

    async def verify_while_the_account_changes(stored: str | None, password: str) -> bool:
        async with context.db.engine.begin() as connection:
            await connection.execute(text(meanwhile), {"email": user["email"]})
        return await verify(stored, password)

    monkeypatch.setattr(context.passwords, "verify", verify_while_the_account_changes)
    response = await client.post(
        "/api/users/login", json={"user": {"email": user["email"], "password": PASSWORD}}
    )

    assert response.status_code == 401
    async with context.db.engine.connect() as connection:
        query = text("SELECT count(*) FROM sessions WHERE user_id = :id")
        assert (await connection.execute(query, {"id": user_id_of(user["token"])})).scalar_one() == 1
