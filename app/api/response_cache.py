"""A response cache for anonymous reads of the public API (``RESPONSE_CACHE_ENABLED``).

Only ``GET`` without ``Authorization`` of exactly these paths: the article list (any query),
an article, its comments, the tags, a profile; never the feed, the caller's account, event streams or
anything else. Only a complete ``200`` JSON answer in one body message is kept: the body and the
app's own headers, under the path and the query string's exact bytes. The middleware sits inside
the request-id, security-header, allowed-host and CORS middleware, which add their headers to a
cached answer as to any other, and outside routing, so a hit costs one read of the generation.

An answer is served only if it was stored under the database's current generation, read before the
app ran (see ``app/db/generation.py``): after a write through any process, no process serves what
was read before it. If the generation cannot be read, the request runs uncached. Entries also
expire after ``RESPONSE_CACHE_TTL_SECONDS`` (bounding staleness from writes made outside the app,
e.g. a restore), and the least recently used go beyond ``RESPONSE_CACHE_MAX_ENTRIES``.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db.generation import Generation, Stamp

CACHEABLE_PATH = re.compile(
    r"/api/(?:tags|profiles/[^/]+|articles(?:/(?!feed\Z)[^/]+)?|articles/[^/]+/comments)"
)
Key = tuple[str, bytes]  # path, raw query string
Headers = list[tuple[bytes, bytes]]

# Lookup results, as counted by the metrics: served from the cache; answered by the app; answered
# by the app because the generation could not be read.
HIT, MISS, UNAVAILABLE = "hit", "miss", "unavailable"


@dataclass(frozen=True, slots=True)
class Entry:
    stamp: Stamp
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    expires_at: float


class ResponseCache:
    """Answers by key, each valid under one stamp until it expires; least recently used go first."""

    def __init__(
        self,
        *,
        max_entries: int,
        ttl_seconds: float,
        max_body_bytes: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self.max_body_bytes = max_body_bytes
        self._clock = clock
        self._entries: OrderedDict[Key, Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Key, stamp: Stamp) -> Entry | None:
        """The answer stored under exactly ``stamp`` that has not expired, if any."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.stamp != stamp or entry.expires_at <= self._clock():
            if entry.stamp <= stamp:  # a newer one (a slower request's) stays for its readers
                del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: Key, stamp: Stamp, headers: Headers, body: bytes) -> None:
        """Keep an answer read under ``stamp`` (unless one stored under a newer stamp is there)."""
        if len(body) > self.max_body_bytes:
            return
        current = self._entries.get(key)
        if current is not None and current.stamp > stamp:
            return
        self._entries[key] = Entry(stamp, tuple(headers), body, self._clock() + self.ttl_seconds)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


def _ignore(_result: str) -> None:
    pass


def _anonymous(headers: list[tuple[bytes, bytes]]) -> bool:
    return not any(name == b"authorization" for name, _ in headers)


def _storable(start: Message) -> bool:
    """A 200 JSON answer that sets no cookie."""
    if start["status"] != 200:
        return False
    json = False
    for name, value in start.get("headers", []):
        if name == b"set-cookie":
            return False
        if name == b"content-type":
            json = value.startswith(b"application/json")
    return json


class ResponseCacheMiddleware:
    """Serves anonymous API reads from a :class:`ResponseCache` while the generation is unchanged."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        cache: ResponseCache,
        generation: Callable[[], Generation],
        observe: Callable[[str], None] | None = None,
    ) -> None:
        self.app = app
        self.cache = cache
        self._generation = generation
        self._observe = observe or _ignore

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not CACHEABLE_PATH.fullmatch(scope["path"])
            or not _anonymous(scope["headers"])
        ):
            await self.app(scope, receive, send)
            return
        stamp = await self._generation().current()  # before the app reads anything
        if stamp is None:
            self._observe(UNAVAILABLE)
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"])
        entry = self.cache.get(key, stamp)
        if entry is not None:
            self._observe(HIT)
            # Fresh lists: the outer middleware add their headers to the message's list in place.
            await send({"type": "http.response.start", "status": 200, "headers": list(entry.headers)})
            await send({"type": "http.response.body", "body": entry.body})
            return
        self._observe(MISS)
        await self._run_and_keep(scope, receive, send, key, stamp)

    async def _run_and_keep(self, scope: Scope, receive: Receive, send: Send, key: Key, stamp: Stamp) -> None:
        headers: Headers | None = None  # the app's own, while the answer is still storable
        messages = 0

        async def recording_send(message: Message) -> None:
            nonlocal headers, messages
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", [])) if _storable(message) else None
            elif message["type"] == "http.response.body":
                messages += 1
                complete = messages == 1 and not message.get("more_body", False)
                if headers is not None and complete:
                    self.cache.put(key, stamp, headers, bytes(message.get("body", b"")))
            await send(message)

        await self.app(scope, receive, recording_send)
