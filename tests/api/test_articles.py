"""Articles over HTTP: create, read, update and delete one article, its slug and tag rules,
the global list (filters, paging, ordering, viewer flags) and the personal feed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Article, Comment, Favorite
from app.services.context import AppContext
from tests.helpers import auth, create_article, register

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

NEW_ARTICLE = {
    "title": "How to train your dragon",
    "description": "Ever wonder how?",
    "body": "You have to believe",
}


def _new_article(**changes: Any) -> dict[str, Any]:
    """A valid create body with ``changes`` applied; a value of ``...`` removes the key."""
    article: dict[str, Any] = {**NEW_ARTICLE, **changes}
    return {"article": {key: value for key, value in article.items() if value is not ...}}


def _invalid(field: str, problem: str) -> dict[str, Any]:
    """The 422 envelope for one field error. A field named ``body`` has no key of its own: the
    envelope's ``body`` already lists its message."""
    errors: dict[str, list[str]] = {"body": [f"{field} {problem}"]}
    if field != "body":
        errors[field] = [problem]
    return {"errors": errors}


async def _set_timestamps(context: AppContext, slug: str, when: datetime) -> None:
    """Moves an article's ``created_at`` and ``updated_at`` straight in the database."""

    async def work(session: AsyncSession) -> None:
        await session.execute(
            update(Article).where(Article.slug == slug).values(created_at=when, updated_at=when)
        )

    await context.db.write(work)


async def _count(context: AppContext, model: Any, *conditions: Any) -> int:
    async def work(session: AsyncSession) -> int:
        return int(await session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)

    return await context.db.read(work)


async def _list(client: httpx.AsyncClient, query: str = "", token: str | None = None) -> dict[str, Any]:
    response = await client.get(f"/api/articles{query}", headers=auth(token) if token else {})
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def _count_articles(client: httpx.AsyncClient) -> int:
    count: int = (await _list(client))["articlesCount"]
    return count


def _slugs(page: dict[str, Any]) -> list[str]:
    return [article["slug"] for article in page["articles"]]


async def _follow(client: httpx.AsyncClient, token: str, username: str) -> None:
    response = await client.post(f"/api/profiles/{username}/follow", headers=auth(token))
    assert response.status_code == 200, response.text


async def _favorite(client: httpx.AsyncClient, token: str, slug: str) -> None:
    response = await client.post(f"/api/articles/{slug}/favorite", headers=auth(token))
    assert response.status_code == 200, response.text


# --- create -------------------------------------------------------------------------------------


# DECISIONS: 201 for POST /articles; timestamps UTC with milliseconds; tagList sorted.
async def test_creating_an_article_returns_201_with_the_full_article(client: httpx.AsyncClient) -> None:
    user = await register(client)

    response = await client.post(
        "/api/articles",
        json=_new_article(tagList=["dragons", "angularjs", "reactjs"]),
        headers=auth(user["token"]),
    )

    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    article = response.json()["article"]
    assert set(article) == {
        "slug",
        "title",
        "description",
        "body",
        "tagList",
        "createdAt",
        "updatedAt",
        "favorited",
        "favoritesCount",
        "author",
    }
    assert article["slug"] == "how-to-train-your-dragon"
    assert article["title"] == NEW_ARTICLE["title"]
    assert article["description"] == NEW_ARTICLE["description"]
    assert article["body"] == NEW_ARTICLE["body"]
    assert article["tagList"] == ["angularjs", "dragons", "reactjs"]
    assert TIMESTAMP.match(article["createdAt"])
    assert article["updatedAt"] == article["createdAt"]
    assert article["favorited"] is False
    assert article["favoritesCount"] == 0
    assert article["author"] == {"username": user["username"], "bio": None, "image": None, "following": False}


async def test_created_at_is_the_current_utc_time(client: httpx.AsyncClient) -> None:
    user = await register(client)
    before = datetime.now(UTC) - timedelta(seconds=1)

    article = await create_article(client, user["token"])

    created = datetime.strptime(article["createdAt"], "%Y-%m-%dT%H:%M:%S.%f%z")
    assert before <= created <= datetime.now(UTC)


async def test_tag_list_is_optional_on_create(client: httpx.AsyncClient) -> None:
    user = await register(client)

    response = await client.post("/api/articles", json=_new_article(), headers=auth(user["token"]))

    assert response.status_code == 201
    assert response.json()["article"]["tagList"] == []


