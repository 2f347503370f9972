"""One benchmark run: seed (if needed), count statements, load every endpoint (the reads, then the
writes), then the ceilings: the data ceiling of each read, the write ceiling, the no-database one."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import secrets
import subprocess
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from app.bench import cluster, commands, data_ceiling, seeding, servers, write_ceiling, writers, wrk
from app.bench.commands import Server
from app.bench.endpoints import WRITERS, Caller, Endpoint, Request, endpoints, select, write_target_ids
from app.bench.report import Report, Row
from app.bench.scales import BENCH_SESSIONS, READER_USER, WRITER_USER, Scale
from app.bench.statements import Probe, probe
from app.security.tokens import TokenClaims, TokenCodec
from config import Settings, load_settings

ROOT = cluster.ROOT
VAR = ROOT / "var" / "bench"


@dataclass(frozen=True, slots=True)
class Options:
    scale: Scale
    database_url: str | None = None
    sqlite: bool = False
    workers: int = 1
    server: Server = Server.UVICORN
    connections: int = 32
    threads: int = 1
    duration: float = 10.0
    warmup: float = 2.0
    endpoints: tuple[str, ...] = ()
    reseed: bool = False
    ceiling: bool = True
    # Also measure the anonymous reads on a server with the response cache on ("list (cached)").
    cache: bool = False


def _database_url(options: Options) -> tuple[str, str | None]:
    """The database to use and, for the kept PostgreSQL cluster, its admin URL."""
    if options.database_url:
        return options.database_url, None
    if options.sqlite:
        return f"sqlite+aiosqlite:///{VAR / 'sqlite' / options.scale.name}.sqlite3", None
    admin = cluster.server_url()
    return cluster.database_url(admin, f"bench_{options.scale.name}"), admin


def _seed(database_url: str, admin_url: str | None, options: Options, console: Console) -> bool:
    with Progress(console=console, transient=True) as progress:
        tasks: dict[str, object] = {}

        def advance(table: str, rows: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = progress.add_task(f"seeding {table}", total=total)
            progress.advance(tasks[table], rows)  # type: ignore[arg-type]

        if admin_url:
            cluster.durable(admin_url, on=False)
        try:
            return seeding.ensure_seeded(database_url, options.scale, advance, force=options.reseed)
        finally:
            if admin_url:
                cluster.durable(admin_url, on=True)


def _git_commit() -> str:
    completed = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return completed.stdout.strip() or "unknown"


def _meta(options: Options, engine: str) -> dict[str, object]:
    return {
        "scale": options.scale.name,
        "engine": engine,
        "workers": options.workers,
        "connections": options.connections,
        "threads": options.threads,
        "duration_seconds": options.duration,
        "server": options.server.value,
        "server_details": commands.describe(options.server),
        "response_cache": "off, and on for the rows marked (cached)" if options.cache else "off",
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
        "python": platform.python_version(),
        "commit": _git_commit(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _measure(
    name: str,
    running: servers.Running,
    requests: tuple[Request, ...],
    token: str | None,
    options: Options,
    database_pid: int | None = None,
    writer_tokens: list[str] | None = None,
) -> Row:
    def load(seconds: float) -> wrk.LoadResult:
        return wrk.run(
            running.url,
            requests,
            token=token,
            seconds=seconds,
            connections=options.connections,
            threads=options.threads,
            writer_tokens=writer_tokens,
        )

    if options.warmup > 0:
        load(options.warmup)
    server_cpu = running.cpu_seconds()
    database_cpu = servers.process_tree_cpu_seconds(database_pid) if database_pid else 0.0
    result = load(options.duration)
    served = max(result.requests, 1)
    return Row(
        endpoint=name,
        requests_per_second=result.per_second,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        errors=result.errors,
        requests=result.requests,
        statements=None,
        rss_mib=running.rss_mib(),
        ceiling_ratio=None,
        server_cpu_ms=(running.cpu_seconds() - server_cpu) * 1000 / served,
        database_cpu_ms=(servers.process_tree_cpu_seconds(database_pid) - database_cpu) * 1000 / served
        if database_pid
        else None,
    )


def run(options: Options, console: Console) -> Report:
    if problem := commands.unavailable(options.server):
        raise ValueError(problem)
    wrk.ensure_installed()
    database_url, admin_url = _database_url(options)
    engine = "SQLite" if database_url.startswith("sqlite") else "PostgreSQL"
    console.print(f"bench: {engine} database {database_url.split('@')[-1]}")
    if _seed(database_url, admin_url, options, console):
        console.print(f"bench: seeded scale {options.scale.name}")
    secret = secrets.token_urlsafe(48)
    settings: Settings = load_settings(
        database_url=database_url,
        jwt_secret=secret,
        rate_limits_enabled=False,
        log_level="WARNING",
        response_cache_enabled=False,
        # The probe registers the writers in-process: argon2 at its lowest cost (their passwords
        # are never used; the server under load keeps production's cost for "register").
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
        password_hash_parallelism=1,
    )
    codec = TokenCodec(settings)
    tokens = {
        Caller.READER.value: codec.issue(
            TokenClaims(user_id=READER_USER, session_id=BENCH_SESSIONS[READER_USER])
        ),
        Caller.WRITER.value: codec.issue(
            TokenClaims(user_id=WRITER_USER, session_id=BENCH_SESSIONS[WRITER_USER])
        ),
    }
    chosen: list[Endpoint] = select(endpoints(options.scale), list(options.endpoints))
    report = Report(meta=_meta(options, engine))
    try:
        asyncio.run(writers.erase_all(settings))  # an interrupted run's accounts
        found = asyncio.run(probe(settings, chosen, tokens))
        writer_tokens = [token for _, token in found.writers]
        report.meta["list_response_bytes"] = found.list_response_bytes
        environment = {
            "APP_ENV": "production",
            "DATABASE_URL": database_url,
            "JWT_SECRET": secret,
            "ALLOWED_HOSTS": "127.0.0.1",
            # The write limit (300/minute per address) would turn the write benchmarks into 429s.
            "RATE_LIMITS_ENABLED": "false",
            # The targets are for the service itself: no response cache unless asked (--cache).
            "RESPONSE_CACHE_ENABLED": "false",
        }
        logs = VAR / "logs"
        conduit = commands.conduit_command(options.server, options.workers)
        with servers.serving(
            conduit.arguments,
            {**environment, **conduit.environment},
            logs / f"{options.scale.name}-{engine.lower()}-{options.server}.log",
            probe="/api/tags",
        ) as server:
            database_pid = cluster.postmaster_pid() if admin_url else None
            for endpoint in chosen:
                console.print(f"bench: {endpoint.name}")
                token = tokens.get(endpoint.caller.value)
                row = _measure(
                    endpoint.name, server, endpoint.requests, token, options, database_pid, writer_tokens
                )
                report.rows.append(_with(row, statements=found.statements[endpoint.name]))
        if options.cache:
            log = logs / f"{options.scale.name}-{engine.lower()}-{options.server}-cached.log"
            report.rows += _measure_cached(
                chosen,
                {**environment, "RESPONSE_CACHE_ENABLED": "true"},
                log,
                options,
                console,
                cluster.postmaster_pid() if admin_url else None,
            )
            report.rows.sort(key=lambda row: _table_order(row, chosen))
        if options.ceiling:
            _measure_data_ceilings(report, found, database_url, settings.db_pool_size, options, console)
            _measure_write_ceiling(report, chosen, found, database_url, options, console)
            console.print("bench: ceiling")
            bare = commands.ceiling_command(options.server, options.workers, found.list_response_bytes)
            with servers.serving(
                bare.arguments, bare.environment, logs / f"ceiling-{options.server}.log", probe="/"
            ) as ceiling:
                report.ceiling = _measure(
                    f"ceiling ({found.list_response_bytes:,} B, no database)",
                    ceiling,
                    (Request("GET", "/"),),
                    None,
                    options,
                )
            best = report.ceiling.requests_per_second
            report.rows = [_with(row, ceiling_ratio=row.requests_per_second / best) for row in report.rows]
    finally:
        seeding.restore(database_url)
        asyncio.run(writers.erase_all(settings))  # the writers' and "register"'s accounts, and all they wrote
    return report


def _measure_data_ceilings(
    report: Report, found: Probe, database_url: str, pool_size: int, options: Options, console: Console
) -> None:
    """Each read again, on the data ceiling app: the app's own statement for it on the bare driver."""
    if not found.reads:
        return
    names = list(found.reads)
    paths = {name: f"/{index}" for index, name in enumerate(names)}
    statements = VAR / "data-ceiling-statements.json"
    statements.parent.mkdir(parents=True, exist_ok=True)
    captured = {
        paths[name]: {"sql": read.sql, "arguments": read.arguments} for name, read in found.reads.items()
    }
    statements.write_text(json.dumps(captured, default=str))
    environment = {
        data_ceiling.STATEMENTS_VARIABLE: str(statements),
        data_ceiling.DATABASE_VARIABLE: database_url,
        data_ceiling.POOL_VARIABLE: str(pool_size),
    }
    bare = commands.data_ceiling_command(options.server, options.workers, environment)
    log = VAR / "logs" / f"data-ceiling-{options.server}.log"
    with servers.serving(bare.arguments, bare.environment, log, probe="/") as ceiling:
        for name in names:
            console.print(f"bench: data ceiling of {name}")
            row = _measure(name, ceiling, (Request("GET", paths[name]),), None, options)
            report.data_ceilings.append(row)
    limits = {row.endpoint: row.requests_per_second for row in report.data_ceilings}
    report.rows = [
        _with(
            row,
            data_ceiling=limits[row.endpoint],
            data_ceiling_ratio=row.requests_per_second / limits[row.endpoint],
        )
        if limits.get(row.endpoint)
        else row
        for row in report.rows
    ]


