"""The N+1 guard: list endpoints run a fixed number of SQL statements whatever the page size
and whatever the amount of data.

A corpus of 100 articles (tags, favorites, follows, several authors) is written straight into the
database with bulk inserts, keeping the denormalised counters (``articles.favorites_count``,
``tags.articles_count``, ``users.articles_count``/``favorites_count``, ``counters``; some as
pending ``count_deltas``, as writers leave them) and copied columns (``article_created_at``)
consistent. Then a page of 20 and a page of 100 must cost exactly
the same number of statements, anonymously and signed in, for every filter and the feed, and so
must the same page once the corpus has doubled; the same holds for the comments of an article with
1 and with 50 comments. The counts are pinned: a new query per request is a deliberate change to
this contract, made here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.counts import GLOBAL, Count
from app.db.models import Article, ArticleTag, Comment, Favorite, Follow, Tag, User, count_deltas
from app.db.repositories._upsert import insert_or_ignore
from app.services.context import AppContext
from tests.helpers import auth, count_statements, register

# Statements per request: one, anonymous or signed in (page, total, tags, author, flags, and the
# check of the caller's token against the stored user, all together).
ARTICLE_LIST_STATEMENTS = {"anonymous": 1, "signed_in": 1}
# The article joined with its comments (and the caller's check).
COMMENT_LIST_STATEMENTS = {"anonymous": 1, "signed_in": 1}

ARTICLES = 100
PROLIFIC, OTHER_AUTHORS = "prolific", ("second", "third", "fourth")
READER = "reader"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def _author_of(index: int) -> str:
    """70 articles by the prolific author, 10 by each of the others."""
    return PROLIFIC if index < 70 else OTHER_AUTHORS[(index - 70) // 10]


def _favorited_by_reader(index: int) -> bool:
    return index % 5 != 0  # 80 articles


def _favorited_by_viewer(index: int) -> bool:
    return index % 3 == 0  # 34 articles


def _topic(index: int) -> str:
    return f"topic{index % 5}"


@dataclass(frozen=True)
class Corpus:
    viewer: dict[str, str]
    slugs: list[str]


async def _seed_corpus(context: AppContext, viewer_username: str, *, batch: int = 0) -> list[str]:
    """Writes users, 100 articles, tags, favorites and follows in one transaction; returns the slugs.
    Further batches add 100 more articles by users of their own, with the same shape."""

    async def work(session: AsyncSession) -> list[str]:
        viewer_id = await session.scalar(select(User.id).where(User.username == viewer_username))
        suffix = f"-{batch}" if batch else ""
        names = [f"{name}{suffix}" for name in (PROLIFIC, *OTHER_AUTHORS, READER)]
        user_ids = dict(
            zip(
                names,
                await session.scalars(
                    insert(User).returning(User.id, sort_by_parameter_order=True),
                    [
                        {
                            "username": name,
                            "email": f"{name}@example.com",
                            "password_hash": "not-a-hash",
                            "articles_count": sum(
                                _author_of(index) + suffix == name for index in range(ARTICLES)
                            ),
                            "favorites_count": sum(map(_favorited_by_reader, range(ARTICLES)))
                            if name == READER + suffix
                            else 0,
                        }
                        for name in names
                    ],
                ),
                strict=True,
            )
        )
        articles = [
            {
                "slug": f"article-{index}{suffix}",
                "title": f"Article {index}",
                "description": "About things",
                "body": "Words",
                "author_id": user_ids[_author_of(index) + suffix],
                "favorites_count": _favorited_by_reader(index) + _favorited_by_viewer(index),
                "created_at": EPOCH + timedelta(minutes=index),
                "updated_at": EPOCH + timedelta(minutes=index),
            }
            for index in range(ARTICLES)
        ]
        article_ids = list(
            await session.scalars(
                insert(Article).returning(Article.id, sort_by_parameter_order=True), articles
            )
        )
        topics = sorted({_topic(index) for index in range(ARTICLES)})
        tag_rows = [{"name": "common", "articles_count": 0}]
        tag_rows += [{"name": topic, "articles_count": 0} for topic in topics]
        await session.execute(insert_or_ignore(session, Tag), tag_rows)
        await session.execute(
            update(Tag)
            .where(Tag.name.in_(topics))
            .values(articles_count=Tag.articles_count + ARTICLES // len(topics))
        )
        tag_ids = dict((await session.execute(select(Tag.name, Tag.id))).all())
        viewer_favorites = sum(map(_favorited_by_viewer, range(ARTICLES)))
        # Some totals as writers leave them: pending deltas on top of the bases, which every read
        # adds in its one statement (app/db/counts.py) until the folder moves them.
        await session.execute(
            insert(count_deltas),
            [
                {"kind": Count.TAG_ARTICLES.value, "target_id": tag_ids["common"], "delta": ARTICLES},
                {"kind": Count.USER_FAVORITES.value, "target_id": viewer_id, "delta": viewer_favorites},
                {"kind": Count.ARTICLES.value, "target_id": GLOBAL, "delta": ARTICLES},
            ],
        )
        created = {
            article_id: row["created_at"] for article_id, row in zip(article_ids, articles, strict=True)
        }
        await session.execute(
            insert(ArticleTag),
            [
                {"article_id": article_id, "tag_id": tag_ids[name], "article_created_at": created[article_id]}
                for index, article_id in enumerate(article_ids)
                for name in ("common", _topic(index))
            ],
        )
        favorites = [
            {"user_id": user_ids[READER + suffix], "article_id": article_id}
            for index, article_id in enumerate(article_ids)
            if _favorited_by_reader(index)
        ] + [
            {"user_id": viewer_id, "article_id": article_id}
            for index, article_id in enumerate(article_ids)
            if _favorited_by_viewer(index)
        ]
        for favorite in favorites:
            favorite["article_created_at"] = created[favorite["article_id"]]
        await session.execute(insert(Favorite), favorites)
        await session.execute(
            insert(Follow),
            [
                {"follower_id": viewer_id, "followee_id": user_ids[name + suffix]}
                for name in (PROLIFIC, "second", "third")
            ],
        )
        return [str(row["slug"]) for row in articles]

    return await context.db.write(work)


@pytest.fixture
async def corpus(client: httpx.AsyncClient, context: AppContext) -> Corpus:
    viewer = await register(client, "viewer")
    slugs = await _seed_corpus(context, viewer["username"])
    # The first request of a process opens a connection, and PostgreSQL's driver then asks the
    # server about itself; that must not be counted against the endpoint under test.
    assert (await client.get("/api/tags")).status_code == 200
    return Corpus(viewer=viewer, slugs=slugs)


async def _statements_for(
    client: httpx.AsyncClient, context: AppContext, url: str, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    with count_statements(context.db.engine) as counter:
        response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return counter.count, body


# --- article lists --------------------------------------------------------------------------------


async def test_the_corpus_is_consistent(client: httpx.AsyncClient, corpus: Corpus) -> None:
    tags = (await client.get("/api/tags")).json()["tags"]
    article = (
        await client.get(f"/api/articles/{corpus.slugs[15]}", headers=auth(corpus.viewer["token"]))
    ).json()

    assert tags == ["common", "topic0", "topic1", "topic2", "topic3", "topic4"]
    assert article["article"]["tagList"] == ["common", "topic0"]
    assert article["article"]["favorited"] is True
    assert article["article"]["favoritesCount"] == 1
    assert article["article"]["author"] == {
        "username": PROLIFIC,
        "bio": None,
        "image": None,
        "following": True,
    }


@pytest.mark.parametrize("caller", ["anonymous", "signed_in"])
@pytest.mark.parametrize(
    ("query", "matching"),
    [
        pytest.param("", ARTICLES, id="all"),
        pytest.param("tag=common&", ARTICLES, id="tag"),
        pytest.param(f"author={PROLIFIC}&", 70, id="author"),
        pytest.param(f"favorited={READER}&", 80, id="favorited"),
        pytest.param("search=article&", ARTICLES, id="search"),
        pytest.param("search=article&tag=topic1&", ARTICLES // 5, id="search and tag"),
    ],
)
async def test_article_list_statements_do_not_grow_with_the_page(
    client: httpx.AsyncClient, context: AppContext, corpus: Corpus, query: str, matching: int, caller: str
) -> None:
    headers = auth(corpus.viewer["token"]) if caller == "signed_in" else {}

    small_count, small = await _statements_for(client, context, f"/api/articles?{query}limit=20", headers)
    large_count, large = await _statements_for(client, context, f"/api/articles?{query}limit=100", headers)

    assert (len(small["articles"]), len(large["articles"])) == (20, matching)
    assert large["articlesCount"] == matching
    assert small_count == large_count == ARTICLE_LIST_STATEMENTS[caller]


async def test_feed_statements_do_not_grow_with_the_page(
    client: httpx.AsyncClient, context: AppContext, corpus: Corpus
) -> None:
    headers = auth(corpus.viewer["token"])

    small_count, small = await _statements_for(client, context, "/api/articles/feed?limit=20", headers)
    large_count, large = await _statements_for(client, context, "/api/articles/feed?limit=100", headers)

    assert (len(small["articles"]), len(large["articles"])) == (20, 90)
    assert large["articlesCount"] == 90
    assert small_count == large_count == ARTICLE_LIST_STATEMENTS["signed_in"]


LIST_URLS = {
    "anonymous": ["/api/articles", "/api/articles?tag=common", f"/api/articles?author={PROLIFIC}"],
    "signed_in": [f"/api/articles?favorited={READER}", "/api/articles/feed"],
}


@pytest.mark.parametrize("caller", ["anonymous", "signed_in"])
async def test_article_list_statements_do_not_grow_with_the_data(
    client: httpx.AsyncClient, context: AppContext, corpus: Corpus, caller: str
) -> None:
    headers = auth(corpus.viewer["token"]) if caller == "signed_in" else {}
    before = [(await _statements_for(client, context, url, headers))[0] for url in LIST_URLS[caller]]

    await _seed_corpus(context, corpus.viewer["username"], batch=1)
    after = [(await _statements_for(client, context, url, headers))[0] for url in LIST_URLS[caller]]
    _, everything = await _statements_for(client, context, "/api/articles", headers)

    expected = [ARTICLE_LIST_STATEMENTS[caller]] * len(LIST_URLS[caller])
    assert before == after == expected
    assert everything["articlesCount"] == 2 * ARTICLES


# --- comments -------------------------------------------------------------------------------------


async def _add_comments(context: AppContext, slug: str, count: int) -> None:
    """``count`` comments on the article, by five different authors (the viewer follows one)."""

    async def work(session: AsyncSession) -> None:
        article_id = await session.scalar(select(Article.id).where(Article.slug == slug))
        authors = list(
            await session.scalars(
                select(User.id).where(User.username.in_([PROLIFIC, *OTHER_AUTHORS, READER]))
            )
        )
        await session.execute(
            insert(Comment),
            [
                {
                    "article_id": article_id,
                    "author_id": authors[index % len(authors)],
                    "body": f"Comment {index}",
                    "created_at": EPOCH + timedelta(seconds=index),
                    "updated_at": EPOCH + timedelta(seconds=index),
                }
                for index in range(count)
            ],
        )

    await context.db.write(work)


@pytest.mark.parametrize("caller", ["anonymous", "signed_in"])
async def test_comment_list_statements_do_not_grow_with_the_comments(
    client: httpx.AsyncClient, context: AppContext, corpus: Corpus, caller: str
) -> None:
    headers = auth(corpus.viewer["token"]) if caller == "signed_in" else {}
    one, fifty = corpus.slugs[0], corpus.slugs[1]
    await _add_comments(context, one, 1)
    await _add_comments(context, fifty, 50)

    few_count, few = await _statements_for(client, context, f"/api/articles/{one}/comments", headers)
    many_count, many = await _statements_for(client, context, f"/api/articles/{fifty}/comments", headers)

    assert (len(few["comments"]), len(many["comments"])) == (1, 50)
    assert few_count == many_count == COMMENT_LIST_STATEMENTS[caller]
