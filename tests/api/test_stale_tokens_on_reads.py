"""Reads check the caller's token inside their one statement: a token of another session, ended by
a password change, is refused with 401 on every read that takes one, also when the article does not
exist; the session that changed the password goes on."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import PASSWORD, auth, create_article, register

READS = [
    "/api/articles",
    "/api/articles?tag=dragons",
    "/api/articles/feed",
    "/api/articles/{slug}",
    "/api/articles/{slug}/comments",
    "/api/articles/no-such-article",
    "/api/articles/no-such-article/comments",
]


@pytest.mark.parametrize("path", READS)
async def test_a_token_from_before_a_password_change_is_refused(client: httpx.AsyncClient, path: str) -> None:
    user = await register(client)
    article = await create_article(client, user["token"], tags=["dragons"])
    credentials = {"user": {"email": user["email"], "password": PASSWORD}}
    elsewhere = (await client.post("/api/users/login", json=credentials)).json()["user"]["token"]
    changed = await client.put(
        "/api/user", json={"user": {"password": "a brand new passphrase"}}, headers=auth(user["token"])
    )
    assert changed.status_code == 200, changed.text

    stale = await client.get(path.format(slug=article["slug"]), headers=auth(elsewhere))
    fresh = await client.get(path.format(slug=article["slug"]), headers=auth(changed.json()["user"]["token"]))

    assert (stale.status_code, stale.json()) == (401, {"errors": {"body": ["token is no longer valid"]}})
    assert fresh.status_code == (404 if "no-such-article" in path else 200)