def _measure_write_ceiling(
    report: Report,
    chosen: list[Endpoint],
    found: Probe,
    database_url: str,
    options: Options,
    console: Console,
) -> None:
    """The favorite's INSERT (and undo) + COMMIT on the bare driver, one writer per connection."""
    if not found.writers or not any(endpoint.writes for endpoint in chosen):
        return
    console.print("bench: write ceiling")
    # As "favorite spread", each writer its own article, but not the one it favorited there (a run
    # can end between a favorite and its undo).
    targets = write_target_ids(options.scale)[1 + WRITERS :]
    pairs = [(user_id, target) for (user_id, _), target in zip(found.writers, targets, strict=False)]
    result = write_ceiling.measure(database_url, pairs[: options.connections], options.duration)
    limit = result.per_second
    report.write_ceiling = Row(
        endpoint=f"{write_ceiling.NAME}, {min(len(pairs), options.connections)} connections",
        requests_per_second=limit,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        errors=result.errors,
        requests=result.requests,
        statements=1,
        rss_mib=0.0,
        ceiling_ratio=None,
    )
    writes = {endpoint.name for endpoint in chosen if endpoint.writes}
    report.rows = [
        _with(row, data_ceiling=limit, data_ceiling_ratio=row.requests_per_second / limit)
        if row.endpoint in writes and limit
        else row
        for row in report.rows
    ]


