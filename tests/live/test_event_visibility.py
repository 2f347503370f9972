"""Who may hear about what on ``GET /api/events``, on both engines (in-process bus on SQLite,
LISTEN/NOTIFY on PostgreSQL): nothing about a hidden article reaches anyone but its author, live or
replayed after ``Last-Event-ID``, and anonymous streams are capped per client address.

"Nothing else was sent" is checked by order, as in ``tests/api/test_events.py``: events reach a
stream in commit order, so everything a stream was sent about the writes under test has arrived
once the ``article.published`` of an article made after them (the marker) does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, text, update

from app.db.models import Article
from app.security.tokens import TokenClaims
from app.services import moderation
from app.services.context import AppContext
from config import Settings
from tests.admin.support import article_id, register_staff
from tests.conftest import make_settings
from tests.helpers import auth, create_article, register
from tests.servers import Server, running_servers
from tests.sse import WAIT_SECONDS, EventStream, Message, StreamingASGITransport, open_events

STREAMS_PER_ADDRESS = 2
ADDRESS, OTHER_ADDRESS = "203.0.113.7", "198.51.100.9"
TITLE, NEW_TITLE = "Moderated Marmalade", "Quietly Renamed Quince"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, events_max_streams_per_address=STREAMS_PER_ADDRESS)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = StreamingASGITransport(app, client=(ADDRESS, 123))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def elsewhere(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The same app, reached from another client address."""
    transport = StreamingASGITransport(app, client=(OTHER_ADDRESS, 123))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def staff(client: httpx.AsyncClient, context: AppContext) -> TokenClaims:
    member = await register_staff(client, context)
    return context.tokens.decode(member["token"])


async def _hide(context: AppContext, staff: TokenClaims, article: dict[str, Any]) -> None:
    assert await moderation.hide_articles(context, staff, [await article_id(context, article["slug"])]) == 1


async def _rename(client: httpx.AsyncClient, token: str, slug: str, title: str) -> str:
    response = await client.put(
        f"/api/articles/{slug}", json={"article": {"title": title}}, headers=auth(token)
    )
    assert response.status_code == 200, response.text
    new_slug: str = response.json()["article"]["slug"]
    return new_slug


async def _comment(client: httpx.AsyncClient, token: str, slug: str) -> int:
    response = await client.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": "Hm."}}, headers=auth(token)
    )
    assert response.status_code == 200, response.text
    comment_id: int = response.json()["comment"]["id"]
    return comment_id


async def _favorite(client: httpx.AsyncClient, token: str, slug: str) -> None:
    response = await client.post(f"/api/articles/{slug}/favorite", headers=auth(token))
    assert response.status_code == 200, response.text


async def _until(stream: EventStream, marker: dict[str, Any]) -> list[Message]:
    """The events the stream is sent before the marker article's publication."""
    events: list[Message] = []
    while True:
        event = await stream.next_event()
        if event.event == "article.published" and event.json()["slug"] == marker["slug"]:
            return events
        events.append(event)


def _summary(events: list[Message]) -> list[tuple[str | None, str]]:
    return [(event.event, event.json()["slug"]) for event in events]


def _mentions(events: list[Message], *words: str) -> bool:
    """Whether any event says any of ``words`` in any form (id, name, data)."""
    text = " ".join(f"{event.id} {event.event} {event.data}" for event in events).lower()
    return any(word.lower() in text for word in words)


# --- a hidden article -------------------------------------------------------------------------------


