"""Scale-out on PostgreSQL: real server processes (``python -m app serve``) on one database, real
TCP clients. An event committed through one process reaches streams on every other, promptly and in
commit order; a write that rolls back sends nothing; a client may reconnect to another process with
``Last-Event-ID``; SIGTERM ends open streams and the process; the listener outlives a database restart.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app import migrations
from app.events.bus import Signal
from app.events.model import Event, EventType
from app.events.postgres import PostgresBus
from app.services import moderation
from app.services.context import AppContext
from tests.admin.support import article_id
from tests.conftest import make_settings
from tests.databases import PostgresCluster, PostgresDatabases, postgres_cluster
from tests.helpers import auth, create_article, register
from tests.servers import Server, running_servers, start_server
from tests.sse import EventStream, open_events

DELIVERY_DEADLINE_SECONDS = 1.0
SHUTDOWN_DEADLINE_SECONDS = 5.0
# The listener notices a lost connection at its next health check (every 5 s), then reconnects.
RECONNECT_DEADLINE_SECONDS = 15.0


@pytest.fixture(scope="module")
def shared_database_url(
    postgres_databases: PostgresDatabases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One fresh database that every process of this module shares."""
    name = postgres_databases.create_from_template()
    yield postgres_databases.url_for(name)
    postgres_databases.drop(name)


@pytest.fixture(scope="module")
def processes(shared_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    """Two server processes, A and B, on different ports and the same database."""
    with running_servers(shared_database_url, tmp_path_factory.mktemp("scale-out"), count=2) as servers:
        yield servers


@pytest.fixture
async def a(processes: list[Server]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=processes[0].url, timeout=10) as client:
        yield client


@pytest.fixture
async def b(processes: list[Server]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=processes[1].url, timeout=10) as client:
        yield client


async def _comment(client: httpx.AsyncClient, token: str, slug: str, body: str = "Nice!") -> dict[str, Any]:
    response = await client.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": body}}, headers=auth(token)
    )
    assert response.status_code == 200, response.text
    comment: dict[str, Any] = response.json()["comment"]
    return comment


async def _article(client: httpx.AsyncClient) -> tuple[dict[str, Any], str]:
    """A new author's article, and the author's token."""
    author = await register(client)
    return await create_article(client, author["token"]), author["token"]


# --- across processes -------------------------------------------------------------------------------


async def test_a_comment_posted_through_one_process_reaches_a_stream_on_the_other_within_a_second(
    a: httpx.AsyncClient, b: httpx.AsyncClient
) -> None:
    article, token = await _article(a)

    async with open_events(b, article=article["slug"]) as stream:
        started = time.perf_counter()
        comment = await _comment(a, token, article["slug"])
        event = await stream.next_event()
        latency = time.perf_counter() - started

    assert event.event == "comment.created"
    assert event.json()["commentId"] == comment["id"]
    assert latency < DELIVERY_DEADLINE_SECONDS, f"delivered after {latency:.3f} s"


async def test_every_process_delivers_events_in_commit_order(
    a: httpx.AsyncClient, b: httpx.AsyncClient
) -> None:
    article, token = await _article(a)

    async with (
        open_events(a, article=article["slug"]) as on_a,
        open_events(b, article=article["slug"]) as on_b,
    ):
        comments = [
            await _comment(client, token, article["slug"], f"#{n}") for n, client in enumerate((a, b, a, b))
        ]
        seen_on_a = [(await on_a.next_event()).json()["commentId"] for _ in comments]
        seen_on_b = [(await on_b.next_event()).json()["commentId"] for _ in comments]

    assert seen_on_a == seen_on_b == [comment["id"] for comment in comments]


async def test_a_write_that_rolls_back_reaches_no_process(
    shared_database_url: str, b: httpx.AsyncClient
) -> None:
    """A third process (this one) writes with the PostgreSQL bus: its rolled-back write sends
    nothing, to B or to itself; the write committed right after reaches both, first."""
    context = AppContext.from_settings(make_settings(shared_database_url))
    await context.start()
    try:
        assert isinstance(context.events, PostgresBus)
        assert context.events.listening
        here, _missed = context.events.subscribe(lambda _event: True)

        async def write(slug: str, *, then_fail: bool) -> None:
            async def work(session: AsyncSession) -> None:
                await session.execute(text("SELECT 1"))
                await context.events.stage(session, Event(type=EventType.ARTICLE_PUBLISHED, slug=slug))
                if then_fail:
                    raise RuntimeError("the write fails after staging its event")

            await context.db.write(work)

        async with open_events(b, feed="global") as on_b:
            with pytest.raises(RuntimeError):
                await write("rolled-back", then_fail=True)
            await write("committed", then_fail=False)
            first_on_b = await on_b.next_event()
            while first_on_b.json()["slug"] not in {"rolled-back", "committed"}:
                first_on_b = await on_b.next_event()  # an article of an earlier test, late
        first_here = await asyncio.wait_for(here.next(), timeout=DELIVERY_DEADLINE_SECONDS)
    finally:
        await context.close()

    assert first_on_b.json()["slug"] == "committed"
    assert not isinstance(first_here, Signal)
    assert first_here.slug == "committed"


# --- reconnecting ----------------------------------------------------------------------------------


