"""Event streams: which events a stream accepts, how many may be open, and the messages it sends."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from fastapi.sse import ServerSentEvent

from app.events.bus import EventBus, Signal, Subscription
from app.events.model import Event, EventType
from app.exceptions import TooManyRequests

Feed = Literal["global", "following"]
PUBLIC_EVENTS = frozenset(
    {
        EventType.COMMENT_CREATED,
        EventType.COMMENT_DELETED,
        EventType.FAVORITES_CHANGED,
        EventType.ARTICLE_PUBLISHED,
        EventType.ARTICLE_DELETED,
    }
)
ARTICLE_EVENTS = frozenset(
    {
        EventType.COMMENT_CREATED,
        EventType.COMMENT_DELETED,
        EventType.FAVORITES_CHANGED,
        EventType.ARTICLE_DELETED,
    }
)
RETRY_MILLISECONDS = 3000  # how soon a browser reconnects after losing the stream


@dataclass
class StreamScope:
    """What one stream wants to hear about, as its viewer may see it."""

    article: str | None = None
    feed: Feed | None = None
    viewer_id: int | None = None
    followees: set[int] = field(default_factory=set)

    def accepts(self, event: Event) -> bool:
        """Whether the stream queues ``event`` (decided when it is dispatched)."""
        if event.type is EventType.FOLLOWS_CHANGED:  # internal: refreshes this viewer's feed filter
            return self.viewer_id is not None and event.user_id == self.viewer_id
        if event.type not in PUBLIC_EVENTS or not event.reaches(self.viewer_id):
            return False  # e.g. about a hidden article, to anyone but its author
        if self.article is not None:
            return event.type in ARTICLE_EVENTS and event.slug == self.article
        if self.feed is not None:  # "following" is narrowed by `delivers`, once the follows are known
            return event.type is EventType.ARTICLE_PUBLISHED
        return True

    def delivers(self, event: Event) -> bool:
        """Whether a queued event is sent: decided when it is sent, so that a follow committed just
        before a publication (and queued before it) has reloaded the followees by then."""
        return self.feed != "following" or event.author_id in self.followees

    def ends_with(self, event: Event) -> bool:
        """An article's stream has nothing more to say once the article is gone for its viewer."""
        return self.article is not None and event.type is EventType.ARTICLE_DELETED


class StreamLimiter:
    """Caps the streams open in this process: in total, and per client. A signed-in client is its
    user (whichever address they come from); an anonymous one is its address. Signed-in streams do
    not count against their address: many readers may share one (an office, a carrier's NAT)."""

    def __init__(self, *, per_process: int, per_user: int, per_address: int) -> None:
        self.per_process = per_process
        self.per_user = per_user
        self.per_address = per_address
        self._open = 0
        self._by_client: Counter[int | str] = Counter()

    @property
    def open_streams(self) -> int:
        return self._open

    @contextlib.contextmanager
    def slot(self, user_id: int | None, *, address: str) -> Iterator[None]:
        """``address``: the client's, as the app determines it (behind trusted proxies, theirs)."""
        if self._open >= self.per_process:
            raise TooManyRequests(
                "this server has too many open event streams; try again shortly", retry_after=5
            )
        client: int | str = address if user_id is None else user_id
        limit, per = (self.per_address, "client address") if user_id is None else (self.per_user, "user")
        if self._by_client[client] >= limit:
            raise TooManyRequests(f"at most {limit} event streams per {per}", retry_after=5)
        self._open += 1
        self._by_client[client] += 1
        try:
            yield
        finally:
            self._open -= 1
            self._by_client[client] -= 1
            if not self._by_client[client]:
                del self._by_client[client]


def to_message(event: Event) -> ServerSentEvent:
    return ServerSentEvent(id=event.id, event=event.type.value, data=event.public())


async def messages(
    bus: EventBus,
    subscription: Subscription,
    missed: list[Event],
    *,
    heartbeat_seconds: float,
    on_follows_changed: Callable[[], Awaitable[None]] | None = None,
    deliver: Callable[[Event], bool] | None = None,
    ends_with: Callable[[Event], bool] | None = None,
) -> AsyncGenerator[ServerSentEvent]:
    """The stream: missed events first, then live ones, a heartbeat comment when idle, ``resync``
    when events were lost, and the end when the bus closes (shutdown) or after an event that
    ``ends_with`` says is the last. Internal events (follow changes) call ``on_follows_changed`` and
    are never sent; ``deliver`` has the last word on the others."""

    async def message(event: Event) -> ServerSentEvent | None:
        if event.type is EventType.FOLLOWS_CHANGED:
            if on_follows_changed is not None:
                await on_follows_changed()
            return None
        if deliver is not None and not deliver(event):
            return None
        return to_message(event)

    try:
        yield ServerSentEvent(comment="connected", retry=RETRY_MILLISECONDS)
        for event in missed:
            if (replayed := await message(event)) is not None:
                yield replayed
                if ends_with is not None and ends_with(event):
                    return
        while True:
            try:
                # Not wait_for: on 3.11 it wraps every wait in a new task (a cost per message per
                # stream) and can lose a result that arrives as the timeout fires.
                async with asyncio.timeout(heartbeat_seconds):
                    item = await subscription.next()
            except TimeoutError:
                yield ServerSentEvent(comment="heartbeat")
                continue
            if item is Signal.CLOSED:
                return
            if item is Signal.RESYNC:
                yield ServerSentEvent(event="resync", data={"type": "resync"})
            elif (live := await message(item)) is not None:
                yield live
                if ends_with is not None and ends_with(item):
                    return
    finally:
        bus.unsubscribe(subscription)
