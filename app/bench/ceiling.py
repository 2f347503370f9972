"""The ceiling: a bare ASGI app answering every request with a fixed JSON body, no database.

Served by the run's server with the options it serves Conduit with, so the difference to Conduit is
what the app does per request. Under uvicorn (the options ``conduit serve`` uses):
``python -m app.bench.ceiling --port 8001 --workers 1 --size 12000``; other servers load
``create_app`` themselves, with the size in ``BENCH_CEILING_BYTES`` (see ``app.bench.commands``).
"""

from __future__ import annotations

import argparse
import os

from starlette.types import Receive, Scope, Send

SIZE_VARIABLE = "BENCH_CEILING_BYTES"


def _body(size: int) -> bytes:
    """A JSON document of exactly ``size`` bytes (at least 16)."""
    prefix, suffix = b'{"padding":"', b'"}'
    return prefix + b"x" * max(0, size - len(prefix) - len(suffix)) + suffix


def create_app() -> object:
    body = _body(int(os.environ.get(SIZE_VARIABLE, "16")))
    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    end = {"type": "http.response.body", "body": body}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan: nothing to set up
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        await send(start)
        await send(end)

    return app


def serve(factory: str, arguments: argparse.Namespace) -> None:
    """Serve an app ``factory`` (``module:function``) as ``conduit serve`` serves Conduit, on the
    loopback port and with the workers the command line gave (``--port``, ``--workers``)."""
    import uvicorn  # noqa: PLC0415

    from app.cli import SERVER_OPTIONS  # noqa: PLC0415 - app.cli imports app.bench.commands, which imports us

    uvicorn.run(
        factory,
        factory=True,
        host="127.0.0.1",
        port=arguments.port,
        workers=arguments.workers,
        log_level="warning",
        **SERVER_OPTIONS,
    )


def server_arguments(description: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    return parser


def main() -> None:
    parser = server_arguments(__doc__)
    parser.add_argument("--size", type=int, required=True)
    arguments = parser.parse_args()
    os.environ[SIZE_VARIABLE] = str(arguments.size)
    serve("app.bench.ceiling:create_app", arguments)


if __name__ == "__main__":
    main()
