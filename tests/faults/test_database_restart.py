"""PostgreSQL restarted (``pg_ctl restart -m fast``) while clients read and write through a live
server: only requests in flight while the database was away fail, each with the 503 envelope; once
it is back, every request succeeds again without restarting the app (pooled connections that died
with the old server are replaced, and the request that finds one runs again on a new one); nothing
acknowledged is lost and the counters still agree with the rows. A restart while the app is idle
costs no request at all.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.faults.database import inconsistencies, missing_writes
from tests.faults.support import Restartable, is_unavailable_envelope, report
from tests.faults.workload import Workload

pytestmark = pytest.mark.load

CONCURRENCY = 8
LOAD_BEFORE_RESTART_SECONDS = 1.0
REQUESTS_AFTER_RESTART = 200  # answered after the database is back, before the run stops
WARM_UP_REQUESTS = 100  # enough for the pool to hold a connection per client


async def test_only_requests_during_a_database_restart_fail_and_then_every_request_succeeds(
    restartable: Restartable,
) -> None:
    async with httpx.AsyncClient(base_url=restartable.server.url, timeout=30) as client:
        load = Workload(client, concurrency=CONCURRENCY)
        await load.prepare()
        back_at: float | None = None
        answered_before_back = 0

        def enough() -> bool:
            return back_at is not None and len(load.outcomes) - answered_before_back >= REQUESTS_AFTER_RESTART

        running = asyncio.create_task(load.run(until=enough))
        await asyncio.sleep(LOAD_BEFORE_RESTART_SECONDS)
        down_at = time.monotonic()
        await asyncio.to_thread(restartable.cluster.restart)
        answered_before_back, back_at = len(load.outcomes), time.monotonic()
        await running

    failures = load.failures()
    after = [outcome for outcome in load.outcomes if outcome.started > back_at]
    summary = f"database restart under load: {back_at - down_at:.2f} s; answers {dict(load.statuses())}"
    print(f"\n{summary}")
    report(summary)
    assert failures, "no request saw the restart: the test did not test anything"
    assert {(outcome.status, outcome.transport_error) for outcome in failures} == {(503, "")}
    for outcome in failures:
        assert is_unavailable_envelope(outcome.body), outcome.body
        assert outcome.ended > down_at
        assert outcome.started < back_at, "a request that began after the database was back failed"
    assert len(after) >= REQUESTS_AFTER_RESTART - CONCURRENCY
    assert all(outcome.succeeded for outcome in after)
    assert restartable.server.process.poll() is None
    assert await inconsistencies(restartable.database_url) == {}
    assert await missing_writes(restartable.database_url, load.acknowledged) == {}


async def test_a_database_restart_while_the_app_is_idle_costs_no_request(restartable: Restartable) -> None:
    async with httpx.AsyncClient(base_url=restartable.server.url, timeout=30) as client:
        load = Workload(client, concurrency=CONCURRENCY)
        await load.prepare()
        await load.run(until=lambda: len(load.outcomes) >= WARM_UP_REQUESTS)
        warmed_up = len(load.outcomes)

        await asyncio.to_thread(restartable.cluster.restart)
        await load.run(until=lambda: len(load.outcomes) - warmed_up >= REQUESTS_AFTER_RESTART)

    print(f"\nanswers: {dict(load.statuses())}")
    assert load.failures() == []
    assert await inconsistencies(restartable.database_url) == {}
    assert await missing_writes(restartable.database_url, load.acknowledged) == {}