async def test_creating_an_article_requires_authentication(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/articles", json=_new_article())

    assert response.status_code == 401
    assert response.json() == {"errors": {"body": ["authentication required"]}}
    assert await _count_articles(client) == 0


# DECISIONS: title, description and body are all required on create.
@pytest.mark.parametrize("field", ["title", "description", "body"])
async def test_a_missing_required_field_is_refused(client: httpx.AsyncClient, field: str) -> None:
    user = await register(client)

    response = await client.post(
        "/api/articles", json=_new_article(**{field: ...}), headers=auth(user["token"])
    )

    assert response.status_code == 422
    assert response.json() == _invalid(field, "can't be blank")


@pytest.mark.parametrize("field", ["title", "description", "body"])
@pytest.mark.parametrize("blank", ["", " \n\t "])
async def test_a_blank_required_field_is_refused(client: httpx.AsyncClient, field: str, blank: str) -> None:
    user = await register(client)

    response = await client.post(
        "/api/articles", json=_new_article(**{field: blank}), headers=auth(user["token"])
    )

    assert response.status_code == 422
    assert response.json() == _invalid(field, "can't be blank")


@pytest.mark.parametrize("field", ["title", "description", "body"])
@pytest.mark.parametrize(
    ("value", "problem"),
    [(None, "can't be blank"), (42, "must be a string"), (["a title"], "must be a string")],
)
async def test_a_required_field_that_is_null_or_not_a_string_is_refused(
    client: httpx.AsyncClient, field: str, value: object, problem: str
) -> None:
    user = await register(client)

    response = await client.post(
        "/api/articles", json=_new_article(**{field: value}), headers=auth(user["token"])
    )

    assert response.status_code == 422
    assert response.json() == _invalid(field, problem)


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ({}, "article", "can't be blank"),
        ({"article": None}, "article", "can't be blank"),
        ({"article": "How to train your dragon"}, "article", "must be an object"),
        ({"article": {**NEW_ARTICLE, "tagList": "dragons"}}, "tagList", "must be a list"),
        ({"article": {**NEW_ARTICLE, "tagList": [7]}}, "tagList", "must be a string"),
        ({"article": {**NEW_ARTICLE, "tagList": None}}, "tagList", "can't be blank"),
    ],
)
async def test_a_malformed_create_body_is_refused_with_the_field_named(
    client: httpx.AsyncClient, body: dict[str, Any], field: str, problem: str
) -> None:
    user = await register(client)

    response = await client.post("/api/articles", json=body, headers=auth(user["token"]))

    assert response.status_code == 422
    assert response.json() == _invalid(field, problem)


async def test_several_invalid_fields_are_all_reported(client: httpx.AsyncClient) -> None:
    user = await register(client)

    response = await client.post(
        "/api/articles", json={"article": {"title": "", "body": 3}}, headers=auth(user["token"])
    )

    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "body": ["title can't be blank", "description can't be blank", "body must be a string"],
            "title": ["can't be blank"],
            "description": ["can't be blank"],
        }
    }


# DECISIONS: title 1 to 250 characters, description up to 1,000, body up to 100,000.
@pytest.mark.parametrize(("field", "maximum"), [("title", 250), ("description", 1000), ("body", 100_000)])
async def test_a_field_at_its_maximum_length_is_accepted(
    client: httpx.AsyncClient, field: str, maximum: int
) -> None:
    user = await register(client)

    response = await client.post(
        "/api/articles", json=_new_article(**{field: "x" * maximum}), headers=auth(user["token"])
    )

    assert response.status_code == 201, response.text
    assert response.json()["article"][field] == "x" * maximum


@pytest.mark.parametrize(("field", "maximum"), [("title", 250), ("description", 1000), ("body", 100_000)])
async def test_a_field_over_its_maximum_length_is_refused(
    client: httpx.AsyncClient, field: str, maximum: int
) -> None:
    user = await register(client)

    response = await client.post(
        "/api/articles", json=_new_article(**{field: "x" * (maximum + 1)}), headers=auth(user["token"])
    )

    problem = f"is too long (maximum is {maximum} characters)"
    assert response.status_code == 422
    assert response.json() == _invalid(field, problem)


async def test_title_length_counts_characters_not_bytes(client: httpx.AsyncClient) -> None:
    user = await register(client)

    response = await client.post(
        "/api/articles", json=_new_article(title="é" * 250), headers=auth(user["token"])
    )

    assert response.status_code == 201, response.text
    assert response.json()["article"]["title"] == "é" * 250


async def test_unknown_keys_in_the_article_are_ignored(client: httpx.AsyncClient) -> None:
    user = await register(client)

    response = await client.post(
        "/api/articles",
        json=_new_article(slug="chosen-by-me", favoritesCount=99, author="someone"),
        headers=auth(user["token"]),
    )

    assert response.status_code == 201
    article = response.json()["article"]
    assert article["slug"] == "how-to-train-your-dragon"
    assert article["favoritesCount"] == 0
    assert article["author"]["username"] == user["username"]


# --- tags on an article -------------------------------------------------------------------------


# DECISIONS: tags are trimmed, lower-cased, de-duplicated; tagList is always sorted alphabetically.
async def test_tags_are_trimmed_lower_cased_deduplicated_and_sorted(client: httpx.AsyncClient) -> None:
    user = await register(client)

    article = await create_article(
        client, user["token"], tags=["  Zebra ", "apple", "APPLE", "Mango", "mango  ", "apple"]
    )

    assert article["tagList"] == ["apple", "mango", "zebra"]


# DECISIONS: tags are 1 to 40 characters each.
@pytest.mark.parametrize(
    ("tag", "problem"),
    [
        ("", "tags can't be blank"),
        ("   ", "tags can't be blank"),
        ("x" * 41, "tags are at most 40 characters"),
    ],
)
async def test_an_invalid_tag_is_refused(client: httpx.AsyncClient, tag: str, problem: str) -> None:
    user = await register(client)

    response = await client.post(
        "/api/articles", json=_new_article(tagList=["fine", tag]), headers=auth(user["token"])
    )

    assert response.status_code == 422
    assert response.json() == _invalid("tagList", problem)


