"""The event bus: staging events inside a transaction, and fanning them out to subscribers.

Subscribers get a bounded queue each. A subscriber that falls behind is not allowed to stall the
others: its queue is emptied and it is told to resync. A short retention of recent events lets a
reconnecting client (``Last-Event-ID``) receive what it missed, or a resync when that is too old.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import logging
from collections import deque
from collections.abc import Callable
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.database import after_commit
from app.events.model import Audience, Event, EventType

logger = logging.getLogger(__name__)

Accept = Callable[[Event], bool]


class Signal(Enum):
    """What a stream may find in its queue besides events."""

    RESYNC = "resync"  # events were lost for this subscriber: reload, then carry on
    CLOSED = "closed"  # the bus is shutting down: end the stream


class Subscription:
    """One stream's view of the bus: the events it accepts, in order, in a bounded queue."""

    def __init__(self, accept: Accept, *, queue_size: int) -> None:
        self.accept = accept
        self._queue: asyncio.Queue[Event | Signal] = asyncio.Queue(maxsize=queue_size)
        self._lagging = False

    def offer(self, event: Event) -> None:
        if self._lagging or not self.accept(event):
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.resync()

    def resync(self) -> None:
        """Drop what is queued and tell the client to reload (it missed events)."""
        self._drain()
        self._lagging = True
        self._queue.put_nowait(Signal.RESYNC)

    def close(self) -> None:
        self._drain()
        self._queue.put_nowait(Signal.CLOSED)

    async def next(self) -> Event | Signal:
        item = await self._queue.get()
        if item is Signal.RESYNC:
            self._lagging = False
        return item

    def _drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()


class EventBus(abc.ABC):
    """Fans events out to the subscribers of this process. Backends differ in how events travel."""

    def __init__(self, *, queue_size: int, retention: int) -> None:
        self._queue_size = queue_size
        self._subscribers: set[Subscription] = set()
        self._recent: deque[Event] = deque(maxlen=retention)
        self._closed = False

    @abc.abstractmethod
    async def stage(self, session: AsyncSession, event: Event) -> None:
        """Publish ``event`` when ``session``'s transaction commits; never if it rolls back."""

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Start receiving events (a backend with a connection opens it here)."""

    async def stop(self) -> None:
        """End every stream of this process and stop receiving."""
        self.close_streams()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def subscribe(
        self, accept: Accept, *, last_event_id: str | None = None
    ) -> tuple[Subscription, list[Event]]:
        """A new subscription, and the retained events after ``last_event_id`` that it accepts.

        If ``last_event_id`` is no longer retained, the subscription starts with a resync instead.
        """
        subscription = Subscription(accept, queue_size=self._queue_size)
        missed: list[Event] = []
        if self._closed:
            subscription.close()
        elif last_event_id is not None:
            ids = [event.id for event in self._recent]
            if last_event_id in ids:
                missed = [
                    event for event in list(self._recent)[ids.index(last_event_id) + 1 :] if accept(event)
                ]
            else:
                subscription.resync()
        self._subscribers.add(subscription)
        return subscription, missed

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    def close_streams(self) -> None:
        """Tell every stream to end (shutdown); new subscriptions end at once."""
        self._closed = True
        for subscription in list(self._subscribers):
            subscription.close()

    def resync_all(self) -> None:
        """Everyone may have missed events (e.g. the listener lost its connection)."""
        self._recent.clear()
        for subscription in list(self._subscribers):
            subscription.resync()

    def dispatch(self, event: Event) -> None:
        """Deliver an event that has been committed to this process's subscribers."""
        if event.type is EventType.ARTICLE_DELETED:
            self._withdraw_retained(event)
        self._recent.append(event)
        for subscription in list(self._subscribers):
            subscription.offer(event)

    def _withdraw_retained(self, deleted: Event) -> None:
        """The article is gone (deleted, or hidden by staff): its earlier events are replayed to its
        author only, never again to anyone else (earlier deletion notices stay as they were). Every
        process does the same when the deletion reaches it, in commit order, so all replay alike."""

        def withdrawn(event: Event) -> Event:
            if (
                event.article_id is None
                or event.article_id != deleted.article_id
                or event.type is EventType.ARTICLE_DELETED
                or event.audience is Audience.AUTHOR
            ):
                return event
            return dataclasses.replace(event, audience=Audience.AUTHOR, author_id=deleted.author_id)

        self._recent = deque(map(withdrawn, self._recent), maxlen=self._recent.maxlen)


class InProcessBus(EventBus):
    """One process: events go straight from the committing request to this process's streams."""

    async def stage(self, session: AsyncSession, event: Event) -> None:
        async def deliver() -> None:
            self.dispatch(event)

        after_commit(session, deliver)
