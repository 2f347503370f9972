"""``/metrics``: request counts and latencies labelled by route template (never the raw path), method
and status class; connection-pool gauges read when scraped (both engines); gauges for open event
streams and bus subscribers; one registry per app; ``METRICS_ENABLED=false``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from app.main import create_app
from app.services.context import AppContext
from config import Settings
from tests.conftest import make_settings
from tests.helpers import auth, register
from tests.sse import StreamingASGITransport, open_events

REQUESTS = "conduit_http_requests_total"
LATENCY_COUNT = "conduit_http_request_duration_seconds_count"
LATENCY_BUCKET = "conduit_http_request_duration_seconds_bucket"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, db_pool_size=2, db_max_overflow=3)


@pytest.fixture
async def sqlite_app(sqlite_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(make_settings(sqlite_url))
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def sqlite_client(sqlite_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sqlite_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of ``/metrics``, by name and labels."""
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def routes_of(samples: dict[tuple[str, frozenset[tuple[str, str]]], float]) -> set[str]:
    return {dict(labels)["route"] for name, labels in samples if name == REQUESTS}


# --- requests -------------------------------------------------------------------------------------


async def test_the_exposition_is_prometheus_text_and_never_cached(sqlite_client: httpx.AsyncClient) -> None:
    response = await sqlite_client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert response.headers["cache-control"] == "no-store"
    assert "# TYPE conduit_http_requests_total counter" in response.text


async def test_requests_are_counted_per_route_template_never_per_path(
    sqlite_client: httpx.AsyncClient,
) -> None:
    for slug in ("first-slug", "second-slug"):
        assert (await sqlite_client.get(f"/api/articles/{slug}")).status_code == 404

    samples = await scrape(sqlite_client)

    labels = {"method": "GET", "route": "/api/articles/{slug}", "status": "4xx"}
    assert value(samples, REQUESTS, **labels) == 2
    assert routes_of(samples) == {"/api/articles/{slug}"}  # no series per slug


async def test_each_status_class_and_method_is_a_series_of_its_own(sqlite_client: httpx.AsyncClient) -> None:
    user = await register(sqlite_client)
    await sqlite_client.get("/api/user", headers=auth(user["token"]))
    await sqlite_client.get("/api/user")
    await sqlite_client.put("/api/user", json={"user": {"bio": "hello"}}, headers=auth(user["token"]))

    samples = await scrape(sqlite_client)

    assert value(samples, REQUESTS, method="POST", route="/api/users", status="2xx") == 1
    assert value(samples, REQUESTS, method="GET", route="/api/user", status="2xx") == 1
    assert value(samples, REQUESTS, method="GET", route="/api/user", status="4xx") == 1
    assert value(samples, REQUESTS, method="PUT", route="/api/user", status="2xx") == 1


async def test_paths_no_route_serves_are_counted_as_unmatched(sqlite_client: httpx.AsyncClient) -> None:
    for number in range(3):
        await sqlite_client.get(f"/no/such/page/{number}")

    samples = await scrape(sqlite_client)

    assert value(samples, REQUESTS, method="GET", route="unmatched", status="4xx") == 3
    assert routes_of(samples) == {"unmatched"}


async def test_static_files_are_counted_under_their_mount(sqlite_client: httpx.AsyncClient) -> None:
    assert (await sqlite_client.get("/static/css/conduit.css")).status_code == 200

    samples = await scrape(sqlite_client)

    assert value(samples, REQUESTS, method="GET", route="/static/{path}", status="2xx") == 1


async def test_a_made_up_method_is_labelled_other(sqlite_client: httpx.AsyncClient) -> None:
    await sqlite_client.request("BREW", "/api/tags")

    samples = await scrape(sqlite_client)

    assert value(samples, REQUESTS, method="OTHER", route="/api/tags", status="4xx") == 1


async def test_every_request_lands_in_the_latency_histogram(sqlite_client: httpx.AsyncClient) -> None:
    for _ in range(3):
        await sqlite_client.get("/api/tags")

    samples = await scrape(sqlite_client)

    labels = {"method": "GET", "route": "/api/tags", "status": "2xx"}
    assert value(samples, LATENCY_COUNT, **labels) == 3
    assert value(samples, LATENCY_BUCKET, le="+Inf", **labels) == 3
    assert value(samples, LATENCY_BUCKET, le="10.0", **labels) == 3


# --- gauges read when scraped -----------------------------------------------------------------------


async def test_pool_gauges_show_the_connections_in_use(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    idle = await scrape(client)
    async with AsyncExitStack() as held:
        for _ in range(3):  # the pool's 2, then one of the 3 overflow connections
            await held.enter_async_context(context.db.engine.connect())
        busy = await scrape(client)
    after = await scrape(client)

    assert value(idle, "conduit_db_pool_size") == 2
    assert value(idle, "conduit_db_pool_checked_out") == 0
    assert value(idle, "conduit_db_pool_overflow") == 0
    assert value(busy, "conduit_db_pool_checked_out") == 3
    assert value(busy, "conduit_db_pool_overflow") == 1
    assert value(after, "conduit_db_pool_checked_out") == 0


async def test_event_stream_gauges_follow_the_open_streams(sqlite_app: FastAPI) -> None:
    transport = StreamingASGITransport(sqlite_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        async with open_events(client, feed="global"), open_events(client):
            streaming = await scrape(client)
        closed = await scrape(client)

    assert value(streaming, "conduit_event_streams_open") == 2
    assert value(streaming, "conduit_event_subscribers") == 2
    assert value(closed, "conduit_event_streams_open") == 0
    assert value(closed, "conduit_event_subscribers") == 0
    # A stream is counted once it ends, with its whole life as its duration.
    assert value(closed, REQUESTS, method="GET", route="/api/events", status="2xx") == 2


# --- registries and the setting ---------------------------------------------------------------------


async def test_each_app_counts_only_its_own_requests(sqlite_url: str) -> None:
    first, second = create_app(make_settings(sqlite_url)), create_app(make_settings(sqlite_url))
    async with (
        LifespanManager(first),
        LifespanManager(second),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=first), base_url="http://testserver") as one,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=second), base_url="http://testserver") as other,
    ):
        await one.get("/api/tags")
        await one.get("/api/tags")
        await other.get("/api/tags")

        first_samples, second_samples = await scrape(one), await scrape(other)

    assert value(first_samples, REQUESTS, method="GET", route="/api/tags", status="2xx") == 2
    assert value(second_samples, REQUESTS, method="GET", route="/api/tags", status="2xx") == 1


async def test_metrics_can_be_turned_off(sqlite_url: str) -> None:
    app = create_app(make_settings(sqlite_url, metrics_enabled=False))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        response = await client.get("/metrics")
        still_serving = await client.get("/api/tags")

    assert response.status_code == 404
    assert "conduit_http_requests" not in response.text
    assert still_serving.status_code == 200