async def test_a_tag_of_40_characters_after_trimming_is_accepted(client: httpx.AsyncClient) -> None:
    user = await register(client)

    article = await create_article(client, user["token"], tags=["  " + "x" * 40 + "  "])

    assert article["tagList"] == ["x" * 40]


# DECISIONS: at most 10 tags per article (counted after de-duplication).
async def test_ten_distinct_tags_are_accepted_even_with_duplicates(client: httpx.AsyncClient) -> None:
    user = await register(client)
    tags = [f"tag{number}" for number in range(10)]

    article = await create_article(client, user["token"], tags=tags + [tag.upper() for tag in tags])

    assert article["tagList"] == sorted(tags)


async def test_eleven_distinct_tags_are_refused(client: httpx.AsyncClient) -> None:
    user = await register(client)

    response = await client.post(
        "/api/articles",
        json=_new_article(tagList=[f"tag{number}" for number in range(11)]),
        headers=auth(user["token"]),
    )

    problem = "at most 10 tags per article"
    assert response.status_code == 422
    assert response.json() == _invalid("tagList", problem)
    assert (await client.get("/api/tags")).json() == {"tags": []}


# --- slugs --------------------------------------------------------------------------------------


# DECISIONS: the slug is the lower-case ASCII words of the title.
@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("How to Train Your Dragon!", "how-to-train-your-dragon"),
        ("  Spaces   and\ttabs  ", "spaces-and-tabs"),
        ("C'est déjà l'été", "c-est-deja-l-ete"),
        ("Ünïcödé: Straße", "unicode-strasse"),
        ("10 reasons / 2024 edition", "10-reasons-2024-edition"),
    ],
)
async def test_the_slug_is_made_of_the_lower_case_ascii_words_of_the_title(
    client: httpx.AsyncClient, title: str, slug: str
) -> None:
    user = await register(client)

    article = await create_article(client, user["token"], title=title)

    assert article["slug"] == slug
    assert article["title"] == title


@pytest.mark.parametrize("title", ["!!!", "日本語のタイトル", "🐉🐉", "x" * 250])
async def test_every_title_gives_a_usable_ascii_slug(client: httpx.AsyncClient, title: str) -> None:
    user = await register(client)

    article = await create_article(client, user["token"], title=title)

    assert SLUG.match(article["slug"]), article["slug"]
    assert (await client.get(f"/api/articles/{article['slug']}")).json()["article"]["title"] == title


# DECISIONS: on a slug collision a short unique suffix is added, never a 422 or a 500.
async def test_a_repeated_title_gets_a_suffixed_unique_slug(client: httpx.AsyncClient) -> None:
    first_author, second_author = await register(client), await register(client)

    first = await create_article(client, first_author["token"], title="Same words")
    second = await create_article(client, second_author["token"], title="Same Words!")
    third = await create_article(client, first_author["token"], title="same words")

    assert first["slug"] == "same-words"
    assert re.fullmatch(r"same-words-[a-z0-9]{1,8}", second["slug"])
    assert re.fullmatch(r"same-words-[a-z0-9]{1,8}", third["slug"])
    assert len({first["slug"], second["slug"], third["slug"]}) == 3
    for article in (first, second, third):
        fetched = await client.get(f"/api/articles/{article['slug']}")
        assert fetched.json()["article"]["author"] == article["author"]


# DECISIONS: the slug changes when the title changes; the old slug then answers 404.
# /api/articles/feed is the feed, so an article titled "Feed" must live at another slug.
async def test_an_article_titled_feed_gets_a_slug_it_can_be_read_at(client: httpx.AsyncClient) -> None:
    user = await register(client)

    article = await create_article(client, user["token"], title="Feed")

    assert re.fullmatch(r"feed-[a-z0-9]{6}", article["slug"])
    fetched = await client.get(f"/api/articles/{article['slug']}")
    assert fetched.json()["article"]["title"] == "Feed"


async def test_changing_the_title_changes_the_slug_and_retires_the_old_one(client: httpx.AsyncClient) -> None:
    user = await register(client)
    article = await create_article(client, user["token"], title="First title")

    response = await client.put(
        f"/api/articles/{article['slug']}",
        json={"article": {"title": "Did you train your dragon?"}},
        headers=auth(user["token"]),
    )

    assert response.status_code == 200
    assert response.json()["article"]["slug"] == "did-you-train-your-dragon"
    assert (await client.get("/api/articles/did-you-train-your-dragon")).status_code == 200
    old = await client.get("/api/articles/first-title")
    assert old.status_code == 404
    assert old.json() == {"errors": {"body": ["article not found"]}}


async def test_a_title_change_that_keeps_the_same_words_keeps_the_slug(client: httpx.AsyncClient) -> None:
    user = await register(client)
    article = await create_article(client, user["token"], title="How to train your dragon")

    response = await client.put(
        f"/api/articles/{article['slug']}",
        json={"article": {"title": "How To Train Your Dragon!"}},
        headers=auth(user["token"]),
    )

    assert response.status_code == 200
    assert response.json()["article"]["title"] == "How To Train Your Dragon!"
    assert response.json()["article"]["slug"] == "how-to-train-your-dragon"


async def test_a_suffixed_slug_survives_an_update_that_keeps_the_words(client: httpx.AsyncClient) -> None:
    user = await register(client)
    await create_article(client, user["token"], title="Twin")
    twin = await create_article(client, user["token"], title="Twin")

    response = await client.put(
        f"/api/articles/{twin['slug']}", json={"article": {"title": "TWIN"}}, headers=auth(user["token"])
    )

    assert response.status_code == 200
    assert response.json()["article"]["slug"] == twin["slug"]


