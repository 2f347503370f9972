"""Helpers for the operations scripts' tests: running ``scripts/*`` as an operator would, and reading
every row of a database to compare two of them."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.databases import ROOT

SCRIPTS = ROOT / "scripts"


def operator_environment(**variables: str) -> dict[str, str]:
    """The caller's environment without the app's database settings, plus ``variables``."""
    inherited = {
        name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "JWT_SECRET")
    }
    return {**inherited, "APP_ENV": "test", **variables}


def run_script(
    name: str, *arguments: str, timeout: float = 120, **variables: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPTS / name), *arguments],
        cwd=ROOT,
        env=operator_environment(**variables),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def said(result: subprocess.CompletedProcess[str]) -> str:
    """Everything a command printed, on one line (consoles wrap long messages)."""
    return " ".join((result.stdout + result.stderr).split())


def all_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the database (``alembic_version`` included) with all its rows, in a stable order."""

    async def read() -> dict[str, list[tuple[Any, ...]]]:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
                found = {}
                for table in sorted(tables):
                    result = await connection.execute(text(f'SELECT * FROM "{table}"'))
                    found[table] = sorted((tuple(row) for row in result), key=repr)
                return found
        finally:
            await engine.dispose()

    return asyncio.run(read())


@asynccontextmanager
async def tcp_forwarder(port: int, target_host: str, target_port: int) -> AsyncIterator[None]:
    """Listens on 127.0.0.1:``port`` and relays every connection to the target: a database that
    "comes up" on that port when the block starts."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def relay(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(target_host, target_port)
        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))

    server = await asyncio.start_server(relay, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()
