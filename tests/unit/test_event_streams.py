"""Event streams without a server: which events a stream takes, the messages the stream generator
sends (replay, heartbeat, resync, internal follow changes, shutdown, a client going away), and the
limits on open streams."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncGenerator, AsyncIterator

import pytest
from fastapi.sse import ServerSentEvent

from app.events.bus import InProcessBus
from app.events.model import Audience, Event, EventType
from app.events.streams import RETRY_MILLISECONDS, StreamLimiter, StreamScope, messages
from app.exceptions import TooManyRequests

HEARTBEAT_SECONDS = 0.05
VIEWER_ID, ALICE_ID, BOB_ID = 1, 2, 3
ADDRESS, OTHER_ADDRESS = "203.0.113.7", "198.51.100.9"


def _bus(*, queue_size: int = 3) -> InProcessBus:
    return InProcessBus(queue_size=queue_size, retention=10)


def _comment(number: int, slug: str = "dragons") -> Event:
    return Event(type=EventType.COMMENT_CREATED, slug=slug, comment_id=number)


def _published(author_id: int, slug: str = "new") -> Event:
    return Event(
        type=EventType.ARTICLE_PUBLISHED, slug=slug, author=f"author{author_id}", author_id=author_id
    )


def _of_hidden(event: Event, author_id: int = ALICE_ID) -> Event:
    """``event`` as the writer addresses it when its article is hidden: to the author only."""
    return dataclasses.replace(event, author_id=author_id, audience=Audience.AUTHOR)


def _deleted(slug: str = "dragons", audience: Audience = Audience.PUBLIC) -> Event:
    return Event(type=EventType.ARTICLE_DELETED, slug=slug, author_id=ALICE_ID, audience=audience)


def _follows_changed(user_id: int = VIEWER_ID) -> Event:
    return Event(type=EventType.FOLLOWS_CHANGED, user_id=user_id)


@contextlib.asynccontextmanager
async def _stream(
    bus: InProcessBus,
    scope: StreamScope,
    *,
    last_event_id: str | None = None,
    reload_followees: set[int] | None = None,
) -> AsyncIterator[AsyncGenerator[ServerSentEvent]]:
    """The stream generator for ``scope``, past its "connected" comment; closed afterwards. When the
    viewer's follows change, the followees become ``reload_followees``, as a database read would say."""

    async def reload() -> None:
        if reload_followees is not None:
            scope.followees = set(reload_followees)

    subscription, missed = bus.subscribe(scope.accepts, last_event_id=last_event_id)
    stream = messages(
        bus,
        subscription,
        missed,
        heartbeat_seconds=HEARTBEAT_SECONDS,
        on_follows_changed=reload,
        deliver=scope.delivers,
        ends_with=scope.ends_with,
    )
    async with contextlib.aclosing(stream):
        connected = await _take(stream)
        assert connected.comment == "connected"
        yield stream


async def _take(stream: AsyncIterator[ServerSentEvent]) -> ServerSentEvent:
    return await asyncio.wait_for(anext(stream), timeout=1)


async def _rest(stream: AsyncIterator[ServerSentEvent]) -> list[ServerSentEvent]:
    return [message async for message in stream]


async def _take_event(stream: AsyncIterator[ServerSentEvent]) -> ServerSentEvent:
    """The next message that is not a comment (heartbeats are skipped)."""
    while (message := await _take(stream)).comment is not None:
        pass
    return message


# --- what a stream takes ------------------------------------------------------------------------


def _sent(scope: StreamScope, event: Event) -> bool:
    """Whether a stream of ``scope`` sends ``event``: queued when dispatched, then delivered."""
    return scope.accepts(event) and scope.delivers(event)


def test_an_article_stream_takes_comments_and_favorites_of_that_article_only() -> None:
    scope = StreamScope(article="dragons")

    assert _sent(scope, _comment(1, slug="dragons"))
    assert _sent(scope, Event(type=EventType.COMMENT_DELETED, slug="dragons", comment_id=1))
    assert _sent(scope, Event(type=EventType.FAVORITES_CHANGED, slug="dragons", favorites_count=2))
    assert not _sent(scope, _comment(1, slug="unicorns"))
    assert not _sent(scope, _published(ALICE_ID, slug="dragons"))