async def test_retitling_onto_a_taken_slug_adds_a_suffix(client: httpx.AsyncClient) -> None:
    user = await register(client)
    await create_article(client, user["token"], title="Taken")
    article = await create_article(client, user["token"], title="Free")

    response = await client.put(
        f"/api/articles/{article['slug']}", json={"article": {"title": "Taken"}}, headers=auth(user["token"])
    )

    assert response.status_code == 200
    assert re.fullmatch(r"taken-[a-z0-9]{1,8}", response.json()["article"]["slug"])
    assert (await client.get("/api/articles/taken")).json()["article"]["slug"] == "taken"
    assert (await client.get("/api/articles/free")).status_code == 404


# --- get ----------------------------------------------------------------------------------------


async def test_an_article_can_be_read_anonymously(client: httpx.AsyncClient) -> None:
    user = await register(client)
    created = await create_article(client, user["token"], tags=["dragons"])

    response = await client.get(f"/api/articles/{created['slug']}")

    assert response.status_code == 200
    assert response.json() == {"article": created}


async def test_an_unknown_article_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/articles/no-such-article")

    assert response.status_code == 404
    assert response.json() == {"errors": {"body": ["article not found"]}}


# DECISIONS: a bad token is 401 also on endpoints where auth is optional.
@pytest.mark.parametrize("path", ["/api/articles", "/api/articles/{slug}", "/api/articles/{slug}/comments"])
async def test_a_bad_token_is_refused_even_where_authentication_is_optional(
    client: httpx.AsyncClient, path: str
) -> None:
    user = await register(client)
    article = await create_article(client, user["token"])

    response = await client.get(path.format(slug=article["slug"]), headers=auth(user["token"] + "x"))

    assert response.status_code == 401
    assert response.json() == {"errors": {"body": ["token is invalid or expired"]}}


async def test_reading_an_article_shows_the_viewers_flags(client: httpx.AsyncClient) -> None:
    author, reader = await register(client), await register(client)
    article = await create_article(client, author["token"])
    await _follow(client, reader["token"], author["username"])
    await _favorite(client, reader["token"], article["slug"])

    as_reader = (await client.get(f"/api/articles/{article['slug']}", headers=auth(reader["token"]))).json()
    as_anonymous = (await client.get(f"/api/articles/{article['slug']}")).json()

    assert as_reader["article"]["favorited"] is True
    assert as_reader["article"]["author"]["following"] is True
    assert as_anonymous["article"]["favorited"] is False
    assert as_anonymous["article"]["author"]["following"] is False
    assert as_anonymous["article"]["favoritesCount"] == 1


# --- update -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"description": "A new description"},
        {"body": "A new body"},
        {"description": "A new description", "body": "A new body"},
    ],
)
async def test_an_update_changes_only_the_given_fields(
    client: httpx.AsyncClient, changes: dict[str, str]
) -> None:
    user = await register(client)
    article = await create_article(client, user["token"], tags=["dragons"])

    response = await client.put(
        f"/api/articles/{article['slug']}", json={"article": changes}, headers=auth(user["token"])
    )

    assert response.status_code == 200
    updated = response.json()["article"]
    assert {key: value for key, value in updated.items() if key != "updatedAt"} == {
        **{key: value for key, value in article.items() if key != "updatedAt"},
        **changes,
    }
    assert (await client.get(f"/api/articles/{article['slug']}")).json()["article"] == updated


async def test_an_empty_update_changes_no_field(client: httpx.AsyncClient) -> None:
    user = await register(client)
    article = await create_article(client, user["token"], tags=["dragons"])

    response = await client.put(
        f"/api/articles/{article['slug']}", json={"article": {}}, headers=auth(user["token"])
    )

    assert response.status_code == 200
    updated = response.json()["article"]
    assert {key: value for key, value in updated.items() if key != "updatedAt"} == {
        key: value for key, value in article.items() if key != "updatedAt"
    }


async def test_an_update_moves_updated_at_but_not_created_at(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    user = await register(client)
    article = await create_article(client, user["token"])
    await _set_timestamps(context, article["slug"], datetime(2020, 1, 2, 3, 4, 5, 678000, tzinfo=UTC))

    response = await client.put(
        f"/api/articles/{article['slug']}", json={"article": {"body": "Edited"}}, headers=auth(user["token"])
    )

    updated = response.json()["article"]
    assert updated["createdAt"] == "2020-01-02T03:04:05.678Z"
    assert TIMESTAMP.match(updated["updatedAt"])
    assert updated["updatedAt"] > "2020-01-02T03:04:05.678Z"


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"title": ""}, "title", "can't be blank"),
        ({"title": "  "}, "title", "can't be blank"),
        ({"title": None}, "title", "can't be blank"),
        ({"title": 5}, "title", "must be a string"),
        ({"title": "x" * 251}, "title", "is too long (maximum is 250 characters)"),
        ({"description": None}, "description", "can't be blank"),
        ({"description": "x" * 1001}, "description", "is too long (maximum is 1000 characters)"),
        ({"body": ""}, "body", "can't be blank"),
        ({"body": None}, "body", "can't be blank"),
        ({"tagList": None}, "tagList", "can't be blank"),
        ({"tagList": ["x" * 41]}, "tagList", "tags are at most 40 characters"),
        ({"tagList": [f"t{number}" for number in range(11)]}, "tagList", "at most 10 tags per article"),
    ],
)
async def test_an_invalid_update_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, changes: dict[str, Any], field: str, problem: str
) -> None:
    user = await register(client)
    article = await create_article(client, user["token"], tags=["dragons"])

    response = await client.put(
        f"/api/articles/{article['slug']}",
        json={"article": {"description": "Should not be saved", **changes}},
        headers=auth(user["token"]),
    )

    assert response.status_code == 422
    assert response.json() == _invalid(field, problem)
    assert (await client.get(f"/api/articles/{article['slug']}")).json()["article"] == article


