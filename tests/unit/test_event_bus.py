"""The event bus without a server: fan-out in order, filters, bounded queues that turn into one
``resync``, replay after ``Last-Event-ID``, shutdown; and the events' wire and public forms."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from app.events.bus import Accept, InProcessBus, Signal, Subscription
from app.events.model import Audience, Event, EventType
from app.events.streams import StreamScope

QUEUE_SIZE = 3
AUTHOR_ID = 7


def _bus(*, queue_size: int = QUEUE_SIZE, retention: int = 10) -> InProcessBus:
    return InProcessBus(queue_size=queue_size, retention=retention)


def _comment(number: int, slug: str = "dragons") -> Event:
    return Event(type=EventType.COMMENT_CREATED, slug=slug, comment_id=number)


def _everything(_event: Event) -> bool:
    return True


def _queued(subscription: Subscription) -> list[Event | Signal]:
    """What the subscription holds right now, without waiting (and without taking it out)."""
    items: list[Event | Signal] = []
    while True:
        try:
            items.append(subscription._queue.get_nowait())
        except asyncio.QueueEmpty:
            break
    for item in items:
        subscription._queue.put_nowait(item)
    return items


async def _next(subscription: Subscription) -> Event | Signal:
    return await asyncio.wait_for(subscription.next(), timeout=1)


def _subscribe(bus: InProcessBus, accept: Accept = _everything) -> Subscription:
    subscription, missed = bus.subscribe(accept)
    assert missed == []
    return subscription


# --- fan-out ------------------------------------------------------------------------------------


async def test_every_subscriber_receives_the_events_in_the_order_they_were_dispatched() -> None:
    bus = _bus()
    first, second = _subscribe(bus), _subscribe(bus)
    events = [_comment(1), _comment(2), _comment(3)]

    for event in events:
        bus.dispatch(event)

    assert [await _next(first) for _ in events] == events
    assert [await _next(second) for _ in events] == events


async def test_a_subscriber_receives_only_the_events_it_accepts() -> None:
    bus = _bus()
    subscription = _subscribe(bus, lambda event: event.slug == "dragons")
    elsewhere, here = _comment(1, slug="unicorns"), _comment(2, slug="dragons")

    bus.dispatch(elsewhere)
    bus.dispatch(here)

    assert _queued(subscription) == [here]


async def test_an_unsubscribed_subscription_receives_nothing_more() -> None:
    bus = _bus()
    subscription = _subscribe(bus)

    bus.unsubscribe(subscription)
    bus.dispatch(_comment(1))

    assert bus.subscriber_count == 0
    assert _queued(subscription) == []


# --- bounded queues -----------------------------------------------------------------------------


async def test_a_full_queue_is_emptied_and_replaced_by_a_single_resync() -> None:
    bus = _bus()
    subscription = _subscribe(bus)

    for number in range(QUEUE_SIZE + 5):
        bus.dispatch(_comment(number))

    assert _queued(subscription) == [Signal.RESYNC]


async def test_events_flow_again_once_the_resync_has_been_read() -> None:
    bus = _bus()
    subscription = _subscribe(bus)
    for number in range(QUEUE_SIZE + 1):
        bus.dispatch(_comment(number))

    assert await _next(subscription) is Signal.RESYNC
    later = [_comment(100), _comment(101)]
    for event in later:
        bus.dispatch(event)

    assert [await _next(subscription), await _next(subscription)] == later
    assert _queued(subscription) == []


async def test_a_slow_subscriber_does_not_hold_back_a_fast_one() -> None:
    bus = _bus()
    slow, fast = _subscribe(bus), _subscribe(bus)
    events = [_comment(number) for number in range(QUEUE_SIZE * 4)]
    received: list[Event | Signal] = []

    for event in events:
        bus.dispatch(event)
        received.append(await _next(fast))  # the fast one keeps up; the slow one reads nothing

    assert received == events
    assert _queued(slow) == [Signal.RESYNC]


# --- Last-Event-ID ------------------------------------------------------------------------------


async def test_a_known_last_event_id_replays_exactly_the_accepted_events_after_it() -> None:
    bus = _bus()
    events = [_comment(1), _comment(2, slug="unicorns"), _comment(3), _comment(4)]
    for event in events:
        bus.dispatch(event)

    subscription, missed = bus.subscribe(lambda event: event.slug == "dragons", last_event_id=events[0].id)

    assert missed == [events[2], events[3]]
    assert _queued(subscription) == []


async def test_the_latest_event_id_replays_nothing() -> None:
    bus = _bus()
    events = [_comment(1), _comment(2)]
    for event in events:
        bus.dispatch(event)

    subscription, missed = bus.subscribe(_everything, last_event_id=events[-1].id)

    assert missed == []
    assert _queued(subscription) == []


async def test_an_unknown_last_event_id_starts_the_subscription_with_a_resync() -> None:
    bus = _bus()
    bus.dispatch(_comment(1))

    subscription, missed = bus.subscribe(_everything, last_event_id="not-an-event-id")

    assert missed == []
    assert _queued(subscription) == [Signal.RESYNC]


async def test_an_expired_last_event_id_starts_the_subscription_with_a_resync() -> None:
    bus = _bus(retention=3)
    events = [_comment(number) for number in range(5)]
    for event in events:
        bus.dispatch(event)

    subscription, missed = bus.subscribe(_everything, last_event_id=events[0].id)

    assert missed == []
    assert _queued(subscription) == [Signal.RESYNC]


async def test_replay_works_from_the_oldest_retained_event() -> None:
    bus = _bus(retention=3)
    events = [_comment(number) for number in range(5)]
    for event in events:
        bus.dispatch(event)

    _subscription, missed = bus.subscribe(_everything, last_event_id=events[2].id)

    assert missed == events[3:]


def _about(article_id: int, kind: EventType = EventType.COMMENT_CREATED, **fields: Any) -> Event:
    """An event about an article, as the services address it (its id and its author's)."""
    return Event(type=kind, article_id=article_id, author_id=AUTHOR_ID, **{"slug": "dragons", **fields})


async def test_once_an_article_is_gone_its_earlier_events_are_replayed_to_its_author_only() -> None:
    bus = _bus()
    first = _comment(0, slug="unicorns")
    before = [
        _about(1, comment_id=1),
        _about(1, EventType.FAVORITES_CHANGED, favorites_count=1),
        _about(1, comment_id=2, slug="renamed-dragons"),  # renamed meanwhile: still the same article
    ]
    hidden = _about(1, EventType.ARTICLE_DELETED, slug="renamed-dragons", audience=Audience.OTHERS)
    other = _about(2, comment_id=3, slug="unicorns")
    for event in (first, *before, hidden, other):
        bus.dispatch(event)

    _s, to_anyone = bus.subscribe(StreamScope().accepts, last_event_id=first.id)
    _s, to_the_author = bus.subscribe(StreamScope(viewer_id=AUTHOR_ID).accepts, last_event_id=first.id)

    assert to_anyone == [hidden, other]
    assert [event.id for event in to_the_author] == [event.id for event in (*before, other)]
    assert {event.audience for event in to_the_author[:3]} == {Audience.AUTHOR}


async def test_an_earlier_notice_that_an_article_is_gone_stays_as_it_was() -> None:
    bus = _bus()
    first = _comment(0, slug="unicorns")
    hidden = _about(1, EventType.ARTICLE_DELETED, audience=Audience.OTHERS)
    deleted = _about(1, EventType.ARTICLE_DELETED, audience=Audience.AUTHOR)
    for event in (first, hidden, deleted):
        bus.dispatch(event)

    _s, to_anyone = bus.subscribe(StreamScope().accepts, last_event_id=first.id)

    assert to_anyone == [hidden]


async def test_a_new_article_under_a_deleted_ones_slug_is_not_withdrawn_with_it() -> None:
    bus = _bus()
    first = _comment(0, slug="unicorns")
    old, new = _about(1, comment_id=1), _about(2, comment_id=2)  # same slug, another article
    for event in (first, old, new, _about(1, EventType.ARTICLE_DELETED)):
        bus.dispatch(event)

    _s, to_anyone = bus.subscribe(StreamScope().accepts, last_event_id=first.id)

    assert [event.comment_id for event in to_anyone] == [2, None]


# --- shutdown and lost connections ------------------------------------------------------------


async def test_close_streams_tells_every_subscriber_to_end_and_drops_what_was_queued() -> None:
    bus = _bus()
    first, second = _subscribe(bus), _subscribe(bus)
    bus.dispatch(_comment(1))

    bus.close_streams()

    assert _queued(first) == [Signal.CLOSED]
    assert _queued(second) == [Signal.CLOSED]


async def test_a_subscription_made_after_close_streams_ends_at_once() -> None:
    bus = _bus()
    bus.close_streams()

    subscription, missed = bus.subscribe(_everything, last_event_id=None)

    assert missed == []
    assert await _next(subscription) is Signal.CLOSED


async def test_stop_closes_the_streams() -> None:
    bus = _bus()
    subscription = _subscribe(bus)

    await bus.stop()

    assert await _next(subscription) is Signal.CLOSED


async def test_resync_all_tells_every_subscriber_and_forgets_the_retained_events() -> None:
    bus = _bus()
    first, second = _subscribe(bus), _subscribe(bus)
    old = _comment(1)
    bus.dispatch(old)

    bus.resync_all()

    assert _queued(first) == [Signal.RESYNC]
    assert _queued(second) == [Signal.RESYNC]
    reconnected, missed = bus.subscribe(_everything, last_event_id=old.id)
    assert missed == []
    assert _queued(reconnected) == [Signal.RESYNC]


# --- the events themselves ----------------------------------------------------------------------


def test_an_event_survives_the_json_round_trip_between_processes() -> None:
    event = Event(
        type=EventType.ARTICLE_PUBLISHED, slug="how-to-train", author="jake", author_id=7, user_id=None
    )

    copy = Event.from_json(event.to_json())

    assert copy == event
    assert copy.type is EventType.ARTICLE_PUBLISHED


def test_the_wire_form_is_compact_json_well_under_the_notify_limit() -> None:
    event = Event(type=EventType.ARTICLE_PUBLISHED, slug="s" * 300, author="a" * 100, author_id=1)

    payload = event.to_json()

    assert json.loads(payload)["type"] == "article.published"
    assert len(payload.encode()) < 8000


def test_the_public_form_has_no_internal_ids_and_no_empty_fields() -> None:
    published = Event(type=EventType.ARTICLE_PUBLISHED, slug="dragons", author="jake", author_id=7)
    follows = Event(type=EventType.FOLLOWS_CHANGED, user_id=3)
    favorites = Event(type=EventType.FAVORITES_CHANGED, slug="dragons", favorites_count=0)

    assert published.public() == {"type": "article.published", "slug": "dragons", "author": "jake"}
    assert follows.public() == {"type": "profile.follows"}
    assert favorites.public() == {"type": "article.favorites", "slug": "dragons", "favoritesCount": 0}


def test_the_audience_survives_the_round_trip_and_is_not_public() -> None:
    event = Event(
        type=EventType.COMMENT_CREATED, slug="dragons", comment_id=1, author_id=7, audience=Audience.AUTHOR
    )

    copy = Event.from_json(event.to_json())

    assert copy == event
    assert copy.audience is Audience.AUTHOR
    assert copy.public() == {"type": "comment.created", "slug": "dragons", "commentId": 1}


def test_an_event_from_a_process_that_sends_no_audience_is_public() -> None:
    payload = '{"type":"comment.created","slug":"dragons","comment_id":1,"id":"1-a"}'

    assert Event.from_json(payload).audience is Audience.PUBLIC


def test_every_event_gets_its_own_id() -> None:
    ids = {_comment(1).id for _ in range(1000)}

    assert len(ids) == 1000