def test_the_global_feed_takes_every_publication_and_nothing_else() -> None:
    scope = StreamScope(feed="global")

    assert _sent(scope, _published(ALICE_ID))
    assert _sent(scope, _published(BOB_ID))
    assert not _sent(scope, _comment(1))
    assert not _sent(scope, Event(type=EventType.FAVORITES_CHANGED, slug="dragons", favorites_count=1))


def test_the_following_feed_sends_publications_by_followed_authors_only() -> None:
    scope = StreamScope(feed="following", viewer_id=VIEWER_ID, followees={ALICE_ID})

    assert _sent(scope, _published(ALICE_ID))
    assert not _sent(scope, _published(BOB_ID))
    assert not _sent(scope, _comment(1))


def test_a_stream_without_parameters_takes_every_public_event() -> None:
    scope = StreamScope()

    assert _sent(scope, _comment(1))
    assert _sent(scope, _published(ALICE_ID))
    assert _sent(scope, Event(type=EventType.FAVORITES_CHANGED, slug="x", favorites_count=1))


@pytest.mark.parametrize("scope", [StreamScope(), StreamScope(article="dragons")], ids=["all", "article"])
def test_events_of_a_hidden_article_reach_its_author_only(scope: StreamScope) -> None:
    comment, favorites = (
        _comment(1),
        Event(type=EventType.FAVORITES_CHANGED, slug="dragons", favorites_count=1),
    )

    for event in (_of_hidden(comment), _of_hidden(favorites), _deleted(audience=Audience.AUTHOR)):
        assert not _sent(dataclasses.replace(scope), event)  # anonymous
        assert not _sent(dataclasses.replace(scope, viewer_id=BOB_ID), event)
        assert _sent(dataclasses.replace(scope, viewer_id=ALICE_ID), event)


def test_hiding_an_article_tells_everyone_but_its_author_that_it_is_gone() -> None:
    hidden = _deleted(audience=Audience.OTHERS)

    assert _sent(StreamScope(), hidden)
    assert _sent(StreamScope(article="dragons", viewer_id=BOB_ID), hidden)
    assert not _sent(StreamScope(article="dragons", viewer_id=ALICE_ID), hidden)
    assert not _sent(StreamScope(article="unicorns"), hidden)
    assert not _sent(StreamScope(feed="global"), hidden)


def test_follow_changes_reach_only_the_viewers_own_streams() -> None:
    assert StreamScope(feed="following", viewer_id=VIEWER_ID).accepts(_follows_changed(VIEWER_ID))
    assert not StreamScope(feed="following", viewer_id=VIEWER_ID).accepts(_follows_changed(BOB_ID))
    assert not StreamScope().accepts(_follows_changed(VIEWER_ID))  # anonymous


# --- the messages -------------------------------------------------------------------------------


async def test_a_stream_opens_with_a_connected_comment_and_a_reconnection_delay() -> None:
    bus = _bus()
    subscription, missed = bus.subscribe(StreamScope().accepts)

    async with contextlib.aclosing(
        messages(bus, subscription, missed, heartbeat_seconds=HEARTBEAT_SECONDS)
    ) as stream:
        first = await _take(stream)

    assert first.comment == "connected"
    assert first.retry == RETRY_MILLISECONDS


async def test_an_event_is_sent_with_its_id_its_type_and_its_public_data() -> None:
    bus = _bus()
    event = _published(ALICE_ID, slug="dragons")

    async with _stream(bus, StreamScope(feed="global")) as stream:
        bus.dispatch(event)
        message = await _take_event(stream)

    assert message.id == event.id
    assert message.event == "article.published"
    assert message.data == {"type": "article.published", "slug": "dragons", "author": f"author{ALICE_ID}"}


async def test_events_are_sent_in_the_order_they_were_dispatched() -> None:
    bus = _bus(queue_size=10)
    events = [_comment(number) for number in range(5)]

    async with _stream(bus, StreamScope(article="dragons")) as stream:
        for event in events:
            bus.dispatch(event)
        sent = [await _take_event(stream) for _ in events]

    assert [message.id for message in sent] == [event.id for event in events]


async def test_an_idle_stream_sends_heartbeat_comments() -> None:
    bus = _bus()

    async with _stream(bus, StreamScope()) as stream:
        first, second = await _take(stream), await _take(stream)

    assert first.comment == second.comment == "heartbeat"
    assert first.event is None
    assert first.data is None


