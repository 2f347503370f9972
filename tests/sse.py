"""Reading server-sent event streams in tests, in-process or over real TCP.

:class:`EventStream` parses a ``text/event-stream`` response as it arrives (a reader task fills a
queue, so waiting with a timeout never breaks the stream). :class:`StreamingASGITransport` is
httpx's ASGI transport without the buffering: ``httpx.ASGITransport`` waits for the whole body,
which an endless stream never finishes, so this one hands the response over as soon as it starts
and tells the app that the client went away when the response is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, MutableMapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import httpx
from fastapi import FastAPI

WAIT_SECONDS = 5.0  # how long a test waits for a message it expects before failing


@dataclass
class Message:
    """One message of an event stream: an event, or a comment (heartbeat, "connected")."""

    event: str | None = None
    id: str | None = None
    data: str | None = None
    retry: int | None = None
    comments: list[str] = field(default_factory=list)

    @property
    def is_comment(self) -> bool:
        return self.event is None and self.data is None

    def json(self) -> Any:
        assert self.data is not None, f"{self} has no data"
        return json.loads(self.data)


def _add_line(message: Message, line: str) -> None:
    name, _, value = line.partition(":")
    value = value.removeprefix(" ")
    if not name:
        message.comments.append(value)
    elif name == "event":
        message.event = value
    elif name == "id":
        message.id = value
    elif name == "data":
        message.data = value if message.data is None else f"{message.data}\n{value}"
    elif name == "retry":
        message.retry = int(value)


class EventStream:
    """The messages of one open ``text/event-stream`` response, readable with timeouts."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._messages: asyncio.Queue[Message | None] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(
        self, _type: type[BaseException] | None, _error: BaseException | None, _tb: TracebackType | None
    ) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await self._reader

    async def _read(self) -> None:
        message = Message()
        try:
            async for line in self.response.aiter_lines():
                if line:
                    _add_line(message, line)
                elif message != Message():
                    self._messages.put_nowait(message)
                    message = Message()
        except httpx.HTTPError:
            pass  # the connection broke: for the test, the stream ended
        finally:
            self._messages.put_nowait(None)

    async def next_message(self, within: float = WAIT_SECONDS) -> Message | None:
        """The next message, comments included; ``None`` once the stream has ended."""
        try:
            return await asyncio.wait_for(self._messages.get(), within)
        except TimeoutError:
            raise AssertionError(f"no message within {within} s") from None

    async def next_event(self, within: float = WAIT_SECONDS) -> Message:
        """The next event, skipping comments; fails if none arrives in time or the stream ends."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            message = await self.next_message(max(deadline - asyncio.get_running_loop().time(), 0))
            assert message is not None, "the stream ended"
            if not message.is_comment:
                return message

    async def events_within(self, seconds: float) -> list[Message]:
        """Every event that arrives within ``seconds`` (comments skipped)."""
        events: list[Message] = []
        deadline = asyncio.get_running_loop().time() + seconds
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            try:
                message = await asyncio.wait_for(self._messages.get(), left)
            except TimeoutError:
                break
            if message is None:
                break
            if not message.is_comment:
                events.append(message)
        return events

    async def ended(self, within: float = WAIT_SECONDS) -> bool:
        """Whether the server ends the stream in time (messages before the end are skipped)."""
        deadline = asyncio.get_running_loop().time() + within
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            try:
                if await asyncio.wait_for(self._messages.get(), left) is None:
                    return True
            except TimeoutError:
                return False
        return False


@contextlib.asynccontextmanager
async def open_events(
    client: httpx.AsyncClient, *, headers: dict[str, str] | None = None, **params: str
) -> AsyncIterator[EventStream]:
    """``GET /api/events`` with ``params``, kept open while the block runs; the response must be 200."""
    async with client.stream("GET", "/api/events", params=params, headers=headers) as response:
        assert response.status_code == 200, (await response.aread()).decode()
        async with EventStream(response) as stream:
            yield stream


# --- an ASGI transport that streams ---------------------------------------------------------------


class _ResponseBody(httpx.AsyncByteStream):
    def __init__(
        self, chunks: asyncio.Queue[bytes | None], disconnected: asyncio.Event, app: asyncio.Task[None]
    ) -> None:
        self._chunks = chunks
        self._disconnected = disconnected
        self._app = app

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := await self._chunks.get()) is not None:
            yield chunk

    async def aclose(self) -> None:
        """The client goes away: the app hears ``http.disconnect`` and must then finish."""
        self._disconnected.set()
        await asyncio.wait_for(self._app, WAIT_SECONDS)


class StreamingASGITransport(httpx.AsyncBaseTransport):
    """``client``: the peer address the app sees (as uvicorn reports it, behind a trusted proxy
    the forwarded one), so that tests can be several clients."""

    def __init__(self, app: FastAPI, *, client: tuple[str, int] = ("127.0.0.1", 123)) -> None:
        self.app = app
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(name.lower(), value) for name, value in request.headers.raw],
            "scheme": request.url.scheme,
            "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query,
            "server": (request.url.host, request.url.port),
            "client": self.client,
            "root_path": "",
        }
        request_sent = False
        disconnected = asyncio.Event()
        started: asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]] = asyncio.Future()
        chunks: asyncio.Queue[bytes | None] = asyncio.Queue()

        async def receive() -> dict[str, Any]:
            nonlocal request_sent
            if not request_sent:
                request_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await disconnected.wait()
            return {"type": "http.disconnect"}

        declared_length: int | None = None
        sent_length = 0

        async def send(message: MutableMapping[str, Any]) -> None:
            nonlocal declared_length, sent_length
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                lengths = [int(value) for name, value in headers if name.lower() == b"content-length"]
                declared_length = lengths[0] if lengths else None
                started.set_result((message["status"], headers))
            elif message["type"] == "http.response.body":
                sent_length += len(message.get("body", b""))
                # As strict as a real server (uvicorn refuses this), so the in-process tests catch it.
                if declared_length is not None and sent_length > declared_length:
                    raise RuntimeError("Response content longer than Content-Length")
                if message.get("body"):
                    chunks.put_nowait(message["body"])
                if not message.get("more_body", False):
                    chunks.put_nowait(None)

        async def run() -> None:
            try:
                await self.app(scope, receive, send)
            except Exception as error:
                if started.done():
                    raise
                started.set_exception(error)  # raised by ``await started`` below instead
            finally:
                chunks.put_nowait(None)

        app = asyncio.create_task(run())
        status, headers = await asyncio.wait_for(started, WAIT_SECONDS)
        return httpx.Response(status, headers=headers, stream=_ResponseBody(chunks, disconnected, app))
