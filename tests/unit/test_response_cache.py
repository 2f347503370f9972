"""The response cache's parts without a database: which paths it may keep, its store (stamps, expiry,
the entry and body limits; a hand-driven clock) and the shared read of the generation."""

from __future__ import annotations

import asyncio
from typing import cast

import httpx
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.response_cache import CACHEABLE_PATH, HIT, MISS, ResponseCache, ResponseCacheMiddleware
from app.db.generation import Generation, SharedRead, Stamp

HEADERS = [(b"content-type", b"application/json")]
KEY = ("/api/tags", b"")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_cache(clock: Clock, *, max_entries: int = 10, ttl_seconds: float = 60.0) -> ResponseCache:
    return ResponseCache(max_entries=max_entries, ttl_seconds=ttl_seconds, max_body_bytes=100, clock=clock)


@pytest.mark.parametrize(
    "path",
    [
        "/api/articles",
        "/api/articles/how-to-train-your-dragon",
        "/api/articles/how-to-train-your-dragon/comments",
        "/api/articles/feed/comments",  # the comments of an article whose slug is "feed"
        "/api/tags",
        "/api/profiles/jake",
    ],
)
def test_the_public_reads_are_cacheable(path: str) -> None:
    assert CACHEABLE_PATH.fullmatch(path)


@pytest.mark.parametrize(
    "path",
    [
        "/api/articles/feed",
        "/api/articles/",
        "/api/articles/dragon/comments/1",
        "/api/articles/dragon/favorite",
        "/api/profiles/jake/follow",
        "/api/profiles/",
        "/api/tags/",
        "/api/user",
        "/api/user/export",
        "/api/users",
        "/api/events",
        "/api",
        "/articles",
        "/article/dragon",
        "/health/ready",
    ],
)
def test_nothing_else_is_cacheable(path: str) -> None:
    assert not CACHEABLE_PATH.fullmatch(path)


def test_an_answer_is_served_under_its_own_stamp_only() -> None:
    cache = make_cache(Clock())
    cache.put(KEY, (5, 0), HEADERS, b"{}")

    assert cache.get(KEY, (5, 0)) is not None
    assert cache.get(KEY, (5, 1)) is None  # a raise failed in this process since
    assert cache.get(KEY, (6, 0)) is None
    assert cache.get(KEY, (5, 0)) is None  # an older stamp than the current is dropped for good


def test_an_answer_from_a_slower_older_request_does_not_replace_a_newer_one() -> None:
    cache = make_cache(Clock())
    cache.put(KEY, (6, 0), HEADERS, b"new")

    cache.put(KEY, (5, 0), HEADERS, b"old")
    assert cache.get(KEY, (5, 0)) is None

    entry = cache.get(KEY, (6, 0))
    assert entry is not None
    assert entry.body == b"new"


def test_an_answer_expires_after_the_ttl() -> None:
    clock = Clock()
    cache = make_cache(clock, ttl_seconds=60)
    cache.put(KEY, (1, 0), HEADERS, b"{}")

    clock.now += 59.9
    assert cache.get(KEY, (1, 0)) is not None
    clock.now += 0.1
    assert cache.get(KEY, (1, 0)) is None
    assert len(cache) == 0


def test_the_least_recently_used_answer_goes_first() -> None:
    cache = make_cache(Clock(), max_entries=2)
    first, second, third = (("/api/articles", str(n).encode()) for n in range(3))
    cache.put(first, (1, 0), HEADERS, b"1")
    cache.put(second, (1, 0), HEADERS, b"2")
    assert cache.get(first, (1, 0)) is not None

    cache.put(third, (1, 0), HEADERS, b"3")

    assert len(cache) == 2
    assert cache.get(second, (1, 0)) is None
    assert cache.get(first, (1, 0)) is not None
    assert cache.get(third, (1, 0)) is not None


def test_a_body_over_the_limit_is_not_kept() -> None:
    cache = make_cache(Clock())

    cache.put(KEY, (1, 0), HEADERS, b"x" * 101)

    assert len(cache) == 0


class Source:
    """A generation that calls of the shared read see, each call held until released."""

    def __init__(self) -> None:
        self.value = 1
        self.calls = 0
        self.began = asyncio.Event()
        self.release = asyncio.Event()

    async def read(self) -> int:
        self.calls += 1
        self.began.set()
        value = self.value  # as of the moment the call began
        await self.release.wait()
        return value


async def test_callers_in_the_same_turn_share_one_read() -> None:
    source = Source()
    shared = SharedRead(source.read)

    callers = [asyncio.ensure_future(shared()) for _ in range(10)]
    source.release.set()

    assert await asyncio.gather(*callers) == [1] * 10
    assert source.calls == 1


async def test_a_caller_after_a_read_began_waits_for_a_read_of_its_own() -> None:
    source = Source()
    shared = SharedRead(source.read)
    early = asyncio.ensure_future(shared())
    await source.began.wait()
    source.value = 2  # a write raised the generation

    late = asyncio.ensure_future(shared())
    source.release.set()

    assert (await early, await late) == (1, 2)
    assert source.calls == 2


async def test_a_failed_read_answers_none_to_every_caller() -> None:
    async def broken() -> int:
        raise ConnectionError("database unavailable")

    shared = SharedRead(broken)

    assert list(await asyncio.gather(shared(), shared())) == [None, None]


class FixedGeneration:
    async def current(self) -> Stamp:
        return (1, 0)


def _answering(*messages: Message) -> ASGIApp:
    """An ASGI app that sends these messages, whatever the request."""

    async def app(_scope: Scope, _receive: Receive, send: Send) -> None:
        for message in messages:
            await send(message)

    return app


JSON_START = {"type": "http.response.start", "status": 200, "headers": HEADERS}
WHOLE_BODY = {"type": "http.response.body", "body": b"{}"}


@pytest.mark.parametrize(
    ("messages", "kept"),
    [
        pytest.param((JSON_START, WHOLE_BODY), True, id="a whole JSON answer"),
        pytest.param(
            ({**JSON_START, "headers": [*HEADERS, (b"set-cookie", b"seed=1")]}, WHOLE_BODY),
            False,
            id="one that sets a cookie",
        ),
        pytest.param(
            ({**JSON_START, "headers": [(b"content-type", b"text/html")]}, WHOLE_BODY), False, id="not JSON"
        ),
        pytest.param(({**JSON_START, "status": 203}, WHOLE_BODY), False, id="not 200"),
        pytest.param(
            (JSON_START, {**WHOLE_BODY, "more_body": True}, WHOLE_BODY), False, id="a streamed answer"
        ),
    ],
)
async def test_only_a_whole_json_200_without_a_cookie_is_kept(
    messages: tuple[Message, ...], kept: bool
) -> None:
    cache = make_cache(Clock())
    lookups: list[str] = []
    middleware = ResponseCacheMiddleware(
        _answering(*messages),
        cache=cache,
        generation=lambda: cast(Generation, FixedGeneration()),
        observe=lookups.append,
    )
    transport = httpx.ASGITransport(app=middleware)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        first = await client.get("/api/tags")
        second = await client.get("/api/tags")

    assert second.content == first.content
    assert (len(cache), lookups) == ((1, [MISS, HIT]) if kept else (0, [MISS, MISS]))
