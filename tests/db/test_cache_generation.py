"""The response cache's generation (``app/db/generation.py``), raised by the unit of work, on both
engines: while any process caches, each committed write in every process raises it before
``db.write`` returns (writers that had seen nobody caching learn it before the caching process serves
from memory); with no process caching, writes leave it alone; reads and rolled-back writes always
do; every process (here: a second engine) sees a raise at once; concurrent callers share one read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.generation import Stamp
from app.db.models import Counter
from app.services.context import AppContext
from config import Settings


async def _stamp(context: AppContext) -> Stamp:
    stamp = await context.db.generation.current()
    assert stamp is not None
    return stamp


async def _write(session: AsyncSession) -> None:
    await session.execute(text("UPDATE counters SET value = value WHERE name = 'articles'"))


@pytest.fixture
async def other_process(settings: Settings) -> AsyncIterator[AppContext]:
    """A second context (engine, pool, generation) on the same database, as another process has."""
    other = AppContext.from_settings(settings)
    yield other
    await other.close()


@pytest.fixture
async def caching_process(settings: Settings) -> AsyncIterator[AppContext]:
    """Another process with the response cache on, serving from memory (its lease seen by all)."""
    caching = AppContext.from_settings(settings.model_copy(update={"response_cache_enabled": True}))
    await caching.db.generation.start_caching()
    yield caching
    await caching.close()


async def test_with_no_process_caching_a_write_leaves_the_generation_alone(
    context: AppContext, other_process: AppContext
) -> None:
    await context.db.generation.presence.refresh()  # as a writing process polls in the background
    before = await _stamp(other_process)

    for _ in range(3):
        await context.db.write(_write)

    assert await _stamp(other_process) == before


async def test_a_writer_that_saw_nobody_caching_raises_once_a_process_caches(
    context: AppContext, other_process: AppContext, settings: Settings
) -> None:
    await context.db.generation.presence.refresh()  # nobody caches: its writes are exempt
    caching = AppContext.from_settings(settings.model_copy(update={"response_cache_enabled": True}))
    try:
        await caching.db.generation.start_caching()  # returns once it may serve from memory
        stamps = [await _stamp(caching)]
        for _ in range(3):  # from the very first write on, no second poll needed
            await context.db.write(_write)
            stamps.append(await _stamp(caching))
    finally:
        await caching.close()

    assert stamps == sorted(set(stamps))  # each write raised it
    assert len(stamps) == 4


async def test_while_a_process_caches_each_committed_write_raises_the_generation_for_every_process(
    context: AppContext, other_process: AppContext, caching_process: AppContext
) -> None:
    before = await _stamp(other_process)

    await context.db.write(_write)
    once = await _stamp(other_process)
    await caching_process.db.write(_write)  # the caching process's own writes too

    assert before < once < await _stamp(other_process)
    assert await _stamp(context) == await _stamp(other_process) == await _stamp(caching_process)


async def test_a_read_leaves_the_generation_alone(context: AppContext, caching_process: AppContext) -> None:
    before = await _stamp(context)

    await context.db.read(lambda session: session.scalar(select(Counter.value)))

    assert await _stamp(context) == before


async def test_a_write_that_rolls_back_leaves_the_generation_alone(
    context: AppContext, caching_process: AppContext
) -> None:
    before = await _stamp(context)

    async def failing(session: AsyncSession) -> None:
        await _write(session)
        raise RuntimeError("changed its mind")

    with pytest.raises(RuntimeError):
        await context.db.write(failing)

    assert await _stamp(context) == before


async def test_concurrent_callers_share_one_read_of_the_generation(context: AppContext) -> None:
    await _stamp(context)  # the pool's first connection is open
    checkouts = 0

    def count(*_: Any) -> None:
        nonlocal checkouts
        checkouts += 1

    event.listen(context.db.engine.sync_engine, "checkout", count)
    try:
        stamps = await asyncio.gather(*(context.db.generation.current() for _ in range(20)))
    finally:
        event.remove(context.db.engine.sync_engine, "checkout", count)

    assert len(set(stamps)) == 1
    assert checkouts == 1
