"""Whether any process caches responses: what lets a write leave the generation alone.

Raising the generation (``app/db/generation.py``) only matters to processes that serve answers from
memory; with none, it would be a round trip per write for nothing. So a caching process holds a
*lease* in the database (the ``counters`` row ``response_cache_lease``: until when, in milliseconds
since the epoch on the database's clock), renewed every ``notice`` seconds, and every writing
process polls it. Processes of one deployment may disagree on ``RESPONSE_CACHE_ENABLED`` (a config
roll), so the rules hold for any mix:

- A writer may skip the raise only if a poll *answered before its transaction began* found no live
  lease, and only until ``notice`` seconds after that poll was *sent*; past that, or with no answer,
  or with a lease seen, it raises. Polls run in the background, at most every ``notice / 3`` seconds
  and only while the process writes, so an idle process costs nothing and a busy one one small read
  every second (with the default ``notice`` of 3 s).
- A caching process serves from memory only from ``notice`` seconds (plus a margin) after its lease
  was first written: any poll that missed the lease was sent before it, so every writer's exemption
  has run out by then. It stops a margin before its lease could lapse (a renewal failed), and after a
  lapse starts over: lease, then the wait.

So when a caching process serves an answer, every write committed since the answer was read has
raised the generation: read-your-writes across processes stays exactly as the generation promises.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

NAME = "response_cache_lease"  # the counters row
LEASE_NOTICES = 10  # a lease lasts this many notices; renewed every notice
WAIT_MARGIN = 1.1  # a caching process waits this many notices before it serves from memory

Clock = Callable[[], float]
logger = logging.getLogger(__name__)


class Presence:
    """A writer's knowledge of the lease: ``poll`` answers whether a live one exists."""

    def __init__(
        self, poll: Callable[[], Awaitable[bool]], *, notice: float, clock: Clock = time.monotonic
    ) -> None:
        self.notice = notice
        self._poll = poll
        self._clock = clock
        self._seen: tuple[float, bool] | None = (
            None  # (when the last answered poll was sent, a lease was live)
        )
        self._polling: asyncio.Task[None] | None = None

    def exempt_until(self) -> float | None:
        """Called as a write begins: the moment (on ``clock``) until which it may leave the generation
        alone, or ``None`` if it must raise it. Starts a poll in the background when due."""
        now, seen = self._clock(), self._seen
        if self._polling is None and (seen is None or now - seen[0] >= self.notice / 3):
            self._polling = asyncio.get_running_loop().create_task(self.refresh())
        if seen is None or seen[1]:
            return None
        until = seen[0] + self.notice
        return until if now < until else None

    async def close(self) -> None:
        """Wait for a poll in flight (it holds a pooled connection until it ends)."""
        if self._polling is not None:
            await asyncio.gather(self._polling, return_exceptions=True)

    async def refresh(self) -> None:
        """Poll now. A failed poll changes nothing: what was seen runs out by itself."""
        sent = self._clock()
        try:
            self._seen = (sent, await self._poll())
        except Exception as error:
            logger.warning("could not read the response cache lease: %s", type(error).__name__)
        finally:
            self._polling = None


class Lease:
    """A caching process's lease: ``renew`` extends it to the database's now plus ``seconds``."""

    def __init__(
        self, renew: Callable[[float], Awaitable[None]], *, notice: float, clock: Clock = time.monotonic
    ) -> None:
        self.notice = notice
        self.seconds = notice * LEASE_NOTICES
        self._renew = renew
        self._clock = clock
        self._serving_from: float | None = None  # when the current unbroken lease has been seen by all
        self._valid_until = 0.0  # a margin before the lease could lapse
        self._task: asyncio.Task[None] | None = None

    def active(self) -> bool:
        """Whether answers may be served from memory now."""
        now = self._clock()
        return self._serving_from is not None and self._serving_from <= now < self._valid_until

    async def start(self) -> None:
        """Take the lease and wait until every writer must have seen it, then keep it."""
        await self.renew()
        if self._serving_from is not None:
            await asyncio.sleep(max(0.0, self._serving_from - self._clock()))
        self._task = asyncio.get_running_loop().create_task(self._keep())

    async def renew(self) -> None:
        sent = self._clock()
        try:
            await self._renew(self.seconds)
        except Exception as error:
            logger.warning("could not renew the response cache lease: %s", type(error).__name__)
            return
        if sent >= self._valid_until:  # a new lease (or one that lapsed): writers must see it first
            self._serving_from = self._clock() + self.notice * WAIT_MARGIN
        self._valid_until = sent + self.seconds - self.notice

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._serving_from = None

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.notice)
            await self.renew()
