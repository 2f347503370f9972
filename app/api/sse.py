"""A lean ``text/event-stream`` response for long-lived streams.

FastAPI's own server-sent-events support (a path operation that yields, with ``EventSourceResponse``)
passes every message through two extra tasks and two memory streams (a producer and a keep-alive
inserter), each step under anyio cancel scopes, and Starlette's streaming response adds its own task
group. That is fine for one stream, not for a thousand: an event fanned out to 1,000 streams of one
process kept its event loop busy for about half a second (``scripts/bench_streams.py``), stalling
every other request meanwhile. Here a stream is one task that encodes and sends each message, and
one that waits for the client to go away; our stream sends its own heartbeats.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi.sse import ServerSentEvent, format_sse_event
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

# OpenAPI: the 200 response of a stream route, as FastAPI documents its own event streams.
EVENT_STREAM_CONTENT: dict[str, Any] = {
    "text/event-stream": {
        "itemSchema": {
            "type": "object",
            "properties": {
                "data": {"type": "string"},
                "event": {"type": "string"},
                "id": {"type": "string"},
                "retry": {"type": "integer", "minimum": 0},
            },
        }
    }
}


def encode(message: ServerSentEvent) -> bytes:
    """The wire form of one message, as FastAPI writes it (``data`` JSON-encoded)."""
    data = message.raw_data
    if data is None and message.data is not None:
        data = json.dumps(message.data)
    return format_sse_event(
        data_str=data, event=message.event, id=message.id, retry=message.retry, comment=message.comment
    )


class EventStreamResponse(Response):
    """Sends ``messages`` as they come; stops them when the client disconnects, and ends the body
    when they end (the bus closed the stream)."""

    media_type = "text/event-stream"

    def __init__(self, messages: AsyncIterator[ServerSentEvent], status_code: int = 200) -> None:
        # Not Response.__init__: it would render an empty body and announce Content-Length: 0.
        self.status_code = status_code
        self.background = None
        self.init_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self._messages = messages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        sending = asyncio.create_task(self._send_all(send))
        watching = asyncio.create_task(_until_disconnected(receive))
        try:
            await asyncio.wait((sending, watching), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sending, watching):
                task.cancel()
            try:
                outcomes = await asyncio.gather(sending, watching, return_exceptions=True)
            finally:
                await _close(self._messages)
        for outcome in outcomes:
            if isinstance(outcome, Exception):  # not CancelledError: that one is ours
                raise outcome  # what went wrong while streaming, now that everything is released

    async def _send_all(self, send: Send) -> None:
        async for message in self._messages:
            await send({"type": "http.response.body", "body": encode(message), "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _until_disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _close(messages: AsyncIterator[ServerSentEvent]) -> None:
    close = getattr(messages, "aclose", None)
    if close is not None:
        await close()
