"""``GET /api/tags``: every tag used by at least one article, most used first then alphabetically,
and tags vanishing once no article uses them."""

from __future__ import annotations

import httpx

from tests.helpers import auth, create_article, register


async def _tags(client: httpx.AsyncClient) -> list[str]:
    response = await client.get("/api/tags")
    assert response.status_code == 200, response.text
    tags: list[str] = response.json()["tags"]
    return tags


async def test_there_are_no_tags_before_any_article(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/tags")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == {"tags": []}


async def test_articles_without_tags_add_no_tags(client: httpx.AsyncClient) -> None:
    user = await register(client)
    await create_article(client, user["token"])

    assert await _tags(client) == []


# DECISIONS: GET /tags returns every tag used by at least one article, most used first, then alphabetically.
async def test_tags_are_most_used_first_then_alphabetical(client: httpx.AsyncClient) -> None:
    user = await register(client)
    await create_article(client, user["token"], title="One", tags=["zebra", "mango", "apple"])
    await create_article(client, user["token"], title="Two", tags=["zebra", "mango", "kiwi"])
    await create_article(client, user["token"], title="Three", tags=["zebra", "banana"])

    assert await _tags(client) == ["zebra", "mango", "apple", "banana", "kiwi"]


async def test_tags_are_listed_normalized_and_once(client: httpx.AsyncClient) -> None:
    alice, bob = await register(client), await register(client)
    await create_article(client, alice["token"], tags=["  Dragons ", "DRAGONS"])
    await create_article(client, bob["token"], tags=["dragons"])

    assert await _tags(client) == ["dragons"]


async def test_tags_can_be_read_anonymously_or_signed_in(client: httpx.AsyncClient) -> None:
    user = await register(client)
    await create_article(client, user["token"], tags=["dragons"])

    response = await client.get("/api/tags", headers=auth(user["token"]))

    assert response.status_code == 200
    assert response.json() == {"tags": ["dragons"]}


# DECISIONS: tags no longer used by any article disappear from the list.
async def test_a_tag_vanishes_when_its_last_article_is_deleted(client: httpx.AsyncClient) -> None:
    user = await register(client)
    first = await create_article(client, user["token"], title="First", tags=["shared", "lonely"])
    second = await create_article(client, user["token"], title="Second", tags=["shared"])

    await client.delete(f"/api/articles/{first['slug']}", headers=auth(user["token"]))
    after_first = await _tags(client)
    await client.delete(f"/api/articles/{second['slug']}", headers=auth(user["token"]))

    assert after_first == ["shared"]
    assert await _tags(client) == []


async def test_a_tag_vanishes_when_the_tag_list_update_drops_it(client: httpx.AsyncClient) -> None:
    user = await register(client)
    article = await create_article(client, user["token"], tags=["old", "kept"])

    response = await client.put(
        f"/api/articles/{article['slug']}",
        json={"article": {"tagList": ["kept", "new"]}},
        headers=auth(user["token"]),
    )

    assert response.status_code == 200
    assert await _tags(client) == ["kept", "new"]


async def test_an_update_moves_a_tag_up_the_ranking(client: httpx.AsyncClient) -> None:
    user = await register(client)
    await create_article(client, user["token"], title="One", tags=["alpha", "beta"])
    second = await create_article(client, user["token"], title="Two", tags=["alpha"])
    assert await _tags(client) == ["alpha", "beta"]

    response = await client.put(
        f"/api/articles/{second['slug']}",
        json={"article": {"tagList": ["beta"]}},
        headers=auth(user["token"]),
    )

    assert response.status_code == 200
    assert await _tags(client) == ["beta", "alpha"]


async def test_a_dropped_tag_comes_back_when_used_again(client: httpx.AsyncClient) -> None:
    user = await register(client)
    article = await create_article(client, user["token"], title="Gone", tags=["phoenix"])
    await client.delete(f"/api/articles/{article['slug']}", headers=auth(user["token"]))
    assert await _tags(client) == []

    await create_article(client, user["token"], title="Back", tags=["Phoenix"])

    assert await _tags(client) == ["phoenix"]


async def test_an_unknown_query_parameter_is_refused(client: httpx.AsyncClient) -> None:
    # DECISIONS: unknown query parameters are 422.
    response = await client.get("/api/tags?limit=5")

    assert response.status_code == 422
    assert response.json() == {
        "errors": {"body": ["limit is not a known parameter"], "limit": ["is not a known parameter"]}
    }