async def test_a_client_reconnecting_to_the_other_process_gets_what_it_missed(
    a: httpx.AsyncClient, b: httpx.AsyncClient
) -> None:
    article, token = await _article(a)
    slug = article["slug"]
    async with open_events(b, article=slug) as stream:
        await _comment(a, token, slug, "seen")
        seen = await stream.next_event()
    assert seen.id is not None

    missed = [await _comment(b, token, slug, "missed"), await _comment(a, token, slug, "also missed")]
    async with open_events(a, article=slug, headers={"Last-Event-ID": seen.id}) as stream:
        replayed = [await stream.next_event(), await stream.next_event()]

    assert [event.json()["commentId"] for event in replayed] == [comment["id"] for comment in missed]


async def test_a_client_reconnecting_with_an_id_that_is_not_retained_is_told_to_resync(
    a: httpx.AsyncClient,
) -> None:
    async with open_events(a, feed="global", headers={"Last-Event-ID": "0-not-retained"}) as stream:
        event = await stream.next_event()

    assert event.event == "resync"


async def test_a_hidden_articles_events_reach_only_its_author_on_every_process_and_in_replay(
    shared_database_url: str, a: httpx.AsyncClient, b: httpx.AsyncClient
) -> None:
    """Staff hide the article from a third process (this one); its author comments and favorites
    through A; streams on B, and replay on A, tell everyone else only that it is gone."""
    author, reader, staff_user = await register(a), await register(a), await register(a)
    context = AppContext.from_settings(make_settings(shared_database_url))
    try:
        assert await moderation.grant_staff(context, staff_user["email"]) is not None
        staff = context.tokens.decode(staff_user["token"])
        async with open_events(b) as anonymous, open_events(b, headers=auth(author["token"])) as own:
            start = await create_article(a, reader["token"], title="Start")
            last_seen = await _published(anonymous, start)
            article = await create_article(a, author["token"], title="Hidden across processes")
            slug = article["slug"]
            await moderation.hide_articles(context, staff, [await article_id(context, slug)])
            await _comment(a, author["token"], slug)
            favorited = await a.post(f"/api/articles/{slug}/favorite", headers=auth(author["token"]))
            assert favorited.status_code == 200
            marker = await create_article(a, reader["token"], title="Marker")
            live = {
                "anonymous": await _about(anonymous, slug, marker),
                "author": await _about(own, slug, marker),
            }
    finally:
        await context.close()
    replayed = {}
    for name, headers in {"anonymous": {}, "author": auth(author["token"])}.items():
        async with open_events(a, headers={"Last-Event-ID": last_seen, **headers}) as stream:
            replayed[name] = await _about(stream, slug, marker)

    assert live["anonymous"] == ["article.published", "article.deleted"]
    assert replayed["anonymous"] == ["article.deleted"]
    assert (
        live["author"] == replayed["author"] == ["article.published", "comment.created", "article.favorites"]
    )


async def _published(stream: EventStream, article: dict[str, Any]) -> str:
    """The id of the article's ``article.published`` event on the stream (skipping earlier tests' events)."""
    while True:
        event = await stream.next_event()
        if event.event == "article.published" and event.json()["slug"] == article["slug"]:
            assert event.id is not None
            return event.id


async def _about(stream: EventStream, slug: str, marker: dict[str, Any]) -> list[str | None]:
    """The types of the events about ``slug`` that the stream is sent before the marker's publication."""
    seen: list[str | None] = []
    while True:
        event = await stream.next_event()
        if event.event == "article.published" and event.json()["slug"] == marker["slug"]:
            return seen
        if event.json().get("slug") == slug:
            seen.append(event.event)


# --- stopping ---------------------------------------------------------------------------------------


@pytest.fixture
def doomed(shared_database_url: str, tmp_path: Path) -> Iterator[Server]:
    """A third process, for a test that stops it."""
    server = start_server(shared_database_url, tmp_path, name="doomed")
    try:
        server.wait_until_serving()
        yield server
    finally:
        server.stop()


async def test_sigterm_ends_open_streams_and_the_process_exits(doomed: Server) -> None:
    async with httpx.AsyncClient(base_url=doomed.url, timeout=10) as client, open_events(client) as stream:
        started = time.perf_counter()
        doomed.terminate()

        assert await stream.ended(within=SHUTDOWN_DEADLINE_SECONDS)
        exit_code = await asyncio.to_thread(doomed.process.wait, SHUTDOWN_DEADLINE_SECONDS)
        elapsed = time.perf_counter() - started

    assert exit_code == 0, doomed.log.read_text()
    assert "Application shutdown complete" in doomed.log.read_text()
    assert elapsed < SHUTDOWN_DEADLINE_SECONDS


# --- a database restart -----------------------------------------------------------------------------


@pytest.fixture
def restartable(tmp_path: Path) -> Iterator[tuple[PostgresCluster, Server]]:
    """A server on a PostgreSQL cluster of its own, which the test may restart."""
    with postgres_cluster() as cluster:
        databases = PostgresDatabases(cluster.url)
        url = databases.url_for(databases.create_empty())
        migrations.upgrade(url)
        with running_servers(url, tmp_path) as [server]:
            yield cluster, server


async def test_streams_are_told_to_resync_and_carry_on_after_a_database_restart(
    restartable: tuple[PostgresCluster, Server],
) -> None:
    cluster, server = restartable
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        article, token = await _article(client)
        async with open_events(client, article=article["slug"]) as stream:
            await asyncio.to_thread(cluster.restart)
            resync = await stream.next_event(within=RECONNECT_DEADLINE_SECONDS)
            comment = await _comment(client, token, article["slug"])
            event = await stream.next_event(within=DELIVERY_DEADLINE_SECONDS)

    assert resync.event == "resync"
    assert event.json()["commentId"] == comment["id"]
