"""``conduit bench --server`` serves Conduit and the ceiling with the chosen server, everything else
equal: ``uvicorn`` is ``conduit serve`` itself, the uvicorn variants change only the event loop and
HTTP parser, granian runs both apps through its ASGI interface with lifespan. No server is started.
"""

from __future__ import annotations

from importlib import metadata

import pytest

from app.bench.commands import Command, Server, ceiling_command, conduit_command, data_ceiling_command
from app.bench.report import Report
from app.bench.runner import Options, _meta
from app.bench.scales import SCALES

GRANIAN = [
    "-m",
    "granian",
    "--interface",
    "asgi",
    "--factory",
    "--loop",
    "uvloop",
    "--http",
    "1",
    "--host",
    "127.0.0.1",
    "--workers",
    "2",
    "--no-access-log",
]
VARIANT = ["-m", "app.bench.uvicorn_variant", "--loop"]
SERVE = ["serve", "--host", "127.0.0.1", "--workers", "2"]
CEILING = ["--workers", "2", "--size", "12000"]


@pytest.mark.parametrize(
    ("server", "conduit", "ceiling"),
    [
        (
            Server.UVICORN,
            Command(["-m", "app", *SERVE]),
            Command(["-m", "app.bench.ceiling", *CEILING]),
        ),
        (
            Server.UVICORN_UVLOOP_H11,
            Command([*VARIANT, "uvloop", "--http", "h11", *SERVE]),
            Command([*VARIANT, "uvloop", "--http", "h11", "ceiling", *CEILING]),
        ),
        (
            Server.UVICORN_ASYNCIO_HTTPTOOLS,
            Command([*VARIANT, "asyncio", "--http", "httptools", *SERVE]),
            Command([*VARIANT, "asyncio", "--http", "httptools", "ceiling", *CEILING]),
        ),
        (
            Server.UVICORN_ASYNCIO_H11,
            Command([*VARIANT, "asyncio", "--http", "h11", *SERVE]),
            Command([*VARIANT, "asyncio", "--http", "h11", "ceiling", *CEILING]),
        ),
        (
            Server.GRANIAN,
            Command(
                [
                    *GRANIAN,
                    *("--log-level", "info", "--workers-kill-timeout", "20"),
                    "app.bench.granian_app:create_app",
                ]
            ),
            Command(
                [
                    *GRANIAN,
                    *("--log-level", "warning", "--workers-kill-timeout", "20"),
                    "app.bench.ceiling:create_app",
                ],
                {"BENCH_CEILING_BYTES": "12000"},
            ),
        ),
    ],
)
def test_each_server_serves_conduit_and_the_ceiling_with_the_same_worker_count(
    server: Server, conduit: Command, ceiling: Command
) -> None:
    assert conduit_command(server, workers=2) == conduit
    assert ceiling_command(server, workers=2, size=12000) == ceiling


@pytest.mark.parametrize(
    ("server", "description"),
    [
        (Server.UVICORN, f"uvicorn {metadata.version('uvicorn')} (uvloop, httptools)"),
        (Server.UVICORN_ASYNCIO_H11, f"uvicorn {metadata.version('uvicorn')} (asyncio, h11)"),
        (Server.GRANIAN, f"granian {metadata.version('granian')} (ASGI, uvloop, HTTP/1)"),
    ],
)
def test_the_report_names_the_server_in_its_json_and_its_table(server: Server, description: str) -> None:
    report = Report(meta=_meta(Options(scale=SCALES["tiny"], server=server), "PostgreSQL"))

    assert (report.meta["server"], report.meta["server_details"]) == (server.value, description)
    assert f"served by {description}:" in str(report.table().title)


@pytest.mark.parametrize(
    ("server", "arguments"),
    [
        (Server.UVICORN, ["-m", "app.bench.data_ceiling", "--workers", "2"]),
        (
            Server.UVICORN_ASYNCIO_H11,
            [*VARIANT, "asyncio", "--http", "h11", "data-ceiling", "--workers", "2"],
        ),
        (
            Server.GRANIAN,
            [
                *GRANIAN,
                *("--log-level", "warning", "--workers-kill-timeout", "20"),
                "app.bench.data_ceiling:create_app",
            ],
        ),
    ],
)
def test_the_data_ceiling_is_served_like_the_ceiling(server: Server, arguments: list[str]) -> None:
    environment = {"BENCH_DATA_STATEMENTS": "/tmp/statements.json"}

    assert data_ceiling_command(server, workers=2, environment=environment) == Command(arguments, environment)
