"""Parallel guesses against the failed-login limit, made deterministic.

``HeldPasswordChecks`` holds every password check of an app at a gate until the test opens it, so
a burst of requests can be made to overlap completely: each either waits inside its password check
or has already been answered. That is the moment a limit that only tests its budget up front (and
counts a failure afterwards) lets every guess through, and a limit that reserves the attempt first
has let through at most its budget.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import httpx
from fastapi import FastAPI

from app.services.context import AppContext

SETTLE_TIMEOUT_SECONDS = 30  # generous: only to turn a hang into a failure on a shared machine


class HeldPasswordChecks:
    """Replaces the apps' password check with one that waits until ``release()``."""

    def __init__(self, *applications: FastAPI) -> None:
        self.waiting = 0
        self._open = asyncio.Event()
        self._changed = asyncio.Event()  # set whenever a check starts waiting or a request is answered
        for application in applications:
            context: AppContext = application.state.context
            self._hold(context)

    def _hold(self, context: AppContext) -> None:
        verify = context.passwords.verify

        async def held_verify(password_hash: str | None, password: str) -> bool:
            self.waiting += 1
            self._changed.set()
            await self._open.wait()
            return await verify(password_hash, password)

        context.passwords.verify = held_verify  # type: ignore[method-assign]

    def release(self) -> None:
        self._open.set()

    async def settled(self, tasks: Sequence[asyncio.Task[httpx.Response]], *, held: int = 0) -> None:
        """Waits until each of ``tasks`` is answered or waiting at the gate (``held`` were
        already waiting there before these tasks started)."""
        for task in tasks:
            task.add_done_callback(lambda _: self._changed.set())
        async with asyncio.timeout(SETTLE_TIMEOUT_SECONDS):
            while sum(task.done() for task in tasks) + self.waiting - held < len(tasks):
                self._changed.clear()
                await self._changed.wait()


Attempt = Callable[[int], Awaitable[httpx.Response]]


async def burst(gate: HeldPasswordChecks, attempt: Attempt, count: int) -> list[httpx.Response]:
    """``count`` attempts at once (``attempt(n)`` makes the n-th), all overlapping: answered or
    held at the gate before any password check finishes."""
    tasks = [asyncio.create_task(attempt(number)) for number in range(count)]
    await gate.settled(tasks)
    gate.release()
    return list(await asyncio.gather(*tasks))


async def burst_then_right_password(
    gate: HeldPasswordChecks, wrong: Attempt, right: Attempt, wrong_count: int
) -> tuple[list[httpx.Response], httpx.Response]:
    """``wrong_count`` wrong guesses at once, then, while they are still being checked, one with the
    right password. Returns the guesses' answers and the right one's."""
    guesses = [asyncio.create_task(wrong(number)) for number in range(wrong_count)]
    await gate.settled(guesses)
    held = gate.waiting
    signing_in = asyncio.create_task(right(wrong_count))
    await gate.settled([signing_in], held=held)
    gate.release()
    return list(await asyncio.gather(*guesses)), await signing_in


def statuses(responses: Sequence[httpx.Response]) -> list[int]:
    return sorted(response.status_code for response in responses)
