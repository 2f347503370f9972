"""Profiles over the API: reading a profile, following and unfollowing, and who sees the ``following`` flag.

Covers ``GET /api/profiles/{username}`` and ``POST``/``DELETE /api/profiles/{username}/follow``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Follow
from app.services.context import AppContext
from tests.helpers import auth, register


def profile(
    username: str, *, following: bool, bio: str | None = None, image: str | None = None
) -> dict[str, Any]:
    return {"profile": {"username": username, "bio": bio, "image": image, "following": following}}


async def follow_rows(context: AppContext) -> int:
    async def count(session: AsyncSession) -> int:
        return int(await session.scalar(select(func.count()).select_from(Follow)) or 0)

    return await context.db.read(count)


async def is_following(client: httpx.AsyncClient, username: str, token: str | None) -> bool:
    headers = auth(token) if token else {}
    response = await client.get(f"/api/profiles/{username}", headers=headers)
    assert response.status_code == 200, response.text
    following: bool = response.json()["profile"]["following"]
    return following


# --- reading ------------------------------------------------------------------------------------


# DECISIONS: anonymous callers get `following: false`.
async def test_a_profile_is_readable_anonymously_with_following_false(client: httpx.AsyncClient) -> None:
    await register(client, "jake")

    response = await client.get("/api/profiles/jake")

    assert response.status_code == 200
    assert response.json() == profile("jake", following=False)


async def test_a_profile_shows_the_users_bio_and_image(client: httpx.AsyncClient) -> None:
    jake = await register(client, "jake")
    await client.put(
        "/api/user",
        json={"user": {"bio": "I work at statefarm", "image": "https://example.com/jake.png"}},
        headers=auth(jake["token"]),
    )

    response = await client.get("/api/profiles/jake")

    assert response.json() == profile(
        "jake", following=False, bio="I work at statefarm", image="https://example.com/jake.png"
    )


# DECISIONS: usernames are unique case-insensitively and shown as typed.
@pytest.mark.parametrize("path_name", ["JakeTheDog", "jakethedog", "JAKETHEDOG"])
async def test_profiles_are_found_case_insensitively_and_shown_as_typed(
    client: httpx.AsyncClient, path_name: str
) -> None:
    await register(client, "JakeTheDog")

    response = await client.get(f"/api/profiles/{path_name}")

    assert response.status_code == 200
    assert response.json() == profile("JakeTheDog", following=False)


# DECISIONS: an unknown profile is 404.
async def test_an_unknown_profile_is_404_with_the_error_envelope(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/profiles/nobody")

    assert response.status_code == 404
    assert response.json() == {"errors": {"body": ["profile not found"]}}


# PostgreSQL cannot compare text with a NUL character: such path values are refused on every engine.
async def test_a_username_with_a_nul_character_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/profiles/jake%00")

    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "body": ["username can't contain the NUL character"],
            "username": ["can't contain the NUL character"],
        }
    }


# --- following ----------------------------------------------------------------------------------


async def test_following_returns_the_profile_with_following_true(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await register(client, "jake")
    reader = await register(client)

    response = await client.post("/api/profiles/jake/follow", headers=auth(reader["token"]))

    assert response.status_code == 200
    assert response.json() == profile("jake", following=True)
    assert await follow_rows(context) == 1


async def test_following_accepts_the_username_in_any_case(client: httpx.AsyncClient) -> None:
    await register(client, "Jake")
    reader = await register(client)

    response = await client.post("/api/profiles/JAKE/follow", headers=auth(reader["token"]))

    assert response.status_code == 200
    assert response.json() == profile("Jake", following=True)


# DECISIONS: follow is idempotent: repeating it changes nothing and returns 200.
async def test_following_twice_changes_nothing(client: httpx.AsyncClient, context: AppContext) -> None:
    await register(client, "jake")
    reader = await register(client)
    await client.post("/api/profiles/jake/follow", headers=auth(reader["token"]))

    response = await client.post("/api/profiles/jake/follow", headers=auth(reader["token"]))

    assert response.status_code == 200
    assert response.json() == profile("jake", following=True)
    assert await follow_rows(context) == 1


async def test_unfollowing_returns_the_profile_with_following_false(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await register(client, "jake")
    reader = await register(client)
    await client.post("/api/profiles/jake/follow", headers=auth(reader["token"]))

    response = await client.delete("/api/profiles/jake/follow", headers=auth(reader["token"]))

    assert response.status_code == 200
    assert response.json() == profile("jake", following=False)
    assert await follow_rows(context) == 0
    assert await is_following(client, "jake", reader["token"]) is False


# DECISIONS: follow is idempotent; unfollow is held to the same rule.
async def test_unfollowing_twice_changes_nothing(client: httpx.AsyncClient, context: AppContext) -> None:
    await register(client, "jake")
    reader = await register(client)
    await client.post("/api/profiles/jake/follow", headers=auth(reader["token"]))
    await client.delete("/api/profiles/jake/follow", headers=auth(reader["token"]))

    response = await client.delete("/api/profiles/jake/follow", headers=auth(reader["token"]))

    assert response.status_code == 200
    assert response.json() == profile("jake", following=False)
    assert await follow_rows(context) == 0


async def test_unfollowing_removes_only_that_follow(client: httpx.AsyncClient, context: AppContext) -> None:
    await register(client, "jake")
    await register(client, "finn")
    reader = await register(client)
    for name in ("jake", "finn"):
        await client.post(f"/api/profiles/{name}/follow", headers=auth(reader["token"]))

    await client.delete("/api/profiles/jake/follow", headers=auth(reader["token"]))

    assert await follow_rows(context) == 1
    assert await is_following(client, "finn", reader["token"]) is True


# DECISIONS: following yourself is 422.
@pytest.mark.parametrize("path_name", ["jake", "JAKE"])
async def test_following_yourself_is_refused(
    client: httpx.AsyncClient, context: AppContext, path_name: str
) -> None:
    jake = await register(client, "jake")

    response = await client.post(f"/api/profiles/{path_name}/follow", headers=auth(jake["token"]))

    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "body": ["username can't be followed by yourself"],
            "username": ["can't be followed by yourself"],
        }
    }
    assert await follow_rows(context) == 0


# DECISIONS: an unknown profile is 404.
@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_following_or_unfollowing_an_unknown_profile_is_404(
    client: httpx.AsyncClient, method: str
) -> None:
    reader = await register(client)

    response = await client.request(method, "/api/profiles/nobody/follow", headers=auth(reader["token"]))

    assert response.status_code == 404
    assert response.json() == {"errors": {"body": ["profile not found"]}}


@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_following_and_unfollowing_require_authentication(
    client: httpx.AsyncClient, context: AppContext, method: str
) -> None:
    await register(client, "jake")

    response = await client.request(method, "/api/profiles/jake/follow")

    assert response.status_code == 401
    assert response.json() == {"errors": {"body": ["authentication required"]}}
    assert await follow_rows(context) == 0


# --- who sees the following flag ----------------------------------------------------------------


async def test_only_the_follower_sees_following_true(client: httpx.AsyncClient) -> None:
    jake = await register(client, "jake")
    follower = await register(client)
    bystander = await register(client)
    await client.post("/api/profiles/jake/follow", headers=auth(follower["token"]))

    assert await is_following(client, "jake", follower["token"]) is True
    assert await is_following(client, "jake", bystander["token"]) is False
    assert await is_following(client, "jake", None) is False
    # Following is one-way: the followed user does not follow back.
    assert await is_following(client, follower["username"], jake["token"]) is False