# DECISIONS: editing someone else's article is 403.
async def test_another_user_cannot_update_an_article(client: httpx.AsyncClient) -> None:
    author, intruder = await register(client), await register(client)
    article = await create_article(client, author["token"], tags=["dragons"])

    response = await client.put(
        f"/api/articles/{article['slug']}",
        json={"article": {"title": "Hijacked", "body": "Hijacked", "tagList": ["hijacked"]}},
        headers=auth(intruder["token"]),
    )

    assert response.status_code == 403
    assert response.json() == {"errors": {"body": ["only the author may change this article"]}}
    assert (await client.get(f"/api/articles/{article['slug']}")).json()["article"] == article
    assert (await client.get("/api/tags")).json() == {"tags": ["dragons"]}


async def test_updating_anonymously_is_401(client: httpx.AsyncClient) -> None:
    user = await register(client)
    article = await create_article(client, user["token"])

    response = await client.put(f"/api/articles/{article['slug']}", json={"article": {"body": "Anonymous"}})

    assert response.status_code == 401
    assert response.json() == {"errors": {"body": ["authentication required"]}}
    assert (await client.get(f"/api/articles/{article['slug']}")).json()["article"] == article


async def test_updating_an_unknown_article_is_404(client: httpx.AsyncClient) -> None:
    user = await register(client)

    response = await client.put(
        "/api/articles/no-such-article", json={"article": {"body": "New"}}, headers=auth(user["token"])
    )

    assert response.status_code == 404
    assert response.json() == {"errors": {"body": ["article not found"]}}


async def test_tag_list_in_an_update_replaces_the_tags(client: httpx.AsyncClient) -> None:
    user = await register(client)
    article = await create_article(client, user["token"], tags=["dragons", "training"])

    response = await client.put(
        f"/api/articles/{article['slug']}",
        json={"article": {"tagList": ["Training", "  flying "]}},
        headers=auth(user["token"]),
    )

    assert response.status_code == 200
    assert response.json()["article"]["tagList"] == ["flying", "training"]
    assert (await client.get(f"/api/articles/{article['slug']}")).json()["article"]["tagList"] == [
        "flying",
        "training",
    ]
    assert _slugs(await _list(client, "?tag=dragons")) == []
    assert _slugs(await _list(client, "?tag=flying")) == [article["slug"]]


async def test_an_empty_tag_list_in_an_update_removes_every_tag(client: httpx.AsyncClient) -> None:
    user = await register(client)
    article = await create_article(client, user["token"], tags=["dragons", "training"])

    response = await client.put(
        f"/api/articles/{article['slug']}", json={"article": {"tagList": []}}, headers=auth(user["token"])
    )

    assert response.status_code == 200
    assert response.json()["article"]["tagList"] == []


async def test_an_update_without_tag_list_keeps_the_tags(client: httpx.AsyncClient) -> None:
    user = await register(client)
    article = await create_article(client, user["token"], tags=["dragons", "training"])

    response = await client.put(
        f"/api/articles/{article['slug']}",
        json={"article": {"title": "Renamed"}},
        headers=auth(user["token"]),
    )

    assert response.json()["article"]["tagList"] == ["dragons", "training"]


async def test_an_update_keeps_favorites(client: httpx.AsyncClient) -> None:
    author, fan = await register(client), await register(client)
    article = await create_article(client, author["token"])
    await _favorite(client, fan["token"], article["slug"])

    renamed = await client.put(
        f"/api/articles/{article['slug']}",
        json={"article": {"title": "Renamed"}},
        headers=auth(author["token"]),
    )

    as_fan = await client.get("/api/articles/renamed", headers=auth(fan["token"]))

    assert renamed.json()["article"]["favoritesCount"] == 1
    assert as_fan.json()["article"]["favorited"] is True


# --- delete -------------------------------------------------------------------------------------


# DECISIONS: DELETE /articles/{slug} is 204 with an empty body.
async def test_deleting_an_article_returns_204_and_it_is_gone(client: httpx.AsyncClient) -> None:
    user = await register(client)
    article = await create_article(client, user["token"])

    response = await client.delete(f"/api/articles/{article['slug']}", headers=auth(user["token"]))

    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(f"/api/articles/{article['slug']}")).status_code == 404
    assert await _list(client) == {"articles": [], "articlesCount": 0}