async def test_a_stream_that_fell_behind_sends_one_resync_and_then_carries_on() -> None:
    bus = _bus(queue_size=3)

    async with _stream(bus, StreamScope(article="dragons")) as stream:
        for number in range(10):  # the stream reads nothing meanwhile: its queue overflows
            bus.dispatch(_comment(number))
        resync = await _take_event(stream)
        later = _comment(99)
        bus.dispatch(later)
        after = await _take_event(stream)

    assert resync.event == "resync"
    assert resync.data == {"type": "resync"}
    assert after.id == later.id


async def test_a_reconnecting_stream_gets_the_missed_events_first_then_live_ones() -> None:
    bus = _bus()
    seen, missed_one, missed_other, elsewhere = _comment(1), _comment(2), _comment(3), _comment(4, "x")
    for event in (seen, missed_one, elsewhere, missed_other):
        bus.dispatch(event)
    live = _comment(5)

    async with _stream(bus, StreamScope(article="dragons"), last_event_id=seen.id) as stream:
        replayed = [await _take_event(stream), await _take_event(stream)]
        bus.dispatch(live)
        then = await _take_event(stream)

    assert [message.id for message in replayed] == [missed_one.id, missed_other.id]
    assert then.id == live.id


async def test_a_stream_reconnecting_with_an_unknown_id_is_told_to_resync_first() -> None:
    bus = _bus()
    bus.dispatch(_comment(1))

    async with _stream(bus, StreamScope(article="dragons"), last_event_id="long-gone") as stream:
        first = await _take_event(stream)

    assert first.event == "resync"


async def test_an_article_stream_ends_after_its_article_is_gone() -> None:
    bus = _bus()
    async with _stream(bus, StreamScope(article="dragons")) as stream:
        bus.dispatch(_deleted())

        gone = await _take_event(stream)
        rest = await _rest(stream)

    assert gone.event == "article.deleted"
    assert gone.data == {"type": "article.deleted", "slug": "dragons"}
    assert rest == []
    assert bus.subscriber_count == 0


async def test_a_stream_without_parameters_carries_on_after_an_article_is_gone() -> None:
    bus = _bus()
    async with _stream(bus, StreamScope()) as stream:
        bus.dispatch(_deleted())
        bus.dispatch(_comment(1, slug="unicorns"))

        events = [await _take_event(stream), await _take_event(stream)]

    assert [event.event for event in events] == ["article.deleted", "comment.created"]


async def test_a_follow_change_is_not_sent_but_reloads_whom_the_viewer_follows() -> None:
    bus = _bus()
    scope = StreamScope(feed="following", viewer_id=VIEWER_ID, followees={ALICE_ID})
    by_bob = _published(BOB_ID, slug="bobs")

    async with _stream(bus, scope, reload_followees={ALICE_ID, BOB_ID}) as stream:
        bus.dispatch(_follows_changed())
        bus.dispatch(by_bob)
        message = await _take_event(stream)

    assert message.id == by_bob.id  # the follow change itself was not sent
    assert scope.followees == {ALICE_ID, BOB_ID}


async def test_a_publication_right_after_a_follow_reaches_the_following_feed() -> None:
    """The follow and the publication are dispatched before the stream reads either: whom the viewer
    follows must be decided when the publication is sent, after the follow change before it."""
    bus = _bus()
    scope = StreamScope(feed="following", viewer_id=VIEWER_ID, followees=set())
    by_alice = _published(ALICE_ID)

    async with _stream(bus, scope, reload_followees={ALICE_ID}) as stream:
        bus.dispatch(_published(ALICE_ID, slug="before-the-follow"))
        bus.dispatch(_follows_changed())
        bus.dispatch(by_alice)
        message = await _take_event(stream)

    assert message.id == by_alice.id


async def test_a_replayed_follow_change_is_not_sent_to_the_client() -> None:
    bus = _bus()
    scope = StreamScope(feed="following", viewer_id=VIEWER_ID, followees={ALICE_ID})
    seen, by_alice = _published(ALICE_ID, slug="seen"), _published(ALICE_ID, slug="missed")
    for event in (seen, _follows_changed(), by_alice):
        bus.dispatch(event)

    async with _stream(bus, scope, last_event_id=seen.id, reload_followees={ALICE_ID}) as stream:
        message = await _take_event(stream)

    assert message.id == by_alice.id


