"""Favoriting and unfavoriting articles: the returned article, its counter and flag, idempotence,
the ``?favorited=`` list filter, and the 401/404 refusals."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import auth, create_article, register


async def _favorite(client: httpx.AsyncClient, token: str, slug: str) -> httpx.Response:
    return await client.post(f"/api/articles/{slug}/favorite", headers=auth(token))


async def _unfavorite(client: httpx.AsyncClient, token: str, slug: str) -> httpx.Response:
    return await client.delete(f"/api/articles/{slug}/favorite", headers=auth(token))


async def _article(client: httpx.AsyncClient, slug: str, token: str | None = None) -> dict[str, Any]:
    response = await client.get(f"/api/articles/{slug}", headers=auth(token) if token else {})
    assert response.status_code == 200, response.text
    article: dict[str, Any] = response.json()["article"]
    return article


async def _favorited_slugs(client: httpx.AsyncClient, username: str) -> list[str]:
    response = await client.get(f"/api/articles?favorited={username}")
    assert response.status_code == 200, response.text
    return [article["slug"] for article in response.json()["articles"]]


async def test_favoriting_returns_the_article_favorited_and_counted(client: httpx.AsyncClient) -> None:
    author, fan = await register(client), await register(client)
    article = await create_article(client, author["token"], tags=["dragons"])

    response = await _favorite(client, fan["token"], article["slug"])

    assert response.status_code == 200
    favorited = response.json()["article"]
    assert favorited == {**article, "favorited": True, "favoritesCount": 1}
    assert await _article(client, article["slug"], fan["token"]) == favorited


async def test_unfavoriting_returns_the_article_no_longer_favorited(client: httpx.AsyncClient) -> None:
    author, fan = await register(client), await register(client)
    article = await create_article(client, author["token"])
    await _favorite(client, fan["token"], article["slug"])

    response = await _unfavorite(client, fan["token"], article["slug"])

    assert response.status_code == 200
    assert response.json()["article"] == {**article, "favorited": False, "favoritesCount": 0}
    assert await _article(client, article["slug"], fan["token"]) == response.json()["article"]


async def test_authors_may_favorite_their_own_article(client: httpx.AsyncClient) -> None:
    author = await register(client)
    article = await create_article(client, author["token"])

    response = await _favorite(client, author["token"], article["slug"])

    assert response.status_code == 200
    assert response.json()["article"]["favorited"] is True
    assert response.json()["article"]["favoritesCount"] == 1


# DECISIONS: favorite is idempotent: repeating it changes nothing and returns 200.
async def test_favoriting_twice_counts_once(client: httpx.AsyncClient) -> None:
    author, fan = await register(client), await register(client)
    article = await create_article(client, author["token"])
    first = await _favorite(client, fan["token"], article["slug"])

    second = await _favorite(client, fan["token"], article["slug"])

    assert second.status_code == 200
    assert second.json() == first.json()
    assert second.json()["article"]["favoritesCount"] == 1


# DECISIONS: unfavorite is idempotent too.
async def test_unfavoriting_an_article_not_favorited_changes_nothing(client: httpx.AsyncClient) -> None:
    author, fan, other = await register(client), await register(client), await register(client)
    article = await create_article(client, author["token"])
    await _favorite(client, other["token"], article["slug"])

    response = await _unfavorite(client, fan["token"], article["slug"])

    assert response.status_code == 200
    assert response.json()["article"]["favorited"] is False
    assert response.json()["article"]["favoritesCount"] == 1


async def test_unfavoriting_twice_never_counts_below_zero(client: httpx.AsyncClient) -> None:
    author, fan = await register(client), await register(client)
    article = await create_article(client, author["token"])
    await _favorite(client, fan["token"], article["slug"])
    await _unfavorite(client, fan["token"], article["slug"])

    response = await _unfavorite(client, fan["token"], article["slug"])

    assert response.status_code == 200
    assert response.json()["article"]["favoritesCount"] == 0


async def test_the_count_follows_several_users(client: httpx.AsyncClient) -> None:
    author = await register(client)
    fans = [await register(client) for _ in range(3)]
    article = await create_article(client, author["token"])

    counts = [
        (await _favorite(client, fan["token"], article["slug"])).json()["article"]["favoritesCount"]
        for fan in fans
    ]
    after_unfavorite = await _unfavorite(client, fans[1]["token"], article["slug"])

    assert counts == [1, 2, 3]
    assert after_unfavorite.json()["article"]["favoritesCount"] == 2
    assert (await _article(client, article["slug"], fans[0]["token"]))["favorited"] is True
    assert (await _article(client, article["slug"], fans[1]["token"]))["favorited"] is False
    assert (await _article(client, article["slug"], author["token"]))["favorited"] is False
    assert (await _article(client, article["slug"]))["favoritesCount"] == 2


async def test_favorites_of_one_article_do_not_touch_another(client: httpx.AsyncClient) -> None:
    author, fan = await register(client), await register(client)
    liked = await create_article(client, author["token"], title="Liked")
    other = await create_article(client, author["token"], title="Other")

    await _favorite(client, fan["token"], liked["slug"])

    assert await _article(client, other["slug"], fan["token"]) == other


@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_favoriting_an_unknown_article_is_404(client: httpx.AsyncClient, method: str) -> None:
    fan = await register(client)

    response = await client.request(
        method, "/api/articles/no-such-article/favorite", headers=auth(fan["token"])
    )

    assert response.status_code == 404
    assert response.json() == {"errors": {"body": ["article not found"]}}


@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_favoriting_anonymously_is_401(client: httpx.AsyncClient, method: str) -> None:
    author = await register(client)
    article = await create_article(client, author["token"])

    response = await client.request(method, f"/api/articles/{article['slug']}/favorite")

    assert response.status_code == 401
    assert response.json() == {"errors": {"body": ["authentication required"]}}
    assert (await _article(client, article["slug"]))["favoritesCount"] == 0


async def test_the_favorited_filter_follows_favorites_and_unfavorites(client: httpx.AsyncClient) -> None:
    author, fan = await register(client), await register(client)
    first = await create_article(client, author["token"], title="First")
    second = await create_article(client, author["token"], title="Second")
    assert await _favorited_slugs(client, fan["username"]) == []

    await _favorite(client, fan["token"], first["slug"])
    await _favorite(client, fan["token"], second["slug"])
    after_favorites = await _favorited_slugs(client, fan["username"])
    await _unfavorite(client, fan["token"], first["slug"])
    after_unfavorite = await _favorited_slugs(client, fan["username"])

    assert after_favorites == [second["slug"], first["slug"]]
    assert after_unfavorite == [second["slug"]]
    assert await _favorited_slugs(client, author["username"]) == []