async def test_nothing_about_a_hidden_article_reaches_anyone_but_its_author(
    client: httpx.AsyncClient, context: AppContext, staff: TokenClaims
) -> None:
    author, reader = await register(client), await register(client)

    async with (
        open_events(client) as anonymous,
        open_events(client, headers=auth(reader["token"])) as signed_in,
        open_events(client, headers=auth(author["token"])) as own,
    ):
        article = await create_article(client, author["token"], title=TITLE)
        slug = article["slug"]
        async with open_events(client, article=slug) as watching:
            await _hide(context, staff, article)
            gone = await watching.next_event()
            ended = await watching.ended()
        new_slug = await _rename(client, author["token"], slug, NEW_TITLE)
        comment_id = await _comment(client, author["token"], new_slug)
        await _favorite(client, author["token"], new_slug)
        assert await moderation.hide_comments(context, staff, [comment_id]) == 1
        marker = await create_article(client, reader["token"], title="Marker")
        seen_anonymously, seen_by_reader = await _until(anonymous, marker), await _until(signed_in, marker)
        seen_by_author = await _until(own, marker)

    assert gone.event == "article.deleted"
    assert gone.json() == {"type": "article.deleted", "slug": slug}
    assert ended  # that article's stream has nothing more to say
    for seen in (seen_anonymously, seen_by_reader):
        assert _summary(seen) == [("article.published", slug), ("article.deleted", slug)]
        assert not _mentions(seen, new_slug, "quince")
    assert _summary(seen_by_author) == [
        ("article.published", slug),
        ("comment.created", new_slug),
        ("article.favorites", new_slug),
        ("comment.deleted", new_slug),  # hidden by staff: gone from the author's page too
    ]


async def test_replay_after_last_event_id_leaks_nothing_about_a_hidden_article(
    client: httpx.AsyncClient, context: AppContext, staff: TokenClaims
) -> None:
    author, reader = await register(client), await register(client)
    async with open_events(client) as watcher:  # to know when every event has reached this process
        start = await create_article(client, reader["token"], title="Start")
        last_seen = (await watcher.next_event()).id
        assert last_seen is not None
        article = await create_article(client, author["token"], title=TITLE)
        slug = article["slug"]
        before = await _comment(client, reader["token"], slug)  # while it was shown to everyone
        await _hide(context, staff, article)
        new_slug = await _rename(client, author["token"], slug, NEW_TITLE)
        after = await _comment(client, author["token"], new_slug)
        await _favorite(client, author["token"], new_slug)
        marker = await create_article(client, reader["token"], title="Marker")
        await _until(watcher, marker)
    assert start["slug"] != slug

    replayed: dict[str, list[Message]] = {}
    for name, headers in {
        "anonymous": {},
        "reader": auth(reader["token"]),
        "author": auth(author["token"]),
    }.items():
        async with open_events(client, headers={"Last-Event-ID": last_seen, **headers}) as stream:
            replayed[name] = await _until(stream, marker)

    for name in ("anonymous", "reader"):
        # What was said about it before the hide is no longer replayed to them either.
        assert _summary(replayed[name]) == [("article.deleted", slug)], name
        assert not _mentions(replayed[name], new_slug, "quince"), name
    assert _summary(replayed["author"]) == [
        ("article.published", slug),
        ("comment.created", slug),
        ("comment.created", new_slug),
        ("article.favorites", new_slug),
    ]
    assert [event.json().get("commentId") for event in replayed["author"][1:3]] == [before, after]


async def test_showing_it_again_lets_its_events_reach_everyone_again(
    client: httpx.AsyncClient, context: AppContext, staff: TokenClaims
) -> None:
    author = await register(client)
    article = await create_article(client, author["token"], title=TITLE)
    await _hide(context, staff, article)
    assert await moderation.unhide_articles(context, staff, [await article_id(context, article["slug"])]) == 1

    async with open_events(client, article=article["slug"]) as stream:
        comment_id = await _comment(client, author["token"], article["slug"])
        event = await stream.next_event()

    assert event.json() == {"type": "comment.created", "slug": article["slug"], "commentId": comment_id}


