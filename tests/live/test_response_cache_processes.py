"""The response cache across processes: two real servers (``python -m app serve``) with the cache on,
on one database, SQLite file or PostgreSQL. B's cache is warm; a write goes through A; B's very next
anonymous read shows it, round after round. On SQLite two servers on one file are what
``conduit serve --workers 2`` runs, with ports of their own so that the test picks the process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import auth, create_article, register
from tests.servers import Server, running_servers

ROUNDS = 30


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[list[Server]]:
    with running_servers(database_url, tmp_path, count=2, RESPONSE_CACHE_ENABLED="true") as servers:
        yield servers


@pytest.fixture
async def a(servers: list[Server]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=servers[0].url, timeout=10) as client:
        yield client


@pytest.fixture
async def b(servers: list[Server]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=servers[1].url, timeout=10) as client:
        yield client


async def _lookups(client: httpx.AsyncClient) -> dict[str, float]:
    exposition = (await client.get("/metrics")).text
    return {
        sample.labels["result"]: sample.value
        for family in text_string_to_metric_families(exposition)
        if family.name == "conduit_response_cache_lookups"
        for sample in family.samples
        if sample.name.endswith("_total")
    }


async def _warm(client: httpx.AsyncClient, path: str) -> httpx.Response:
    await client.get(path)
    return await client.get(path)


async def test_a_write_through_one_process_is_read_at_once_through_another(
    a: httpx.AsyncClient, b: httpx.AsyncClient
) -> None:
    author, fan = await register(a), await register(a)
    slug = (await create_article(a, author["token"]))["slug"]
    article, comments = f"/api/articles/{slug}", f"/api/articles/{slug}/comments"

    for round_number in range(ROUNDS):
        favorited = round_number % 2 == 1  # as the previous round left it
        assert (await _warm(b, article)).json()["article"]["favoritesCount"] == int(favorited)
        assert len((await _warm(b, comments)).json()["comments"]) == round_number

        method = "DELETE" if favorited else "POST"
        response = await a.request(method, f"{article}/favorite", headers=auth(fan["token"]))
        assert response.status_code == 200
        comment = {"comment": {"body": f"round {round_number}"}}
        response = await a.post(comments, json=comment, headers=auth(fan["token"]))
        assert response.status_code == 200

        assert (await b.get(article)).json()["article"]["favoritesCount"] == int(not favorited)
        assert (await b.get(comments)).json()["comments"][0]["body"] == f"round {round_number}"

    # Per path: one miss and one hit to begin with, then in each round a miss after the writes and
    # two hits while warming, but the last. Plus the start-up probe's miss of /api/tags. (No lookup
    # found the generation unreadable: that result would be listed.)
    assert await _lookups(b) == {"hit": 2 * (2 * ROUNDS - 1), "miss": 2 * (ROUNDS + 1) + 1}
