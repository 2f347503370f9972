"""The rules that let a write skip raising the generation (``app/db/cache_presence.py``), on a
hand-driven clock: a writer is exempt only after a poll found no lease, and only for ``notice``
seconds after that poll was sent; a caching process serves from memory only ``notice`` (and a margin)
after its lease is first written, and stops before a lease it could not renew lapses.
"""

from __future__ import annotations

import asyncio

import pytest

from app.db.cache_presence import Lease, Presence

NOTICE = 3.0


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Lessor:
    """The database's side: whether a lease is live, and renewals that may fail."""

    def __init__(self) -> None:
        self.live = False
        self.failing = False
        self.renewals = 0

    async def poll(self) -> bool:
        if self.failing:
            raise ConnectionError("database unavailable")
        return self.live

    async def renew(self, _seconds: float) -> None:
        if self.failing:
            raise ConnectionError("database unavailable")
        self.renewals += 1


async def test_a_writer_must_raise_until_a_poll_answered_that_nobody_caches() -> None:
    clock, lessor = Clock(), Lessor()
    presence = Presence(lessor.poll, notice=NOTICE, clock=clock)

    assert presence.exempt_until() is None  # nothing known yet (a poll starts in the background)
    await presence.refresh()

    assert presence.exempt_until() == 100.0 + NOTICE


async def test_an_exemption_runs_out_notice_seconds_after_its_poll_was_sent() -> None:
    clock, lessor = Clock(), Lessor()
    presence = Presence(lessor.poll, notice=NOTICE, clock=clock)
    await presence.refresh()
    lessor.failing = True  # later polls fail: what was seen is not extended

    clock.now += NOTICE - 0.01
    exempt = presence.exempt_until()
    await asyncio.sleep(0)  # the background poll fails
    clock.now += 0.01

    assert exempt == 100.0 + NOTICE
    assert presence.exempt_until() is None


async def test_a_writer_that_saw_a_lease_raises() -> None:
    clock, lessor = Clock(), Lessor()
    lessor.live = True
    presence = Presence(lessor.poll, notice=NOTICE, clock=clock)

    await presence.refresh()

    assert presence.exempt_until() is None


async def test_a_caching_process_serves_only_once_every_exemption_has_run_out() -> None:
    clock, lessor = Clock(), Lessor()
    lease = Lease(lessor.renew, notice=NOTICE, clock=clock)

    await lease.renew()
    waiting = lease.active()
    clock.now += NOTICE  # a writer's poll sent just before the lease was written: still exempt
    still_waiting = lease.active()
    clock.now += NOTICE * 0.1

    assert (waiting, still_waiting, lease.active()) == (False, False, True)


async def test_a_lease_that_could_not_be_renewed_stops_serving_before_it_lapses_then_starts_over() -> None:
    clock, lessor = Clock(), Lessor()
    lease = Lease(lessor.renew, notice=NOTICE, clock=clock)
    await lease.renew()
    clock.now += NOTICE * 1.1
    assert lease.active()

    lessor.failing = True
    clock.now += lease.seconds - NOTICE * 2.5  # renewals fail all along
    await lease.renew()
    before_lapse = lease.active()
    clock.now += NOTICE - 0.01
    margin_left = lease.active()

    assert before_lapse
    assert not margin_left  # a notice before the lease could lapse in the database
    lessor.failing = False
    await lease.renew()  # a new lease: writers must see it first
    assert not lease.active()
    clock.now += NOTICE * 1.1
    assert lease.active()


@pytest.mark.parametrize("renewals", [1, 5])
async def test_a_kept_lease_stays_served_without_a_new_wait(renewals: int) -> None:
    clock, lessor = Clock(), Lessor()
    lease = Lease(lessor.renew, notice=NOTICE, clock=clock)
    await lease.renew()
    clock.now += NOTICE * 1.1

    for _ in range(renewals):
        clock.now += NOTICE
        await lease.renew()
        assert lease.active()
