"""``GET /api/events`` in-process, on both engines (in-process bus on SQLite, LISTEN/NOTIFY on
PostgreSQL): what each kind of stream receives after API writes, who may open which stream, the
limits, replay, shutdown, and that a write that rolls back sends nothing.

Streams are read while open through :class:`tests.sse.StreamingASGITransport` (httpx's own ASGI
transport waits for the end of the body, which an event stream never reaches). "Nothing else was
sent" is checked by order, not by waiting: events reach a stream in commit order, so when the next
event is the one committed after the write under test, that write sent nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.events.model import Event, EventType
from app.services.context import AppContext
from app.web.cookies import SESSION_COOKIE
from config import Settings
from tests.conftest import make_settings
from tests.helpers import auth, create_article, register
from tests.sse import EventStream, StreamingASGITransport, open_events

HEARTBEAT_SECONDS = 0.2
STREAMS_PER_USER = 2


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(
        database_url,
        events_heartbeat_seconds=HEARTBEAT_SECONDS,
        events_max_streams_per_user=STREAMS_PER_USER,
    )


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=StreamingASGITransport(app), base_url="http://testserver") as http:
        yield http


async def _comment(client: httpx.AsyncClient, token: str, slug: str, body: str = "Nice!") -> dict[str, Any]:
    response = await client.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": body}}, headers=auth(token)
    )
    assert response.status_code == 200, response.text
    comment: dict[str, Any] = response.json()["comment"]
    return comment


async def _favorite(client: httpx.AsyncClient, token: str, slug: str, *, undo: bool = False) -> None:
    method = client.delete if undo else client.post
    response = await method(f"/api/articles/{slug}/favorite", headers=auth(token))
    assert response.status_code == 200, response.text


async def _follow(client: httpx.AsyncClient, token: str, username: str) -> None:
    response = await client.post(f"/api/profiles/{username}/follow", headers=auth(token))
    assert response.status_code == 200, response.text


async def _stage(context: AppContext, slug: str, *, then_fail: bool = False) -> None:
    """A write that stages an ``article.published`` event for ``slug``, then commits or fails."""

    async def work(session: AsyncSession) -> None:
        await session.execute(text("SELECT 1"))  # the transaction really reaches the database
        await context.events.stage(session, Event(type=EventType.ARTICLE_PUBLISHED, slug=slug))
        if then_fail:
            raise RuntimeError("the write fails after staging its event")

    await context.db.write(work)


# --- the stream itself ----------------------------------------------------------------------------


async def test_the_stream_is_an_uncached_event_stream_that_opens_with_a_retry_delay(
    client: httpx.AsyncClient,
) -> None:
    async with client.stream("GET", "/api/events") as response, EventStream(response) as stream:
        first = await stream.next_message()

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        assert "content-length" not in response.headers  # an endless body: chunked
    assert first is not None
    assert first.comments == ["connected"]
    assert first.retry == 3000


async def test_an_idle_stream_sends_heartbeat_comments(client: httpx.AsyncClient) -> None:
    async with open_events(client) as stream:
        await stream.next_message()  # "connected"
        heartbeat = await stream.next_message(within=HEARTBEAT_SECONDS * 10)

    assert heartbeat is not None
    assert heartbeat.comments == ["heartbeat"]


async def test_the_openapi_document_describes_the_event_stream(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()

    operation = document["paths"]["/api/events"]["get"]
    assert list(operation["responses"]["200"]["content"]) == ["text/event-stream"]
    assert {"401", "404", "429"} <= set(operation["responses"])
    assert list(operation["responses"]["429"]["content"]) == ["application/json"]
    assert {parameter["name"] for parameter in operation["parameters"]} == {
        "article",
        "feed",
        "last-event-id",
    }


# --- what an article stream receives --------------------------------------------------------------


async def test_a_comment_posted_through_the_api_arrives_on_the_articles_stream(
    client: httpx.AsyncClient,
) -> None:
    author, reader = await register(client), await register(client)
    article = await create_article(client, author["token"])

    async with open_events(client, article=article["slug"]) as stream:
        comment = await _comment(client, reader["token"], article["slug"])
        event = await stream.next_event()

    assert event.event == "comment.created"
    assert event.id
    assert event.json() == {"type": "comment.created", "slug": article["slug"], "commentId": comment["id"]}


async def test_a_deleted_comment_arrives_as_comment_deleted(client: httpx.AsyncClient) -> None:
    author = await register(client)
    article = await create_article(client, author["token"])

    async with open_events(client, article=article["slug"]) as stream:
        # Made while the stream is open: on PostgreSQL, events reach a stream shortly after the
        # writer's response, so one from before opening it could still be on its way.
        comment = await _comment(client, author["token"], article["slug"])
        created = await stream.next_event()
        response = await client.delete(
            f"/api/articles/{article['slug']}/comments/{comment['id']}", headers=auth(author["token"])
        )
        deleted = await stream.next_event()

    assert response.status_code == 204
    assert created.event == "comment.created"
    assert deleted.event == "comment.deleted"
    assert deleted.json() == {"type": "comment.deleted", "slug": article["slug"], "commentId": comment["id"]}


async def test_favorites_arrive_with_the_new_count_and_a_repeated_one_sends_nothing(
    client: httpx.AsyncClient,
) -> None:
    author, fan, other_fan = await register(client), await register(client), await register(client)
    article = await create_article(client, author["token"])

    async with open_events(client, article=article["slug"]) as stream:
        await _favorite(client, fan["token"], article["slug"])
        await _favorite(client, fan["token"], article["slug"])  # idempotent: nothing changes
        await _favorite(client, other_fan["token"], article["slug"])
        await _favorite(client, fan["token"], article["slug"], undo=True)
        events = [await stream.next_event() for _ in range(3)]

    assert [event.event for event in events] == ["article.favorites"] * 3
    assert [event.json()["favoritesCount"] for event in events] == [1, 2, 1]
    assert {event.json()["slug"] for event in events} == {article["slug"]}


async def test_an_article_stream_receives_nothing_about_other_articles(client: httpx.AsyncClient) -> None:
    author = await register(client)
    watched = await create_article(client, author["token"], title="Watched")
    other = await create_article(client, author["token"], title="Other")

    async with open_events(client, article=watched["slug"]) as stream:
        await _comment(client, author["token"], other["slug"])
        await _favorite(client, author["token"], other["slug"])
        await create_article(client, author["token"], title="Newer")
        comment = await _comment(client, author["token"], watched["slug"])
        event = await stream.next_event()

    assert event.json()["commentId"] == comment["id"]


async def test_an_unknown_article_is_refused_with_404_and_the_envelope(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/events", params={"article": "no-such-article"})

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert list(response.json()) == ["errors"]
    assert response.json()["errors"]["body"]


# --- feeds ------------------------------------------------------------------------------------------


async def test_the_global_feed_announces_every_new_article_without_internal_ids(
    client: httpx.AsyncClient,
) -> None:
    author = await register(client)

    async with open_events(client, feed="global") as stream:
        article = await create_article(client, author["token"])
        event = await stream.next_event()

    assert event.event == "article.published"
    assert event.json() == {
        "type": "article.published",
        "slug": article["slug"],
        "author": author["username"],
    }


async def test_the_following_feed_needs_a_signed_in_user(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/events", params={"feed": "following"})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Token"
    assert response.json()["errors"]["body"]


async def test_the_following_feed_announces_only_articles_by_followed_authors(
    client: httpx.AsyncClient,
) -> None:
    viewer, followed, stranger = await register(client), await register(client), await register(client)
    await _follow(client, viewer["token"], followed["username"])

    async with open_events(client, feed="following", headers=auth(viewer["token"])) as stream:
        await create_article(client, stranger["token"], title="By a stranger")
        article = await create_article(client, followed["token"], title="By someone followed")
        event = await stream.next_event()

    assert event.json()["slug"] == article["slug"]


async def test_following_someone_while_streaming_brings_their_next_article(client: httpx.AsyncClient) -> None:
    viewer, author = await register(client), await register(client)

    async with open_events(client, feed="following", headers=auth(viewer["token"])) as stream:
        await create_article(client, author["token"], title="Before the follow")
        await _follow(client, viewer["token"], author["username"])
        article = await create_article(client, author["token"], title="After the follow")
        event = await stream.next_event()

    assert event.json()["slug"] == article["slug"]
    assert "authorId" not in event.json()


async def test_the_session_cookie_signs_in_a_browsers_stream(client: httpx.AsyncClient) -> None:
    viewer, followed = await register(client), await register(client)
    await _follow(client, viewer["token"], followed["username"])
    cookie = {"Cookie": f"{SESSION_COOKIE}={viewer['token']}"}

    async with open_events(client, feed="following", headers=cookie) as stream:
        article = await create_article(client, followed["token"])
        event = await stream.next_event()

    assert event.json()["slug"] == article["slug"]


async def test_a_bad_session_cookie_is_anonymous(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/events", params={"feed": "following"}, headers={"Cookie": f"{SESSION_COOKIE}=not-a-token"}
    )

    assert response.status_code == 401


# --- only committed writes send events -------------------------------------------------------------


async def test_a_write_that_rolls_back_sends_no_event(client: httpx.AsyncClient, context: AppContext) -> None:
    async with open_events(client, feed="global") as stream:
        with pytest.raises(RuntimeError):
            await _stage(context, "rolled-back", then_fail=True)
        await _stage(context, "committed")
        event = await stream.next_event()

    assert event.json()["slug"] == "committed"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_write_retried_after_a_serialization_failure_sends_its_event_once(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    attempts = 0

    async def work(session: AsyncSession) -> None:
        nonlocal attempts
        attempts += 1
        await context.events.stage(session, Event(type=EventType.ARTICLE_PUBLISHED, slug="retried"))
        if attempts == 1:
            await session.execute(
                text("DO $$ BEGIN RAISE EXCEPTION 'clash' USING ERRCODE = 'serialization_failure'; END $$")
            )

    async with open_events(client, feed="global") as stream:
        await context.db.write(work)
        await _stage(context, "after")
        events = [await stream.next_event(), await stream.next_event()]

    assert attempts == 2
    assert [event.json()["slug"] for event in events] == ["retried", "after"]


# --- reconnecting -----------------------------------------------------------------------------------


async def test_reconnecting_with_last_event_id_replays_what_was_missed(client: httpx.AsyncClient) -> None:
    author = await register(client)
    article = await create_article(client, author["token"])
    slug = article["slug"]
    async with open_events(client, article=slug) as stream:
        await _comment(client, author["token"], slug, "seen")
        seen = await stream.next_event()
    assert seen.id is not None

    missed = [await _comment(client, author["token"], slug, body) for body in ("missed", "also missed")]
    async with open_events(client, article=slug, headers={"Last-Event-ID": seen.id}) as stream:
        replayed = [await stream.next_event(), await stream.next_event()]
        live = await _comment(client, author["token"], slug, "live")
        then = await stream.next_event()

    assert [event.json()["commentId"] for event in replayed] == [comment["id"] for comment in missed]
    assert then.json()["commentId"] == live["id"]


async def test_reconnecting_with_an_unknown_last_event_id_is_told_to_resync(
    client: httpx.AsyncClient,
) -> None:
    async with open_events(client, feed="global", headers={"Last-Event-ID": "0-unknown"}) as stream:
        event = await stream.next_event()

    assert event.event == "resync"
    assert event.json() == {"type": "resync"}


# --- limits, clients going away, shutdown ------------------------------------------------------------


async def test_a_user_beyond_the_stream_limit_is_told_to_retry_later(client: httpx.AsyncClient) -> None:
    viewer = await register(client)
    headers = auth(viewer["token"])

    async with open_events(client, headers=headers), open_events(client, headers=headers):
        refused = await client.get("/api/events", headers=headers)
        async with open_events(client):  # anonymous streams do not count against the user
            pass

    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert refused.json()["errors"]["body"] == [f"at most {STREAMS_PER_USER} event streams per user"]
    async with open_events(client, headers=headers), open_events(client, headers=headers):
        pass  # the slots came back when the streams closed


async def test_a_client_that_goes_away_leaves_no_subscription_behind(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    viewer = await register(client)

    async with open_events(client, feed="global", headers=auth(viewer["token"])):
        assert context.events.subscriber_count == 1
        assert context.streams.open_streams == 1

    assert context.events.subscriber_count == 0
    assert context.streams.open_streams == 0


async def test_shutting_down_ends_the_open_streams(client: httpx.AsyncClient, context: AppContext) -> None:
    async with open_events(client) as stream:
        context.events.close_streams()

        assert await stream.ended()