def _measure_cached(
    chosen: list[Endpoint],
    environment: dict[str, str],
    log: Path,
    options: Options,
    console: Console,
    database_pid: int | None,
) -> list[Row]:
    """The anonymous reads again, on a server with the response cache on. No statement count: a hit
    reads only the generation, in a read that concurrent requests share (and that bypasses SQLAlchemy)."""
    rows = []
    conduit = commands.conduit_command(options.server, options.workers)
    with servers.serving(
        conduit.arguments, {**environment, **conduit.environment}, log, probe="/api/tags"
    ) as server:
        for endpoint in chosen:
            if endpoint.caller is Caller.ANONYMOUS and not endpoint.writes:
                console.print(f"bench: {endpoint.name} (cached)")
                name = f"{endpoint.name} (cached)"
                rows.append(_measure(name, server, endpoint.requests, None, options, database_pid))
    return rows


def _table_order(row: Row, chosen: list[Endpoint]) -> int:
    """Each cached row right below the same endpoint's uncached row."""
    names = [endpoint.name for endpoint in chosen]
    return 2 * names.index(row.endpoint.removesuffix(" (cached)")) + row.endpoint.endswith(" (cached)")


def _with(row: Row, **changes: object) -> Row:
    return replace(row, **changes)  # type: ignore[arg-type]


def default_json_path(options: Options, engine: str) -> Path:
    return VAR / f"{options.scale.name}-{engine.lower()}.json"
