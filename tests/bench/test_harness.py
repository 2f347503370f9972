"""The benchmark harness cannot rot: it seeds the tiny scale on each engine, with counters that agree
with the rows, and measures one endpoint under wrk for a second (a measurement, never asserted on
speed: only that requests were served without errors, at the pinned statement count); the write
scenarios run as many writers without errors, beside the write ceiling, a read gets its data ceiling,
and afterwards the data is as seeded (every account the run made erased, counters exact).
"""

from __future__ import annotations

import asyncio

import httpx
from rich.console import Console

from app.bench import seeding
from app.bench.dataset import Dataset, slug, tag_name, username
from app.bench.runner import Options, run
from app.bench.scales import PROLIFIC_USER, SCALES
from app.main import create_app
from tests.conftest import make_settings

TINY = SCALES["tiny"]


def _ignore_progress(_table: str, _rows: int, _total: int) -> None:
    return None


async def _get(database_url: str, path: str) -> dict[str, object]:
    app = create_app(make_settings(database_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.get(path)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_seeding_writes_the_scale_once_with_counts_that_match_the_rows(database_url: str) -> None:
    dataset = Dataset(TINY)
    prolific_articles = sum(1 for author in dataset._authors[1:] if author == PROLIFIC_USER)

    seeded = seeding.ensure_seeded(database_url, TINY, _ignore_progress)
    seeded_again = seeding.ensure_seeded(database_url, TINY, _ignore_progress)
    everything = asyncio.run(_get(database_url, "/api/articles?limit=1"))
    by_author = asyncio.run(_get(database_url, f"/api/articles?author={username(PROLIFIC_USER)}&limit=100"))
    tags = asyncio.run(_get(database_url, "/api/tags"))

    assert (seeded, seeded_again) == (True, False)
    assert everything["articlesCount"] == TINY.articles
    assert by_author["articlesCount"] == prolific_articles == len(by_author["articles"])  # type: ignore[arg-type]
    assert tags["tags"][0] == tag_name(1)  # type: ignore[index]


def test_a_short_run_serves_an_endpoint_without_errors(database_url: str) -> None:
    options = Options(
        scale=TINY, database_url=database_url, duration=1, warmup=0, endpoints=("list",), ceiling=False
    )

    report = run(options, Console(quiet=True))

    [row] = report.rows
    assert (row.endpoint, row.errors, row.statements) == ("list", 0, 1)
    assert row.requests > 0
    assert report.meta["scale"] == "tiny"


def test_a_cached_run_measures_each_anonymous_read_again_below_it(database_url: str) -> None:
    options = Options(
        scale=TINY,
        database_url=database_url,
        duration=1,
        warmup=0,
        endpoints=("list", "list signed in"),
        ceiling=False,
        cache=True,
    )

    report = run(options, Console(quiet=True))

    assert [(row.endpoint, row.errors) for row in report.rows] == [
        ("list", 0),
        ("list (cached)", 0),
        ("list signed in", 0),
    ]
    assert all(row.requests > 0 for row in report.rows)


def test_the_write_scenarios_and_the_ceilings_leave_the_data_as_seeded(database_url: str) -> None:
    seeding.ensure_seeded(database_url, TINY, _ignore_progress)
    busy = slug(TINY.articles)
    before = asyncio.run(_get(database_url, f"/api/articles/{busy}"))
    options = Options(
        scale=TINY,
        database_url=database_url,
        duration=1,
        warmup=0,
        endpoints=("list", "favorite hot", "favorite spread", "create same tag", "register"),
    )

    report = run(options, Console(quiet=True))

    rows = {row.endpoint: row for row in report.rows}
    assert list(rows) == ["list", "favorite hot", "favorite spread", "create same tag", "register"]
    assert all(row.errors == 0 and row.statements for row in rows.values())
    assert all(rows[name].requests > 0 for name in ("favorite hot", "favorite spread", "create same tag"))
    assert report.write_ceiling is not None
    assert (report.write_ceiling.errors, report.write_ceiling.requests > 0) == (0, True)
    assert rows["favorite hot"].data_ceiling == report.write_ceiling.requests_per_second
    [data_ceiling] = report.data_ceilings
    assert (data_ceiling.endpoint, data_ceiling.errors, data_ceiling.requests > 0) == ("list", 0, True)
    assert rows["list"].data_ceiling == data_ceiling.requests_per_second
    everything = asyncio.run(_get(database_url, "/api/articles?limit=1"))
    assert everything["articlesCount"] == TINY.articles  # the created articles went with their authors
    assert asyncio.run(_get(database_url, f"/api/articles/{busy}")) == before