async def test_deleting_an_article_tells_its_readers_and_ends_the_streams_watching_it(
    client: httpx.AsyncClient,
) -> None:
    author = await register(client)
    article = await create_article(client, author["token"], title=TITLE)

    async with open_events(client, article=article["slug"]) as watching:
        response = await client.delete(f"/api/articles/{article['slug']}", headers=auth(author["token"]))
        gone = await watching.next_event()
        ended = await watching.ended()

    assert response.status_code == 204
    assert gone.json() == {"type": "article.deleted", "slug": article["slug"]}
    assert ended


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_comment_racing_the_hide_goes_to_the_author_only(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    """The writer read the article while it was still shown, and the hide commits before the writer
    does: the writer waits for the hide's row lock, then sees the article hidden and addresses its
    event to the author only (it would otherwise follow the hide out to everyone)."""
    author, reader = await register(client), await register(client)
    async with open_events(client) as anonymous, open_events(client, headers=auth(author["token"])) as own:
        article = await create_article(client, author["token"], title=TITLE)
        async with context.db.engine.connect() as hiding:  # staff's transaction, still open
            await hiding.execute(
                update(Article).where(Article.slug == article["slug"]).values(hidden_at=func.now())
            )
            commenting = asyncio.create_task(_comment(client, reader["token"], article["slug"]))
            await _until_waiting_for_a_lock(context, commenting)
            await hiding.commit()
        comment_id = await commenting
        marker = await create_article(client, reader["token"], title="Marker")
        seen_anonymously, seen_by_author = await _until(anonymous, marker), await _until(own, marker)

    assert _summary(seen_anonymously) == [("article.published", article["slug"])]
    assert _summary(seen_by_author) == [
        ("article.published", article["slug"]),
        ("comment.created", article["slug"]),
    ]
    assert seen_by_author[1].json()["commentId"] == comment_id


async def _until_waiting_for_a_lock(context: AppContext, task: asyncio.Task[Any]) -> None:
    """Returns once another session of this database waits for a lock (or ``task`` is done)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while not task.done() and asyncio.get_running_loop().time() < deadline:
        async with context.db.engine.connect() as probe:
            if await probe.scalar(waiting):
                return
        await asyncio.sleep(0.01)


# --- the cap per client address ---------------------------------------------------------------------


async def test_anonymous_streams_beyond_the_cap_of_one_address_get_429_while_other_addresses_connect(
    client: httpx.AsyncClient, elsewhere: httpx.AsyncClient
) -> None:
    user = await register(client)

    async with open_events(client), open_events(client):
        refused = await client.get("/api/events", params={"feed": "global"})
        async with (
            open_events(elsewhere),
            open_events(elsewhere),
            open_events(client, headers=auth(user["token"])),  # signed in: counted per user instead
        ):
            pass

    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert refused.json() == {
        "errors": {"body": [f"at most {STREAMS_PER_ADDRESS} event streams per client address"]}
    }
    async with open_events(client), open_events(client):
        pass  # the slots came back when the streams closed


# --- behind a proxy: the address is the forwarded one --------------------------------------------------


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[Server]:
    """``conduit serve`` as deployed: it believes X-Forwarded-For from this host (the default)."""
    limit = {"EVENTS_MAX_STREAMS_PER_ADDRESS": str(STREAMS_PER_ADDRESS)}
    with running_servers(sqlite_url, tmp_path, **limit) as [running]:
        yield running


async def test_behind_a_trusted_proxy_the_cap_counts_the_forwarded_client_address(server: Server) -> None:
    def from_address(address: str) -> dict[str, str]:
        return {"X-Forwarded-For": address}

    async with (
        httpx.AsyncClient(base_url=server.url, timeout=10) as proxy,
        open_events(proxy, headers=from_address(ADDRESS)),
        open_events(proxy, headers=from_address(ADDRESS)),
    ):
        refused = await proxy.get("/api/events", headers=from_address(ADDRESS))
        async with open_events(proxy, headers=from_address(OTHER_ADDRESS)) as other:
            connected = await other.next_message()

    assert refused.status_code == 429
    assert refused.json()["errors"]["body"] == [
        f"at most {STREAMS_PER_ADDRESS} event streams per client address"
    ]
    assert connected is not None
    assert connected.comments == ["connected"]