async def test_the_other_streams_of_a_slow_one_keep_receiving_everything() -> None:
    bus = _bus(queue_size=2)
    events = [_comment(number) for number in range(6)]

    async with (
        _stream(bus, StreamScope(article="dragons")) as slow,
        _stream(bus, StreamScope(article="dragons")) as fast,
    ):
        received = []
        for event in events:
            bus.dispatch(event)
            received.append(await _take_event(fast))
        lagging = await _take_event(slow)

    assert [message.id for message in received] == [event.id for event in events]
    assert lagging.event == "resync"


# --- ending ---------------------------------------------------------------------------------------


async def test_close_streams_ends_the_stream_and_unsubscribes_it() -> None:
    bus = _bus()

    async with _stream(bus, StreamScope()) as stream:
        bus.close_streams()
        rest = await asyncio.wait_for(_rest(stream), timeout=1)

    assert rest == []
    assert bus.subscriber_count == 0


async def test_a_client_going_away_unsubscribes_its_stream() -> None:
    bus = _bus()
    subscription, missed = bus.subscribe(StreamScope().accepts)
    stream = messages(bus, subscription, missed, heartbeat_seconds=HEARTBEAT_SECONDS)
    await _take(stream)
    assert bus.subscriber_count == 1

    await stream.aclose()  # what the server does when the connection closes

    assert bus.subscriber_count == 0
    bus.dispatch(_comment(1))  # nobody left to receive it, nothing fails


# --- limits ---------------------------------------------------------------------------------------


def test_the_limiter_refuses_a_stream_beyond_the_per_process_limit() -> None:
    limiter = StreamLimiter(per_process=2, per_user=5, per_address=10)

    with limiter.slot(None, address=ADDRESS), limiter.slot(VIEWER_ID, address=ADDRESS):
        with pytest.raises(TooManyRequests) as refused, limiter.slot(ALICE_ID, address=ADDRESS):
            pass
        assert limiter.open_streams == 2

    assert refused.value.status_code == 429
    assert refused.value.retry_after > 0
    assert limiter.open_streams == 0


def test_the_limiter_refuses_a_user_beyond_their_own_limit_but_not_others() -> None:
    limiter = StreamLimiter(per_process=10, per_user=2, per_address=10)

    with limiter.slot(VIEWER_ID, address=ADDRESS), limiter.slot(VIEWER_ID, address=ADDRESS):
        with pytest.raises(TooManyRequests, match="at most 2"), limiter.slot(VIEWER_ID, address=ADDRESS):
            pass
        with (
            limiter.slot(ALICE_ID, address=ADDRESS),
            limiter.slot(None, address=ADDRESS),
            limiter.slot(None, address=ADDRESS),
            limiter.slot(None, address=ADDRESS),
        ):
            assert limiter.open_streams == 6


def test_the_limiter_refuses_an_address_beyond_its_anonymous_limit_but_not_other_addresses() -> None:
    limiter = StreamLimiter(per_process=10, per_user=5, per_address=2)

    with limiter.slot(None, address=ADDRESS), limiter.slot(None, address=ADDRESS):
        refusal = "at most 2 event streams per client address"
        with pytest.raises(TooManyRequests, match=refusal) as refused, limiter.slot(None, address=ADDRESS):
            pass
        with limiter.slot(None, address=OTHER_ADDRESS):
            assert limiter.open_streams == 3

    assert refused.value.status_code == 429
    assert refused.value.retry_after > 0
    with limiter.slot(None, address=ADDRESS), limiter.slot(None, address=ADDRESS):
        pass  # the slots came back


def test_signed_in_streams_count_against_their_user_not_their_address() -> None:
    limiter = StreamLimiter(per_process=10, per_user=2, per_address=1)

    with (
        limiter.slot(None, address=ADDRESS),
        limiter.slot(VIEWER_ID, address=ADDRESS),
        limiter.slot(VIEWER_ID, address=ADDRESS),
        limiter.slot(ALICE_ID, address=ADDRESS),
    ):
        assert limiter.open_streams == 4
        with pytest.raises(TooManyRequests, match="per client address"), limiter.slot(None, address=ADDRESS):
            pass


def test_a_closed_stream_gives_its_slot_back_even_after_an_error() -> None:
    limiter = StreamLimiter(per_process=1, per_user=1, per_address=10)

    with pytest.raises(RuntimeError), limiter.slot(VIEWER_ID, address=ADDRESS):
        raise RuntimeError("the stream broke")
    with limiter.slot(VIEWER_ID, address=ADDRESS):
        assert limiter.open_streams == 1

    assert limiter.open_streams == 0
