"""The benchmark's own PostgreSQL server, kept under ``var/bench-pg`` and reused across runs.

It is made with ``scripts/pg_cluster.py`` (the tests' throwaway clusters), then given a bigger
buffer cache and durable commits: loads run with fsync off, measurements with the defaults a
production server has. One database per scale (``bench_<scale>``).
"""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from types import ModuleType

import asyncpg
from sqlalchemy.engine import make_url

from app.events.postgres import asyncpg_dsn

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIRECTORY = ROOT / "var" / "bench-pg"
# Applied with ALTER SYSTEM; the first group needs a restart, the second only a reload.
RESTART_SETTINGS = {"shared_buffers": "2GB", "max_connections": "200"}
LOAD_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
DURABLE_SETTINGS = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}


def pg_cluster_script() -> ModuleType:
    """``scripts/pg_cluster.py`` (a script, not a package module), loaded by path."""
    spec = importlib.util.spec_from_file_location("pg_cluster", ROOT / "scripts" / "pg_cluster.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def server_url(directory: Path = DEFAULT_DIRECTORY) -> str:
    """The admin URL of the kept cluster, creating or starting it as needed."""
    pg_cluster = pg_cluster_script()
    if (directory / "url").exists():
        return str(pg_cluster.resume(directory))
    url = str(pg_cluster.start(directory))
    asyncio.run(_alter_system(url, RESTART_SETTINGS))
    pg_cluster.restart(directory)
    return url


def postmaster_pid(directory: Path = DEFAULT_DIRECTORY) -> int | None:
    """The kept server's main process (its backends are its children), if it runs."""
    pid_file = directory / "data" / "postmaster.pid"
    if not pid_file.exists():
        return None
    return int(pid_file.read_text().split()[0])


def database_url(admin_url: str, name: str) -> str:
    """``name``'s URL on the server, creating the database if it is missing."""
    asyncio.run(_create_database(admin_url, name))
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def durable(admin_url: str, *, on: bool) -> None:
    """Production durability (fsync, synchronous commit) for measuring, or fast loads."""
    asyncio.run(_alter_system(admin_url, DURABLE_SETTINGS if on else LOAD_SETTINGS, reload=True))


async def _alter_system(url: str, settings: dict[str, str], *, reload: bool = False) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for name, value in settings.items():
            await connection.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        if reload:
            await connection.execute("SELECT pg_reload_conf()")
    finally:
        await connection.close()


async def _create_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
