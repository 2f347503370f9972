"""The command lines that serve Conduit and the ceiling under each ``--server`` choice.

``uvicorn`` is production as it is: ``conduit serve`` (uvloop, httptools). The ``uvicorn-*`` variants
run that same ``serve`` with another event loop or HTTP parser (``app.bench.uvicorn_variant``).
``granian`` serves both apps through its ASGI interface (lifespan included) on a uvloop loop, with
the same worker count, graceful-shutdown time and no access log of its own, as ``conduit serve``
would configure it (``app.bench.granian_app``). Ports are added by ``servers.serving``.

Nothing here imports a server, so ``conduit --help`` stays quick and works without granian.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import metadata

from app.bench.ceiling import SIZE_VARIABLE

HOST = "127.0.0.1"


class Server(StrEnum):
    UVICORN = "uvicorn"
    UVICORN_UVLOOP_H11 = "uvicorn-uvloop-h11"
    UVICORN_ASYNCIO_HTTPTOOLS = "uvicorn-asyncio-httptools"
    UVICORN_ASYNCIO_H11 = "uvicorn-asyncio-h11"
    GRANIAN = "granian"


# The event loop and HTTP parser of each uvicorn choice (uvicorn's ``loop`` and ``http`` options).
UVICORN_LOOP_AND_HTTP: dict[Server, tuple[str, str]] = {
    Server.UVICORN: ("uvloop", "httptools"),
    Server.UVICORN_UVLOOP_H11: ("uvloop", "h11"),
    Server.UVICORN_ASYNCIO_HTTPTOOLS: ("asyncio", "httptools"),
    Server.UVICORN_ASYNCIO_H11: ("asyncio", "h11"),
}


@dataclass(frozen=True, slots=True)
class Command:
    """Arguments for ``python`` (without ``--port``) and environment variables to add."""

    arguments: list[str]
    environment: dict[str, str] = field(default_factory=dict)


def conduit_command(server: Server, workers: int) -> Command:
    serve = ["serve", "--host", HOST, "--workers", str(workers)]
    if server is Server.GRANIAN:
        return Command(_granian("app.bench.granian_app:create_app", workers, log_level="info"))
    if server is Server.UVICORN:
        return Command(["-m", "app", *serve])
    return Command(_uvicorn_variant(server, serve))


def ceiling_command(server: Server, workers: int, size: int) -> Command:
    if server is Server.GRANIAN:
        target = "app.bench.ceiling:create_app"
        return Command(_granian(target, workers, log_level="warning"), {SIZE_VARIABLE: str(size)})
    ceiling = ["--workers", str(workers), "--size", str(size)]
    if server is Server.UVICORN:
        return Command(["-m", "app.bench.ceiling", *ceiling])
    return Command(_uvicorn_variant(server, ["ceiling", *ceiling]))


def data_ceiling_command(server: Server, workers: int, environment: dict[str, str]) -> Command:
    """The data ceiling (``app.bench.data_ceiling``), told its statements and database by ``environment``."""
    if server is Server.GRANIAN:
        return Command(
            _granian("app.bench.data_ceiling:create_app", workers, log_level="warning"), environment
        )
    arguments = ["--workers", str(workers)]
    if server is Server.UVICORN:
        return Command(["-m", "app.bench.data_ceiling", *arguments], environment)
    return Command(_uvicorn_variant(server, ["data-ceiling", *arguments]), environment)


def describe(server: Server) -> str:
    """The server, its version and how it runs, e.g. ``uvicorn 0.54.0 (uvloop, httptools)``."""
    if server is Server.GRANIAN:
        return f"granian {_version('granian')} (ASGI, uvloop, HTTP/1)"
    loop, http = UVICORN_LOOP_AND_HTTP[server]
    return f"uvicorn {_version('uvicorn')} ({loop}, {http})"


def unavailable(server: Server) -> str | None:
    """Why ``server`` cannot run here, if it cannot."""
    if server is Server.GRANIAN and importlib.util.find_spec("granian") is None:
        return "granian is not installed: it is a dev dependency (uv sync installs it)"
    return None


def _uvicorn_variant(server: Server, arguments: list[str]) -> list[str]:
    loop, http = UVICORN_LOOP_AND_HTTP[server]
    return ["-m", "app.bench.uvicorn_variant", "--loop", loop, "--http", http, *arguments]


def _granian(target: str, workers: int, *, log_level: str) -> list[str]:
    from app.cli import GRACEFUL_SHUTDOWN_SECONDS  # noqa: PLC0415 - app.cli imports this module

    return [
        "-m",
        "granian",
        "--interface",
        "asgi",  # with lifespan ("asginl" is without)
        "--factory",
        "--loop",
        "uvloop",
        "--http",
        "1",  # as uvicorn: HTTP/1.1 only
        "--host",
        HOST,
        "--workers",
        str(workers),
        "--no-access-log",  # Conduit writes its own
        "--log-level",
        log_level,
        # Workers that have not drained by then are killed, as uvicorn's timeout_graceful_shutdown.
        "--workers-kill-timeout",
        str(GRACEFUL_SHUTDOWN_SECONDS),
        target,
    ]


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "(not installed)"
