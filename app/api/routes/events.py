"""``GET /api/events``: server-sent events about what others do, as the caller may see it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.sse import ServerSentEvent

from app.api.deps import Context, StreamCaller
from app.api.responses import OPTIONAL_AUTH, errors
from app.api.sse import EVENT_STREAM_CONTENT, EventStreamResponse
from app.events.streams import Feed, messages
from app.security.rate_limits import client_address
from app.services import live

router = APIRouter(tags=["Live updates"])

DESCRIPTION = """A `text/event-stream` of events about committed changes, filtered to what the caller may see.

* `?article=<slug>`: `comment.created`, `comment.deleted` (`commentId`) and `article.favorites`
  (`favoritesCount`) for one article.
* `?feed=global`: `article.published` (`slug`, `author`) for every new article; `?feed=following`
  (signed in): only those by authors the caller follows.
* No parameter: every public event.
* `article.deleted` (`slug`): the article was deleted, or is no longer shown to the caller; an
  article's stream then ends.

Events about an article reach only those who may read it (a hidden article: only its author).

Each event has an `id`; a client that reconnects with `Last-Event-ID` receives what it missed, or a
`resync` event when that is no longer retained (or when it fell too far behind): it should then
reload what it shows. A comment line is sent at least every 15 s as a heartbeat.
Authentication is optional: `Authorization: Token <jwt>`, or the site's session cookie in browsers."""


async def open_stream(
    request: Request,
    ctx: Context,
    caller: StreamCaller,
    article: Annotated[
        str | None, Query(min_length=1, max_length=300, description="An article's slug")
    ] = None,
    feed: Annotated[Feed | None, Query(description="`global` or `following`")] = None,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> AsyncIterator[AsyncIterator[ServerSentEvent]]:
    """Checks access and limits before the response starts; releases everything when the stream ends."""
    scope = await live.stream_scope(ctx, caller, article=article, feed=feed)
    with ctx.streams.slot(scope.viewer_id, address=client_address(request)):
        subscription, missed = ctx.events.subscribe(scope.accepts, last_event_id=last_event_id)
        try:
            yield messages(
                ctx.events,
                subscription,
                missed,
                heartbeat_seconds=ctx.settings.events_heartbeat_seconds,
                on_follows_changed=partial(live.refresh_followees, ctx, scope),
                deliver=scope.delivers,
                ends_with=scope.ends_with,
            )
        finally:
            ctx.events.unsubscribe(subscription)


@router.get(
    "/events",
    name="events:stream",
    response_class=EventStreamResponse,
    responses={
        200: {"content": EVENT_STREAM_CONTENT},
        **errors(401, 404, 429, streaming=True),
    },
    summary="Stream live updates (server-sent events)",
    openapi_extra=OPTIONAL_AUTH,
    description=DESCRIPTION,
)
async def stream_events(
    stream: Annotated[AsyncIterator[ServerSentEvent], Depends(open_stream)],
) -> EventStreamResponse:
    # Not a generator path operation: FastAPI's own SSE pipeline costs too much per message at
    # thousands of streams (see app/api/sse.py).
    return EventStreamResponse(stream)
