"""The full-text index behind ``?search=``: the queries use it, and writes keep it exact.

PostgreSQL: on a seeded and analysed table of a few thousand articles, the plan of every statement
a search request runs reaches the rows through the GIN index (no ``enable_seqscan`` tricks).
SQLite: the statements search the FTS5 table, and FTS5's own integrity check (the index against
the articles it was built from) passes after every kind of write, including deletes cascaded
from a user. On both engines ``articles.tag_names`` mirrors the article's tags.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, event, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Article, User
from app.services.context import AppContext
from tests.helpers import auth, create_article, register

SEEDED_ARTICLES = 3000
WORDS = ("castle", "garden", "river", "engine", "violin", "harbour", "meadow", "lantern")


@contextmanager
def _captured_statements(context: AppContext) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements the app runs meanwhile, with their parameters."""
    captured: list[tuple[str, Any]] = []

    def before_execute(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        captured.append((statement, parameters))

    engine = context.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before_execute)
    try:
        yield captured
    finally:
        event.remove(engine, "before_cursor_execute", before_execute)


async def _plans_of_search_statements(
    client: httpx.AsyncClient, context: AppContext, explain: str, marker: str
) -> list[str]:
    """Runs a search request and returns the plan of each statement it ran that searches."""
    with _captured_statements(context) as captured:
        response = await client.get("/api/articles", params={"search": "dragon", "limit": 5})
    assert response.status_code == 200, response.text
    searching = [(statement, parameters) for statement, parameters in captured if marker in statement]
    plans = []
    async with context.db.engine.connect() as connection:
        for statement, parameters in searching:
            rows = await connection.exec_driver_sql(f"{explain} {statement}", parameters)
            plans.append("\n".join(str(row[-1]) for row in rows))
    return plans


# --- the index is used ----------------------------------------------------------------------------


async def _seed_postgresql(context: AppContext, author_id: int) -> None:
    """Thousands of articles on everyday words; one in 500 mentions a dragon. Then ANALYZE."""

    async def work(session: AsyncSession) -> None:
        await session.execute(
            text(
                """
                INSERT INTO articles (slug, title, description, body, author_id, created_at, updated_at)
                SELECT 'seeded-' || i,
                       'Seeded ' || split_part(:words, ' ', 1 + i % 8),
                       'About ' || split_part(:words, ' ', 1 + i % 7),
                       repeat(split_part(:words, ' ', 1 + i % 5) || ' ', 50)
                           || CASE WHEN i % 500 = 0 THEN ' a dragon appears' ELSE '' END,
                       :author_id, now() - i * interval '1 minute', now() - i * interval '1 minute'
                FROM generate_series(1, :count) AS i
                """
            ),
            {"words": " ".join(WORDS), "author_id": author_id, "count": SEEDED_ARTICLES},
        )

    await context.db.write(work)
    async with context.db.engine.connect() as connection:
        await connection.execute(text("ANALYZE articles"))
        await connection.commit()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgresql_search_statements_use_the_gin_index(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    author = await register(client)
    author_id = await context.db.read(
        lambda session: session.scalar(select(User.id).where(User.username == author["username"]))
    )
    await _seed_postgresql(context, author_id)

    plans = await _plans_of_search_statements(client, context, "EXPLAIN", "@@")

    assert len(plans) == 1, plans  # one statement: the total and the page
    (plan,) = plans
    assert plan.count("Bitmap Index Scan on ix_articles_search_vector") == 2, plan  # total, page
    assert "Seq Scan on articles" not in plan, plan


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_search_statements_use_the_fts5_table(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    author = await register(client)
    await create_article(client, author["token"], title="Dragon")

    plans = await _plans_of_search_statements(client, context, "EXPLAIN QUERY PLAN", "MATCH")

    assert len(plans) == 1, plans  # one statement: the total and the page
    (plan,) = plans
    assert plan.count("SCAN articles_fts VIRTUAL TABLE INDEX") >= 2, plan  # total, page
    assert "SCAN articles\n" not in f"{plan}\n", plan


# --- writes keep it exact -------------------------------------------------------------------------


async def _fts5_integrity_check(context: AppContext) -> None:
    """Raises unless the FTS5 index holds exactly the current text of every article."""

    async def work(session: AsyncSession) -> None:
        await session.execute(
            text("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")
        )

    await context.db.write(work)


async def _indexed_rows(context: AppContext) -> int:
    async def work(session: AsyncSession) -> int:
        return int(await session.scalar(text("SELECT count(*) FROM articles_fts_docsize")) or 0)

    return await context.db.read(work)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_sqlite_index_stays_exact_through_every_write(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    author, other = await register(client), await register(client)
    token = auth(author["token"])
    kept = await create_article(client, author["token"], title="Dragon", tags=["myth", "zoo"])
    changed = await create_article(client, author["token"], title="Griffin", body="Wings")
    gone = await create_article(client, author["token"], title="Phoenix")
    await create_article(client, other["token"], title="Unicorn")
    await _fts5_integrity_check(context)

    update = {"article": {"title": "Hydra", "body": "Heads", "tagList": ["myth"]}}
    assert (
        await client.put(f"/api/articles/{changed['slug']}", json=update, headers=token)
    ).status_code == 200
    assert (await client.post(f"/api/articles/{kept['slug']}/favorite", headers=token)).status_code == 200
    assert (await client.delete(f"/api/articles/{gone['slug']}", headers=token)).status_code == 204
    await _fts5_integrity_check(context)
    assert await _indexed_rows(context) == 3

    async def delete_other(session: AsyncSession) -> None:
        await session.execute(delete(User).where(User.username == other["username"]))

    await context.db.write(delete_other)  # cascades to their article
    await _fts5_integrity_check(context)
    assert await _indexed_rows(context) == 2


async def test_tag_names_mirror_the_tags_of_each_article(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    author = await register(client)
    token = auth(author["token"])
    tagged = await create_article(client, author["token"], title="One", tags=["myth", "zoo", "dragons"])
    retagged = await create_article(client, author["token"], title="Two", tags=["myth"])
    untagged = await create_article(client, author["token"], title="Three", tags=["zoo"])
    for slug, tags in ((retagged["slug"], ["griffins", "myth"]), (untagged["slug"], [])):
        response = await client.put(
            f"/api/articles/{slug}", json={"article": {"tagList": tags}}, headers=token
        )
        assert response.status_code == 200

    async def work(session: AsyncSession) -> dict[str, set[str]]:
        rows = await session.execute(select(Article.slug, Article.tag_names))
        return {slug: set(names.split()) for slug, names in rows}

    assert await context.db.read(work) == {
        tagged["slug"]: {"dragons", "myth", "zoo"},
        retagged["slug"]: {"griffins", "myth"},
        untagged["slug"]: set(),
    }