async def test_deleting_an_article_removes_its_comments_and_favorites(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    author, reader = await register(client), await register(client)
    article = await create_article(client, author["token"])
    kept = await create_article(client, author["token"], title="Kept")
    for slug in (article["slug"], kept["slug"]):
        await _favorite(client, reader["token"], slug)
        comment = await client.post(
            f"/api/articles/{slug}/comments",
            json={"comment": {"body": "Nice"}},
            headers=auth(reader["token"]),
        )
        assert comment.status_code == 200

    response = await client.delete(f"/api/articles/{article['slug']}", headers=auth(author["token"]))

    assert response.status_code == 204
    assert await _count(context, Article) == 1
    assert await _count(context, Comment) == 1
    assert await _count(context, Favorite) == 1
    assert _slugs(await _list(client, f"?favorited={reader['username']}")) == [kept["slug"]]
    comments = await client.get(f"/api/articles/{article['slug']}/comments")
    assert comments.status_code == 404


async def test_the_slug_of_a_deleted_article_can_be_reused(client: httpx.AsyncClient) -> None:
    user = await register(client)
    article = await create_article(client, user["token"], title="Phoenix")
    await client.delete(f"/api/articles/{article['slug']}", headers=auth(user["token"]))

    reborn = await create_article(client, user["token"], title="Phoenix")

    assert reborn["slug"] == "phoenix"
    assert reborn["tagList"] == []


# DECISIONS: deleting someone else's article is 403.
async def test_another_user_cannot_delete_an_article(client: httpx.AsyncClient) -> None:
    author, intruder = await register(client), await register(client)
    article = await create_article(client, author["token"])

    response = await client.delete(f"/api/articles/{article['slug']}", headers=auth(intruder["token"]))

    assert response.status_code == 403
    assert response.json() == {"errors": {"body": ["only the author may change this article"]}}
    assert (await client.get(f"/api/articles/{article['slug']}")).status_code == 200


async def test_deleting_anonymously_is_401(client: httpx.AsyncClient) -> None:
    user = await register(client)
    article = await create_article(client, user["token"])

    response = await client.delete(f"/api/articles/{article['slug']}")

    assert response.status_code == 401
    assert response.json() == {"errors": {"body": ["authentication required"]}}
    assert (await client.get(f"/api/articles/{article['slug']}")).status_code == 200


async def test_deleting_an_unknown_article_is_404(client: httpx.AsyncClient) -> None:
    user = await register(client)

    response = await client.delete("/api/articles/no-such-article", headers=auth(user["token"]))

    assert response.status_code == 404
    assert response.json() == {"errors": {"body": ["article not found"]}}


# DECISIONS: tags no longer used by any article disappear from GET /tags.
async def test_deleting_an_article_drops_tags_no_longer_used(client: httpx.AsyncClient) -> None:
    user = await register(client)
    article = await create_article(client, user["token"], tags=["only-here", "shared"])
    await create_article(client, user["token"], title="Other", tags=["shared"])

    await client.delete(f"/api/articles/{article['slug']}", headers=auth(user["token"]))

    assert (await client.get("/api/tags")).json() == {"tags": ["shared"]}


# --- lists: filters -----------------------------------------------------------------------------


async def test_an_empty_list_is_200_with_no_articles(client: httpx.AsyncClient) -> None:
    assert await _list(client) == {"articles": [], "articlesCount": 0}


# DECISIONS: list items have no body.
async def test_list_items_have_every_field_but_the_body(client: httpx.AsyncClient) -> None:
    user = await register(client)
    article = await create_article(client, user["token"], tags=["b", "a"])

    page = await _list(client)

    assert page["articlesCount"] == 1
    assert page["articles"] == [{key: value for key, value in article.items() if key != "body"}]


async def test_lists_filter_by_tag(client: httpx.AsyncClient) -> None:
    user = await register(client)
    dragons = await create_article(client, user["token"], title="Dragons", tags=["dragons", "fantasy"])
    await create_article(client, user["token"], title="Elves", tags=["fantasy"])
    await create_article(client, user["token"], title="Nothing")

    page = await _list(client, "?tag=dragons")

    assert _slugs(page) == [dragons["slug"]]
    assert page["articlesCount"] == 1
    assert page["articles"][0]["tagList"] == ["dragons", "fantasy"]


async def test_the_tag_filter_ignores_case_and_surrounding_spaces(client: httpx.AsyncClient) -> None:
    user = await register(client)
    dragons = await create_article(client, user["token"], tags=["dragons"])

    assert _slugs(await _list(client, "?tag=%20Dragons%20")) == [dragons["slug"]]


async def test_lists_filter_by_author_ignoring_case(client: httpx.AsyncClient) -> None:
    alice, bob = await register(client, "Alice"), await register(client, "bob")
    by_alice = await create_article(client, alice["token"], title="By Alice")
    await create_article(client, bob["token"], title="By Bob")

    assert _slugs(await _list(client, "?author=Alice")) == [by_alice["slug"]]
    assert _slugs(await _list(client, "?author=alice")) == [by_alice["slug"]]


async def test_lists_filter_by_who_favorited(client: httpx.AsyncClient) -> None:
    author, fan = await register(client), await register(client)
    liked = await create_article(client, author["token"], title="Liked")
    await create_article(client, author["token"], title="Ignored")
    await _favorite(client, fan["token"], liked["slug"])

    page = await _list(client, f"?favorited={fan['username']}")

    assert _slugs(page) == [liked["slug"]]
    assert page["articlesCount"] == 1


@pytest.mark.parametrize("query", ["?tag=nobody-uses-this", "?author=nobody", "?favorited=nobody"])
async def test_a_filter_matching_nothing_gives_an_empty_page(client: httpx.AsyncClient, query: str) -> None:
    user = await register(client)
    await create_article(client, user["token"], tags=["dragons"])

    assert await _list(client, query) == {"articles": [], "articlesCount": 0}


async def test_filters_combine(client: httpx.AsyncClient) -> None:
    alice, bob, fan = await register(client), await register(client), await register(client)
    match = await create_article(client, alice["token"], title="Match", tags=["dragons"])
    wrong_tag = await create_article(client, alice["token"], title="Wrong tag", tags=["elves"])
    wrong_author = await create_article(client, bob["token"], title="Wrong author", tags=["dragons"])
    await create_article(client, alice["token"], title="Not favorited", tags=["dragons"])
    for article in (match, wrong_tag, wrong_author):
        await _favorite(client, fan["token"], article["slug"])

    page = await _list(client, f"?tag=dragons&author={alice['username']}&favorited={fan['username']}")

    assert _slugs(page) == [match["slug"]]
    assert page["articlesCount"] == 1


# --- lists: paging ------------------------------------------------------------------------------


# DECISIONS: limit defaults to 20; articlesCount is the total matching, not the page size.
async def test_the_default_page_is_twenty_articles_and_the_count_is_the_total(
    client: httpx.AsyncClient,
) -> None:
    user = await register(client)
    for number in range(21):
        await create_article(client, user["token"], title=f"Article {number}")

    page = await _list(client)

    assert len(page["articles"]) == 20
    assert page["articlesCount"] == 21


async def test_limit_and_offset_select_a_page(client: httpx.AsyncClient, context: AppContext) -> None:
    user = await register(client)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for number in range(5):
        article = await create_article(client, user["token"], title=f"Article {number}")
        await _set_timestamps(context, article["slug"], start + timedelta(minutes=number))

    page = await _list(client, "?limit=2&offset=1")

    assert _slugs(page) == ["article-3", "article-2"]
    assert page["articlesCount"] == 5


async def test_an_offset_past_the_end_gives_an_empty_page_with_the_total(client: httpx.AsyncClient) -> None:
    user = await register(client)
    await create_article(client, user["token"])

    # DECISIONS: offset goes up to 10,000.
    assert await _list(client, "?offset=10000") == {"articles": [], "articlesCount": 1}


async def test_a_limit_of_100_is_accepted(client: httpx.AsyncClient) -> None:
    user = await register(client)
    await create_article(client, user["token"])

    assert (await _list(client, "?limit=100"))["articlesCount"] == 1


# DECISIONS: limit 1 to 100, offset 0 to 10,000; malformed or unknown query parameters are 422.
@pytest.mark.parametrize(
    ("query", "field", "problem"),
    [
        ("limit=abc", "limit", "must be an integer"),
        ("limit=1.5", "limit", "must be an integer"),
        ("limit=", "limit", "must be an integer"),
        ("limit=0", "limit", "must be greater than or equal to 1"),
        ("limit=-5", "limit", "must be greater than or equal to 1"),
        ("limit=101", "limit", "must be less than or equal to 100"),
        ("limit=99999999999999999999999", "limit", "must be less than or equal to 100"),
        ("offset=abc", "offset", "must be an integer"),
        ("offset=-1", "offset", "must be greater than or equal to 0"),
        ("offset=10001", "offset", "must be less than or equal to 10000"),
        ("page=2", "page", "is not a known parameter"),
        ("Limit=5", "Limit", "is not a known parameter"),
        ("tag=", "tag", "can't be blank"),
    ],
)
async def test_a_bad_list_query_is_refused(
    client: httpx.AsyncClient, query: str, field: str, problem: str
) -> None:
    response = await client.get(f"/api/articles?{query}")

    assert response.status_code == 422
    assert response.json() == _invalid(field, problem)


# --- lists: ordering ----------------------------------------------------------------------------


# DECISIONS: lists are newest first.
async def test_lists_are_newest_first_by_creation_time(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    user = await register(client)
    old = await create_article(client, user["token"], title="Old")
    new = await create_article(client, user["token"], title="New")
    middle = await create_article(client, user["token"], title="Middle")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    await _set_timestamps(context, old["slug"], start)
    await _set_timestamps(context, middle["slug"], start + timedelta(milliseconds=1))
    await _set_timestamps(context, new["slug"], start + timedelta(days=1))

    page = await _list(client)

    assert _slugs(page) == ["new", "middle", "old"]
    assert [article["createdAt"] for article in page["articles"]] == [
        "2024-01-02T00:00:00.000Z",
        "2024-01-01T00:00:00.001Z",
        "2024-01-01T00:00:00.000Z",
    ]


# DECISIONS: ties on creation time are broken by id, so pages never overlap or skip.
async def test_pages_neither_overlap_nor_skip_when_creation_times_tie(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    user = await register(client)
    created = [await create_article(client, user["token"], title=f"Tie {number}") for number in range(5)]
    same_instant = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    for article in created:
        await _set_timestamps(context, article["slug"], same_instant)

    pages = [await _list(client, f"?limit=1&offset={offset}") for offset in range(6)]

    seen = [slug for page in pages for slug in _slugs(page)]
    assert seen == [article["slug"] for article in reversed(created)]
    assert all(page["articlesCount"] == 5 for page in pages)


# DECISIONS: anonymous callers get favorited false and following false.
async def test_anonymous_list_items_are_never_favorited_or_followed(client: httpx.AsyncClient) -> None:
    author, fan = await register(client), await register(client)
    article = await create_article(client, author["token"])
    await _follow(client, fan["token"], author["username"])
    await _favorite(client, fan["token"], article["slug"])

    item = (await _list(client))["articles"][0]

    assert item["favorited"] is False
    assert item["favoritesCount"] == 1
    assert item["author"]["following"] is False


async def test_signed_in_list_items_show_the_viewers_own_flags(client: httpx.AsyncClient) -> None:
    alice, bob, viewer = await register(client), await register(client), await register(client)
    by_alice = await create_article(client, alice["token"], title="By Alice")
    by_bob = await create_article(client, bob["token"], title="By Bob")
    await _follow(client, viewer["token"], alice["username"])
    await _favorite(client, viewer["token"], by_bob["slug"])
    await _favorite(client, alice["token"], by_alice["slug"])

    items = {item["slug"]: item for item in (await _list(client, token=viewer["token"]))["articles"]}

    assert items[by_alice["slug"]]["favorited"] is False
    assert items[by_alice["slug"]]["favoritesCount"] == 1
    assert items[by_alice["slug"]]["author"]["following"] is True
    assert items[by_bob["slug"]]["favorited"] is True
    assert items[by_bob["slug"]]["author"]["following"] is False


# --- feed ---------------------------------------------------------------------------------------


# DECISIONS: the feed holds articles by authors the caller follows.
async def test_the_feed_holds_only_articles_by_followed_authors(client: httpx.AsyncClient) -> None:
    reader, followed, stranger = await register(client), await register(client), await register(client)
    await _follow(client, reader["token"], followed["username"])
    first = await create_article(client, followed["token"], title="First", tags=["dragons"])
    second = await create_article(client, followed["token"], title="Second")
    await create_article(client, stranger["token"], title="Stranger")
    await create_article(client, reader["token"], title="My own")

    response = await client.get("/api/articles/feed", headers=auth(reader["token"]))

    assert response.status_code == 200
    page = response.json()
    assert _slugs(page) == [second["slug"], first["slug"]]
    assert page["articlesCount"] == 2
    assert "body" not in page["articles"][0]
    assert all(item["author"]["following"] is True for item in page["articles"])
    assert page["articles"][1]["tagList"] == ["dragons"]


# DECISIONS: an empty feed is 200 with [] and 0.
async def test_an_empty_feed_is_200_with_no_articles(client: httpx.AsyncClient) -> None:
    reader, author = await register(client), await register(client)
    await create_article(client, author["token"])

    response = await client.get("/api/articles/feed", headers=auth(reader["token"]))

    assert response.status_code == 200
    assert response.json() == {"articles": [], "articlesCount": 0}


async def test_unfollowing_removes_the_author_from_the_feed(client: httpx.AsyncClient) -> None:
    reader, author = await register(client), await register(client)
    await create_article(client, author["token"])
    await _follow(client, reader["token"], author["username"])
    unfollow = await client.delete(
        f"/api/profiles/{author['username']}/follow", headers=auth(reader["token"])
    )
    assert unfollow.status_code == 200

    response = await client.get("/api/articles/feed", headers=auth(reader["token"]))

    assert response.json() == {"articles": [], "articlesCount": 0}


async def test_the_feed_requires_authentication(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/articles/feed")

    assert response.status_code == 401
    assert response.json() == {"errors": {"body": ["authentication required"]}}


# DECISIONS: the feed has the same ordering and paging as the global list.
async def test_the_feed_pages_without_overlap_when_creation_times_tie(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    reader, author = await register(client), await register(client)
    await _follow(client, reader["token"], author["username"])
    created = [await create_article(client, author["token"], title=f"Feed {number}") for number in range(3)]
    newest = await create_article(client, author["token"], title="Newest")
    for article in created:
        await _set_timestamps(context, article["slug"], datetime(2024, 6, 1, tzinfo=UTC))
    await _set_timestamps(context, newest["slug"], datetime(2024, 6, 2, tzinfo=UTC))

    pages = [
        (
            await client.get(f"/api/articles/feed?limit=1&offset={offset}", headers=auth(reader["token"]))
        ).json()
        for offset in range(4)
    ]

    assert [slug for page in pages for slug in _slugs(page)] == [
        newest["slug"],
        *(article["slug"] for article in reversed(created)),
    ]
    assert all(page["articlesCount"] == 4 for page in pages)


@pytest.mark.parametrize(
    ("query", "field", "problem"),
    [
        ("limit=0", "limit", "must be greater than or equal to 1"),
        ("limit=101", "limit", "must be less than or equal to 100"),
        ("offset=-1", "offset", "must be greater than or equal to 0"),
        ("limit=abc", "limit", "must be an integer"),
        ("tag=dragons", "tag", "is not a known parameter"),
    ],
)
async def test_a_bad_feed_query_is_refused(
    client: httpx.AsyncClient, query: str, field: str, problem: str
) -> None:
    reader = await register(client)

    response = await client.get(f"/api/articles/feed?{query}", headers=auth(reader["token"]))

    assert response.status_code == 422
    assert response.json() == _invalid(field, problem)
