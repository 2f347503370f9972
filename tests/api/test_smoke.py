from __future__ import annotations

import httpx

from tests.helpers import auth, create_article, register


async def test_registered_user_can_publish_and_list_an_article(client: httpx.AsyncClient) -> None:
    user = await register(client)
    article = await create_article(client, user["token"], tags=["Dragons", "training"])

    listed = (await client.get("/api/articles", headers=auth(user["token"]))).json()

    assert listed["articlesCount"] == 1
    assert listed["articles"][0]["slug"] == article["slug"]
    assert listed["articles"][0]["tagList"] == ["dragons", "training"]
    assert "body" not in listed["articles"][0]
