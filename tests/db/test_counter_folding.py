"""Counter deltas and their folding (``app/db/counts.py``, ``app/db/folding.py``).

Writers of one counter no longer wait for each other: a favorite of a popular article goes through
while another writer's favorite of it is still uncommitted (PostgreSQL; before, both updated the
article's row and the second waited for the first's COMMIT). A fold moves every pending delta into
its base in one transaction without changing any total the API shows; two folds at once fold each
delta once; the app folds at start and in the background.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.folding import CounterFolder, fold
from app.db.models import Article, count_deltas
from app.db.repositories import favorites
from app.services.context import AppContext
from tests.helpers import auth, create_article, register

# A generous bound that proves "not blocked" without timing anything.
NOT_BLOCKED_SECONDS = 20


async def _pending(context: AppContext) -> int:
    async with context.db.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(count_deltas)) or 0)


async def _base(context: AppContext, slug: str) -> int:
    async with context.db.engine.connect() as connection:
        return int(await connection.scalar(select(Article.favorites_count).where(Article.slug == slug)) or 0)


async def _shown(client: httpx.AsyncClient, slug: str) -> int:
    count: int = (await client.get(f"/api/articles/{slug}")).json()["article"]["favoritesCount"]
    return count


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_favorite_does_not_wait_for_another_writers_uncommitted_favorite(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    author, first, second = await register(client), await register(client), await register(client)
    slug = (await create_article(client, author["token"]))["slug"]
    first_id = context.tokens.decode(first["token"]).user_id

    # The first reader's favorite, made as the app makes it, held uncommitted.
    async with AsyncSession(context.db.engine) as session:
        await session.begin()
        assert await favorites.favorite(session, user_id=first_id, slug=slug)
        answer = await asyncio.wait_for(
            client.post(f"/api/articles/{slug}/favorite", headers=auth(second["token"])),
            NOT_BLOCKED_SECONDS,
        )
        await session.rollback()

    assert answer.status_code == 200
    assert answer.json()["article"]["favoritesCount"] == 1  # its own; the other is not committed

    assert await _shown(client, slug) == 1


async def test_a_fold_moves_the_deltas_into_the_bases_and_changes_no_total(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    author = await register(client)
    slug = (await create_article(client, author["token"], tags=["myth"]))["slug"]
    readers = [await register(client) for _ in range(3)]
    for reader in readers:
        await client.post(f"/api/articles/{slug}/favorite", headers=auth(reader["token"]))
    await client.delete(f"/api/articles/{slug}/favorite", headers=auth(readers[0]["token"]))
    await fold(context.db.engine)  # whatever the background folder has not folded yet
    before = await _shown(client, slug)

    await client.post(f"/api/articles/{slug}/favorite", headers=auth(readers[0]["token"]))
    assert await _pending(context) > 0
    assert await fold(context.db.engine) > 0

    assert await _pending(context) == 0
    assert await _base(context, slug) == await _shown(client, slug) == before + 1 == 3
    tagged = (await client.get("/api/articles?tag=myth")).json()["articlesCount"]
    assert tagged == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_folds_at_once_fold_each_delta_once(client: httpx.AsyncClient, context: AppContext) -> None:
    author = await register(client)
    slug = (await create_article(client, author["token"]))["slug"]
    for _ in range(5):
        reader = await register(client)
        await client.post(f"/api/articles/{slug}/favorite", headers=auth(reader["token"]))

    # One holds the fold lock; the others (the background folder's way) leave the work to it.
    await asyncio.gather(*(fold(context.db.engine, wait=False) for _ in range(4)))

    assert await _pending(context) == 0
    assert await _base(context, slug) == await _shown(client, slug) == 5  # each delta folded once


async def test_the_folder_folds_at_start_and_in_the_background(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    author, reader = await register(client), await register(client)
    slug = (await create_article(client, author["token"]))["slug"]
    await client.post(f"/api/articles/{slug}/favorite", headers=auth(reader["token"]))
    async with context.db.engine.begin() as connection:  # a delta left by a process that stopped
        await connection.execute(
            text("INSERT INTO count_deltas (kind, target_id, delta) VALUES ('articles', 0, 0)")
        )

    folder = CounterFolder(context.db.engine, interval=0.05)
    await folder.start()  # folds at once
    try:
        assert await _pending(context) == 0
        other = await register(client)
        await client.post(f"/api/articles/{slug}/favorite", headers=auth(other["token"]))
        async with asyncio.timeout(NOT_BLOCKED_SECONDS):
            while await _pending(context):  # noqa: ASYNC110 - polling the database
                await asyncio.sleep(0.02)
    finally:
        await folder.stop()

    assert await _base(context, slug) == await _shown(client, slug) == 2
