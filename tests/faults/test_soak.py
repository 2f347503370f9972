"""Soak: a live server on PostgreSQL (rate limits off) under a steady mixed load of reads and writes
for ``SOAK_SECONDS`` (default 60) from a fixed number of clients, each sending its next request as
soon as the last is answered, so the rate is the highest this machine sustains at that concurrency.
Every request succeeds (no 5xx, no 4xx, no transport error), and afterwards the data holds: the
counters agree with the rows they count, nothing points nowhere, every acknowledged write is there.

The achieved rate is printed and shown in the terminal summary.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.faults.database import inconsistencies, missing_writes
from tests.faults.support import SERVER_SETTINGS, report
from tests.faults.workload import KINDS, Outcome, Workload
from tests.servers import Server, running_servers

pytestmark = pytest.mark.load

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
CONCURRENCY = 16


@pytest.fixture
def server(postgres_url: str, tmp_path: Path) -> Iterator[Server]:
    with running_servers(postgres_url, tmp_path, **SERVER_SETTINGS) as [running]:
        yield running


def _summary(load: Workload, seconds: float, *, server_cpu: float, client_cpu: float) -> str:
    latencies = sorted(outcome.ended - outcome.started for outcome in load.outcomes)
    p50, p99 = (statistics.quantiles(latencies, n=100)[index] * 1000 for index in (49, 98))
    kinds = ", ".join(f"{kind} {count}" for kind, count in load.counts().most_common())
    return (
        f"soak: {len(load.outcomes)} requests in {seconds:.1f} s = {len(load.outcomes) / seconds:.0f} req/s "
        f"at {load.concurrency} in flight (p50 {p50:.1f} ms, p99 {p99:.1f} ms); "
        f"CPU per request: server {server_cpu / len(load.outcomes) * 1000:.1f} ms, "
        f"this client {client_cpu / len(load.outcomes) * 1000:.1f} ms; "
        f"answers {dict(load.statuses())}; {kinds}"
    )


def _failed(outcomes: list[Outcome]) -> list[str]:
    return [f"{o.kind}: {o.status or o.transport_error} {o.body}"[:300] for o in outcomes]


async def test_sustained_mixed_load_answers_every_request_and_keeps_the_data_consistent(
    server: Server, postgres_url: str
) -> None:
    async with httpx.AsyncClient(
        base_url=server.url, timeout=30, limits=httpx.Limits(max_connections=CONCURRENCY)
    ) as client:
        load = Workload(client, concurrency=CONCURRENCY)
        await load.prepare()
        server_process = psutil.Process(server.process.pid)
        server_cpu, client_cpu = sum(server_process.cpu_times()[:2]), time.process_time()
        started = time.monotonic()
        deadline = started + SOAK_SECONDS
        await load.run(until=lambda: time.monotonic() >= deadline)
        elapsed = time.monotonic() - started
        server_cpu = sum(server_process.cpu_times()[:2]) - server_cpu
        client_cpu = time.process_time() - client_cpu

    summary = _summary(load, elapsed, server_cpu=server_cpu, client_cpu=client_cpu)
    print(f"\n{summary}")
    report(summary)
    assert _failed(load.failures()) == []
    assert await inconsistencies(postgres_url) == {}
    assert await missing_writes(postgres_url, load.acknowledged) == {}
    # The checks above looked at something: the run wrote, and every kind of request ran.
    assert load.acknowledged.articles
    assert load.acknowledged.comments
    assert set(load.counts()) == set(KINDS)
