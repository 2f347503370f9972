"""``GET /api/articles?search=``: full-text search over title, tags, description and body.

Matches come best first (title, then tags and description, then body), combine with every other
filter and with paging, and are counted exactly; writes (create, update, delete) show at once.
No input is an error but an overlong or NUL-holding one (422): search syntax, punctuation and
unicode all answer 200. A blank search is no search; one without a letter or digit finds nothing.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.schemas.articles import SEARCH_MAX
from tests.helpers import auth, create_article, register


async def _search(client: httpx.AsyncClient, search: str, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/articles", params={"search": search, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _titles(client: httpx.AsyncClient, search: str, **params: Any) -> list[str]:
    body = await _search(client, search, **params)
    titles = [article["title"] for article in body["articles"]]
    if "limit" not in params and "offset" not in params:
        assert body["articlesCount"] == len(titles)
    return titles


@pytest.fixture
async def author(client: httpx.AsyncClient) -> dict[str, Any]:
    return await register(client)


# --- relevance ------------------------------------------------------------------------------------


async def test_a_title_match_ranks_above_a_description_match_above_a_body_match(
    client: httpx.AsyncClient, author: dict[str, Any]
) -> None:
    # Written best match first, so newest-first order would be exactly the reverse.
    await create_article(client, author["token"], title="Dragon keeping", description="A hobby", body="Hay")
    await create_article(client, author["token"], title="Pets", description="Dragon care", body="Hay")
    await create_article(client, author["token"], title="Farming", description="Crops", body="A dragon ate")
    await create_article(client, author["token"], title="Unrelated", description="Crops", body="Hay")

    assert await _titles(client, "dragon") == ["Dragon keeping", "Pets", "Farming"]


async def test_a_tag_match_ranks_above_a_body_match(
    client: httpx.AsyncClient, author: dict[str, Any]
) -> None:
    await create_article(client, author["token"], title="Lizards", body="Scales", tags=["dragons"])
    await create_article(client, author["token"], title="Castles", body="Walls hid a dragon")

    assert await _titles(client, "dragon") == ["Lizards", "Castles"]


async def test_equal_matches_come_newest_first(client: httpx.AsyncClient, author: dict[str, Any]) -> None:
    for title in ("Dragon one", "Dragon two", "Dragon three"):
        await create_article(client, author["token"], title=title)

    assert await _titles(client, "dragon") == ["Dragon three", "Dragon two", "Dragon one"]


# --- what matches ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        pytest.param("dragons", ["Training dragons"], id="one word"),
        pytest.param("DRAGON", ["Training dragons"], id="case"),
        pytest.param("trained dragon", ["Training dragons"], id="stems"),
        pytest.param("dragon castle", [], id="every word must match"),
        pytest.param("dragon or castle", ["Castle walls", "Training dragons"], id="or"),
        pytest.param("dragon -fire", [], id="exclusion"),
        pytest.param("training -castle", ["Training dragons"], id="exclusion of an absent word"),
        pytest.param('"breathing fire"', ["Training dragons"], id="phrase"),
        pytest.param('"fire breathing"', [], id="phrase in another order"),
        pytest.param("python", ["Training dragons"], id="tag"),
        pytest.param("moat", ["Castle walls"], id="description"),
    ],
)
async def test_search_syntax(
    client: httpx.AsyncClient, author: dict[str, Any], search: str, expected: list[str]
) -> None:
    await create_article(
        client,
        author["token"],
        title="Training dragons",
        description="Patience",
        body="Breathing fire is a skill.",
        tags=["python"],
    )
    await create_article(client, author["token"], title="Castle walls", description="Moats", body="Stones")

    assert await _titles(client, search) == expected


@pytest.mark.parametrize(
    "search",
    [
        '"',
        'dragon "',
        "'",
        "dragon*",
        "*",
        "-",
        "-dragon",
        "--dragon",
        "dragon:*",
        "dragon:A",
        "a & b | !c",
        "!!dragon",
        "(dragon",
        "dragon)",
        "()",
        "NEAR(dragon fire)",
        "dragon NOT fire",
        "dragon AND",
        "OR",
        "or or or",
        "^dragon",
        "title:dragon",
        "{title}: dragon",
        "dragon + fire",
        "\\",
        "%_%",
        "'; DROP TABLE articles; --",
        "<->",
        "drágón ドラゴン 龍 🐉",
        "\u200b",
        "x" * SEARCH_MAX,
        "dragon " * (SEARCH_MAX // 7),
    ],
)
async def test_special_characters_are_never_an_error(
    client: httpx.AsyncClient, author: dict[str, Any], search: str
) -> None:
    await create_article(client, author["token"], title="Dragon", body="Fire")

    body = await _search(client, search)

    assert body["articlesCount"] == len(body["articles"])


async def test_punctuation_is_ignored_around_words(client: httpx.AsyncClient, author: dict[str, Any]) -> None:
    await create_article(client, author["token"], title="Dragon", body="Fire")

    assert await _titles(client, "(dragon*) & !fire: | <->") == ["Dragon"]


async def test_unicode_words_match(client: httpx.AsyncClient, author: dict[str, Any]) -> None:
    await create_article(client, author["token"], title="Über ドラゴン", body="Café")
    await create_article(client, author["token"], title="Other", body="Cafe")

    assert await _titles(client, "über") == ["Über ドラゴン"]
    assert await _titles(client, "café") == ["Über ドラゴン"]


@pytest.mark.parametrize("search", ["", " ", "\t \n"])
async def test_a_blank_search_is_no_search(
    client: httpx.AsyncClient, author: dict[str, Any], search: str
) -> None:
    await create_article(client, author["token"], title="First")
    await create_article(client, author["token"], title="Second")

    assert await _titles(client, search) == ["Second", "First"]


@pytest.mark.parametrize("search", ["!!!", "*", '""', "- -", "or", "_"])
async def test_a_search_without_letters_or_digits_finds_nothing(
    client: httpx.AsyncClient, author: dict[str, Any], search: str
) -> None:
    await create_article(client, author["token"], title="First")

    assert await _titles(client, search) == []


async def test_an_overlong_search_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/articles", params={"search": "x" * (SEARCH_MAX + 1)})

    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "body": [f"search is too long (maximum is {SEARCH_MAX} characters)"],
            "search": [f"is too long (maximum is {SEARCH_MAX} characters)"],
        }
    }


async def test_a_search_holding_nul_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/articles", params={"search": "dragon\x00"})

    assert response.status_code == 422
    assert response.json()["errors"]["search"] == ["can't contain the NUL character"]


# --- combined with filters and paging -------------------------------------------------------------


@pytest.fixture
async def library(client: httpx.AsyncClient) -> dict[str, Any]:
    """Two authors, each with a dragon article tagged "myth", one tagged "zoo", and one unrelated;
    the reader favorited one dragon article of each."""
    alice, bob, reader = await register(client), await register(client), await register(client)
    slugs = {}
    for writer in (alice, bob):
        name = writer["username"]
        for title, tags in ((f"Dragon myths by {name}", ["myth"]), (f"Dragon zoo by {name}", ["zoo"])):
            slugs[title] = (await create_article(client, writer["token"], title=title, tags=tags))["slug"]
        await create_article(client, writer["token"], title=f"Gardening by {name}", tags=["myth"])
    for title in (f"Dragon myths by {alice['username']}", f"Dragon zoo by {bob['username']}"):
        response = await client.post(f"/api/articles/{slugs[title]}/favorite", headers=auth(reader["token"]))
        assert response.status_code == 200
    return {"alice": alice["username"], "bob": bob["username"], "reader": reader["username"]}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        pytest.param({"tag": "myth"}, ["Dragon myths by {bob}", "Dragon myths by {alice}"], id="tag"),
        pytest.param(
            {"author": "{alice}"}, ["Dragon zoo by {alice}", "Dragon myths by {alice}"], id="author"
        ),
        pytest.param(
            {"favorited": "{reader}"}, ["Dragon zoo by {bob}", "Dragon myths by {alice}"], id="favorited"
        ),
        pytest.param({"tag": "zoo", "author": "{bob}"}, ["Dragon zoo by {bob}"], id="tag and author"),
    ],
)
async def test_search_combines_with_each_filter(
    client: httpx.AsyncClient, library: dict[str, Any], filters: dict[str, str], expected: list[str]
) -> None:
    params = {name: value.format(**library) for name, value in filters.items()}

    assert await _titles(client, "dragon", **params) == [title.format(**library) for title in expected]


async def test_search_pages_are_exact_slices_of_the_whole_result(
    client: httpx.AsyncClient, author: dict[str, Any]
) -> None:
    for number in range(7):
        await create_article(client, author["token"], title=f"Dragon {number}", body="Scales")
    await create_article(client, author["token"], title="Unrelated")
    everything = await _titles(client, "dragon")

    pages = [await _search(client, "dragon", limit=3, offset=offset) for offset in (0, 3, 6)]

    assert len(everything) == 7
    assert [page["articlesCount"] for page in pages] == [7, 7, 7]
    assert [article["title"] for page in pages for article in page["articles"]] == everything
    assert [len(page["articles"]) for page in pages] == [3, 3, 1]


async def test_search_results_show_the_article_as_the_caller_sees_it(
    client: httpx.AsyncClient, author: dict[str, Any]
) -> None:
    reader = await register(client)
    article = await create_article(client, author["token"], title="Dragon", tags=["myth"])
    await client.post(f"/api/articles/{article['slug']}/favorite", headers=auth(reader["token"]))
    await client.post(f"/api/profiles/{author['username']}/follow", headers=auth(reader["token"]))

    response = await client.get("/api/articles", params={"search": "dragon"}, headers=auth(reader["token"]))

    assert response.status_code == 200
    [found] = response.json()["articles"]
    assert found == {
        **{key: article[key] for key in ("slug", "title", "description", "tagList", "createdAt")},
        "updatedAt": article["updatedAt"],
        "favorited": True,
        "favoritesCount": 1,
        "author": {"username": author["username"], "bio": None, "image": None, "following": True},
    }


# --- writes keep the index current ----------------------------------------------------------------


async def test_an_updated_title_is_found_by_its_new_words_only(
    client: httpx.AsyncClient, author: dict[str, Any]
) -> None:
    article = await create_article(client, author["token"], title="Dragon")

    response = await client.put(
        f"/api/articles/{article['slug']}",
        json={"article": {"title": "Griffin"}},
        headers=auth(author["token"]),
    )

    assert response.status_code == 200
    assert await _titles(client, "griffin") == ["Griffin"]
    assert await _titles(client, "dragon") == []


async def test_updated_description_and_body_are_found_by_their_new_words(
    client: httpx.AsyncClient, author: dict[str, Any]
) -> None:
    article = await create_article(client, author["token"], title="Beasts", description="Old", body="Old")

    response = await client.put(
        f"/api/articles/{article['slug']}",
        json={"article": {"description": "Unicorn", "body": "Phoenix"}},
        headers=auth(author["token"]),
    )

    assert response.status_code == 200
    assert await _titles(client, "unicorn phoenix") == ["Beasts"]
    assert await _titles(client, "old") == []


async def test_changed_tags_are_found_and_removed_tags_are_not(
    client: httpx.AsyncClient, author: dict[str, Any]
) -> None:
    article = await create_article(client, author["token"], title="Beasts", tags=["dragon", "myth"])

    response = await client.put(
        f"/api/articles/{article['slug']}",
        json={"article": {"tagList": ["myth", "griffin"]}},
        headers=auth(author["token"]),
    )

    assert response.status_code == 200
    assert await _titles(client, "griffin myth") == ["Beasts"]
    assert await _titles(client, "dragon") == []


async def test_a_deleted_article_is_no_longer_found(
    client: httpx.AsyncClient, author: dict[str, Any]
) -> None:
    kept = await create_article(client, author["token"], title="Dragon kept")
    gone = await create_article(client, author["token"], title="Dragon gone")

    response = await client.delete(f"/api/articles/{gone['slug']}", headers=auth(author["token"]))

    assert response.status_code == 204
    assert await _titles(client, "dragon") == [kept["title"]]


async def test_a_favorite_leaves_the_search_unchanged(
    client: httpx.AsyncClient, author: dict[str, Any]
) -> None:
    article = await create_article(client, author["token"], title="Dragon")

    await client.post(f"/api/articles/{article['slug']}/favorite", headers=auth(author["token"]))

    [found] = (await _search(client, "dragon"))["articles"]
    assert (found["title"], found["favoritesCount"]) == ("Dragon", 1)


# --- the contract ---------------------------------------------------------------------------------


async def test_the_openapi_description_documents_the_search_parameter(client: httpx.AsyncClient) -> None:
    operation = (await client.get("/openapi.json")).json()["paths"]["/api/articles"]["get"]

    [parameter] = [parameter for parameter in operation["parameters"] if parameter["name"] == "search"]

    assert parameter["in"] == "query"
    assert parameter["required"] is False
    assert parameter["schema"]["anyOf"][0] == {"type": "string", "maxLength": SEARCH_MAX}
    assert "Full-text search" in parameter["description"]
