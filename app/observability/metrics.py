"""Prometheus metrics of one app instance, in a registry of its own (several apps in one process,
as in the tests, never share or clash).

Request counts and latencies are labelled by method, route template and status class; gauges for
the connection pool and the event streams are read from the running app when scraped. Each
process exposes its own figures (see "Operations" in docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy.pool import QueuePool
from starlette.types import Scope

from app.observability.exchange import RouteTemplates, method_label
from app.services.context import AppContext

LABELS = ("method", "route", "status")
# Seconds; API requests take milliseconds, a slow page or a retried transaction up to seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The registry, the request metrics, and the collectors that read the app when scraped."""

    def __init__(self, templates: RouteTemplates, context: Callable[[], AppContext | None]) -> None:
        self._templates = templates
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "conduit_http_requests", "HTTP requests answered.", LABELS, registry=self.registry
        )
        self.latency = Histogram(
            "conduit_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response (event streams: their lifetime).",
            LABELS,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.response_cache = Counter(
            "conduit_response_cache_lookups",
            "Anonymous API reads the response cache looked up, by result: hit, miss (the app answered), "
            "unavailable (the generation could not be read, or this process's cache lease is not yet "
            "seen by every writer: the app answered).",
            ("result",),
            registry=self.registry,
        )
        self.registry.register(RuntimeCollector(context))
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        labels = (method_label(scope), self._templates(scope), f"{status // 100}xx")
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def observe_response_cache(self, result: str) -> None:
        self.response_cache.labels(result).inc()

    def exposition(self) -> bytes:
        """Everything, in the Prometheus text format."""
        return generate_latest(self.registry)


POOL_SIZE = "conduit_db_pool_size"
POOL_CHECKED_OUT = "conduit_db_pool_checked_out"
POOL_OVERFLOW = "conduit_db_pool_overflow"
STREAMS_OPEN = "conduit_event_streams_open"
SUBSCRIBERS = "conduit_event_subscribers"
GAUGES = {
    POOL_SIZE: "Connections the pool keeps open.",
    POOL_CHECKED_OUT: "Pooled connections in use.",
    POOL_OVERFLOW: "Connections open beyond the pool size (at most DB_MAX_OVERFLOW).",
    STREAMS_OPEN: "Event streams (GET /api/events) open in this process.",
    SUBSCRIBERS: "Subscriptions to the event bus in this process.",
}


class RuntimeCollector:
    """Pool and event-stream gauges, read from the running app's context at scrape time (nothing
    before start-up or after shutdown)."""

    def __init__(self, context: Callable[[], AppContext | None]) -> None:
        self._context = context

    def describe(self) -> Iterator[Metric]:
        for name, documentation in GAUGES.items():
            yield GaugeMetricFamily(name, documentation)

    def collect(self) -> Iterator[Metric]:
        context = self._context()
        if context is None:
            return
        pool = context.db.engine.pool
        if isinstance(pool, QueuePool):  # SQLite in memory has a single static connection instead
            yield _gauge(POOL_SIZE, pool.size())
            yield _gauge(POOL_CHECKED_OUT, pool.checkedout())
            yield _gauge(POOL_OVERFLOW, max(pool.overflow(), 0))  # negative until the pool is full
        yield _gauge(STREAMS_OPEN, context.streams.open_streams)
        yield _gauge(SUBSCRIBERS, context.events.subscriber_count)


def _gauge(name: str, value: int) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, GAUGES[name], value=value)
