"""Benchmark: many concurrent event streams against one production server process.

    .venv/bin/python scripts/bench_streams.py                      # 1,000 streams, SQLite
    .venv/bin/python scripts/bench_streams.py --postgres           # on a throwaway PostgreSQL cluster
    .venv/bin/python scripts/bench_streams.py --database-url postgresql+asyncpg://u@127.0.0.1:5432/scratch
    .venv/bin/python scripts/bench_streams.py --streams 2000 --events 50 --json result.json

It starts ONE ``python -m app serve`` process (``APP_ENV=production``, one worker) on a free loopback
port and a fresh database, registers a user and an article through the API, opens N anonymous
``GET /api/events?article=<slug>`` streams from this process, and waits until every one has received
its ``: connected`` comment. It then posts K comments through the API, spaced ``--interval`` apart,
and records for every stream when each ``comment.created`` arrived. A delivery's latency is its
arrival time minus the time just before the POST was sent (the event is dispatched at commit,
before the POST's response, so the response time would be too late a start). Finally it sends the
server SIGTERM with every stream still open and measures how long the process takes to exit.

Printed: a table and one JSON object (streams, deliveries received/expected, latency percentiles,
the server's RSS before and after opening the streams, RSS per stream, shutdown time, errors).
Figures, not pass/fail: this is not a test. Every connection goes to 127.0.0.1, and the whole run is
bounded by ``--timeout``.

The client is raw asyncio (one ``Protocol`` per stream, a small chunked/SSE parser, uvloop when
installed), so the benchmark itself costs little next to the server. The API calls use httpx.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS = 60
CONNECT_TIMEOUT_SECONDS = 30
DRAIN_SECONDS = 5.0  # after the last POST, how long deliveries may still arrive
SHUTDOWN_WAIT_SECONDS = 30.0  # longer than the server's graceful-shutdown timeout (20 s)
EVENT_SEPARATOR = re.compile(rb"\r\n\r\n|\n\n|\r\r")


# --- the server under test ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def raise_open_files_limit(streams: int) -> int:
    """Both ends of every stream live on this machine: this process holds N sockets, the server
    (which inherits the limit) N more. Raise the soft limit as far as the hard one allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = streams + 512
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new_soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))
        soft = new_soft
    if soft != resource.RLIM_INFINITY and soft < wanted:
        print(f"bench: warning: open-files limit {soft} < {wanted}; streams may fail", file=sys.stderr)
    return int(soft)


def rss_kib(pid: int) -> int:
    """The resident set size of ``pid`` in KiB (psutil if installed, else /proc)."""
    try:
        import psutil  # type: ignore[import-untyped]  # noqa: PLC0415 - optional
    except ImportError:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError(f"no VmRSS for pid {pid}") from None
    return int(psutil.Process(pid).memory_info().rss) // 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time ``pid`` has used so far (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_env(database_url: str, streams: int) -> dict[str, str]:
    return {
        **os.environ,
        "APP_ENV": "production",
        "DATABASE_URL": database_url,
        "JWT_SECRET": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": HOST,
        # The stream caps must let every benchmark stream (and the warm-up one) in: they are all
        # anonymous and come from this one address.
        "EVENTS_MAX_STREAMS": str(max(streams + 16, 5000)),
        "EVENTS_MAX_STREAMS_PER_ADDRESS": str(streams + 16),
        "LOG_LEVEL": "WARNING",  # one access-log line per stream would only measure the log
        "RATE_LIMITS_ENABLED": "false",  # --events 1000 is a benchmark, not abuse
    }


def migrate(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"bench: migrate failed:\n{result.stdout}{result.stderr}")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    port: int
    log: Path

    @classmethod
    def start(cls, env: dict[str, str], log: Path, *, workers: int = 1) -> Server:
        """``python -m app serve`` on a free loopback port, once it answers."""
        port = free_port()
        command = ["serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "app", *command],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        server = cls(process=process, url=f"http://{HOST}:{port}", port=port, log=log)
        server.wait_until_serving()
        return server

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"bench: server exited early:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/tags", timeout=1):
                    return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        raise SystemExit(
            f"bench: server did not answer within {STARTUP_TIMEOUT_SECONDS} s:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=SHUTDOWN_WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- the stream client -------------------------------------------------------------------------


class StreamClient(asyncio.Protocol):
    """One SSE stream over raw HTTP/1.1: decodes the chunked body and records each comment's arrival."""

    def __init__(
        self, request: bytes, loop: asyncio.AbstractEventLoop, on_arrival: Callable[[], None]
    ) -> None:
        self._request = request
        self._on_arrival = on_arrival
        self._raw = bytearray()
        self._sse = bytearray()
        self._head_done = False
        self._chunked = False
        self.transport: asyncio.Transport | None = None
        self.connected: asyncio.Future[None] = loop.create_future()
        self.lost: asyncio.Future[None] = loop.create_future()
        self.arrivals: dict[int, float] = {}  # comment id -> arrival time (perf_counter)
        self.resyncs = 0
        self.ended_by_server = False  # the body ended (last chunk) or the server closed the socket
        self.error: str | None = None

    # asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass it
        self.transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()  # the arrival time of everything in this read
        self._raw += data
        if not self._head_done and not self._parse_head():
            return
        if self._chunked:
            self._decode_chunks()
        else:
            self._sse += self._raw
            self._raw.clear()
        self._parse_events(now)

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None and self.error is None:
            self.error = f"{type(exc).__name__}: {exc}"
        self.ended_by_server = self.ended_by_server or exc is None
        if not self.connected.done():
            self.connected.set_exception(ConnectionError(self.error or "closed before ': connected'"))
        if not self.lost.done():
            self.lost.set_result(None)

    # parsing

    def _parse_head(self) -> bool:
        end = self._raw.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self._raw[:end]).decode("latin-1").split("\r\n")
        del self._raw[: end + 4]
        self._head_done = True
        status = int(head[0].split()[1])
        headers = {
            name.strip().lower(): value.strip().lower()
            for name, _, value in (h.partition(":") for h in head[1:])
        }
        self._chunked = "chunked" in headers.get("transfer-encoding", "")
        if status != 200:
            self.fail(f"HTTP {status}")
            return False
        return True

    def _decode_chunks(self) -> None:
        while True:
            line_end = self._raw.find(b"\r\n")
            if line_end < 0:
                return
            size = int(bytes(self._raw[:line_end]).split(b";")[0], 16)
            if size == 0:
                self.ended_by_server = True
                self._raw.clear()
                return
            if len(self._raw) < line_end + 2 + size + 2:
                return
            self._sse += self._raw[line_end + 2 : line_end + 2 + size]
            del self._raw[: line_end + 2 + size + 2]

    def _parse_events(self, now: float) -> None:
        while match := EVENT_SEPARATOR.search(self._sse):
            block = bytes(self._sse[: match.start()])
            del self._sse[: match.end()]
            self._on_event(block.decode("utf-8").splitlines(), now)

    def _on_event(self, lines: list[str], now: float) -> None:
        kind, data = "message", ""
        for line in lines:
            if line == ": connected":
                if not self.connected.done():
                    self.connected.set_result(None)
            elif line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip()
        if kind == "comment.created":
            comment_id = int(json.loads(data)["commentId"])
            if comment_id not in self.arrivals:
                self.arrivals[comment_id] = now
                self._on_arrival()
        elif kind == "resync":
            self.resyncs += 1

    def fail(self, message: str) -> None:
        self.error = message
        if not self.connected.done():
            self.connected.set_exception(ConnectionError(message))
        if self.transport is not None:
            self.transport.close()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Report:
    engine: str
    streams: int
    events: int
    interval_ms: float
    connected: int = 0
    connect_seconds: float | None = None
    deliveries_expected: int = 0
    deliveries_received: int = 0
    latency_ms: dict[str, float | None] = field(default_factory=dict)
    fanout_ms: dict[str, float | None] = field(default_factory=dict)  # first to last arrival, per event
    server_cpu_per_event_ms: float | None = None
    client_cpu_per_event_ms: float | None = None  # this process: is the client keeping up?
    rss_before_kib: int | None = None
    rss_after_streams_kib: int | None = None
    rss_after_events_kib: int | None = None
    rss_per_stream_kib: float | None = None
    post_ms: dict[str, float | None] = field(default_factory=dict)
    resyncs: int = 0
    shutdown_seconds: float | None = None
    streams_ended_by_server: int = 0
    load_average: float = field(
        default_factory=lambda: round(os.getloadavg()[0], 2)
    )  # others on the machine?
    errors: list[str] = field(default_factory=list)


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summary_ms(seconds: list[float]) -> dict[str, float | None]:
    values = sorted(s * 1000 for s in seconds)
    points = {"p50": 0.50, "p90": 0.90, "p99": 0.99}
    result = {name: percentile(values, fraction) for name, fraction in points.items()}
    result["max"] = values[-1] if values else None
    return {name: None if value is None else round(value, 2) for name, value in result.items()}


class Bench:
    def __init__(self, server: Server, args: argparse.Namespace, report: Report) -> None:
        self.server = server
        self.args = args
        self.report = report
        self.clients: list[StreamClient] = []
        self.sent: dict[int, float] = {}  # comment id -> time just before its POST was sent
        self.post_seconds: list[float] = []
        self.arrived = 0  # comment.created deliveries so far, all streams
        self.expected: int | None = None  # known once every comment is posted
        self.all_delivered = asyncio.Event()

    def note(self, message: str) -> None:
        print(f"bench: {message}", file=sys.stderr, flush=True)

    def error(self, message: str) -> None:
        if len(self.report.errors) < 50:
            self.report.errors.append(message)

    async def run(self) -> None:
        async with httpx.AsyncClient(base_url=self.server.url, timeout=30) as api:
            token, slug = await self.set_up(api)
            auth = {"Authorization": f"Token {token}"}
            await self.warm_up(api, slug, auth)
            self.report.rss_before_kib = rss_kib(self.server.process.pid)
            await self.open_streams(slug)
            await asyncio.sleep(0.5)  # let the server settle (tasks parked, buffers released)
            self.report.rss_after_streams_kib = rss_kib(self.server.process.pid)
            if self.report.connected:
                grown = self.report.rss_after_streams_kib - self.report.rss_before_kib
                self.report.rss_per_stream_kib = round(grown / self.report.connected, 1)
            server_before, client_before = cpu_seconds(self.server.process.pid), cpu_seconds(os.getpid())
            await self.publish(api, slug, auth)
            await self.wait_for_deliveries()
            events = max(len(self.sent), 1)
            server_spent = cpu_seconds(self.server.process.pid) - server_before
            client_spent = cpu_seconds(os.getpid()) - client_before
            self.report.server_cpu_per_event_ms = round(server_spent * 1000 / events, 1)
            self.report.client_cpu_per_event_ms = round(client_spent * 1000 / events, 1)
            self.report.rss_after_events_kib = rss_kib(self.server.process.pid)
        await self.shut_down_server()

    async def set_up(self, api: httpx.AsyncClient) -> tuple[str, str]:
        name = f"bench{secrets.token_hex(4)}"
        response = await api.post(
            "/api/users",
            json={
                "user": {
                    "username": name,
                    "email": f"{name}@example.com",
                    "password": secrets.token_urlsafe(16),
                }
            },
        )
        response.raise_for_status()
        token: str = response.json()["user"]["token"]
        response = await api.post(
            "/api/articles",
            headers={"Authorization": f"Token {token}"},
            json={
                "article": {
                    "title": f"Live {name}",
                    "description": "benchmark",
                    "body": "streams",
                    "tagList": [],
                }
            },
        )
        response.raise_for_status()
        slug: str = response.json()["article"]["slug"]
        return token, slug

    async def warm_up(self, api: httpx.AsyncClient, slug: str, auth: dict[str, str]) -> None:
        """One stream and one comment first, so lazy imports and first-use caches are not counted."""
        client = await self.connect(slug)
        response = await api.post(
            f"/api/articles/{slug}/comments", headers=auth, json={"comment": {"body": "warm-up"}}
        )
        response.raise_for_status()
        await asyncio.sleep(0.2)
        client.close()
        await asyncio.wait_for(client.lost, 5)
        await asyncio.sleep(0.3)

    def stream_request(self, slug: str) -> bytes:
        return (
            f"GET /api/events?article={slug} HTTP/1.1\r\nHost: {HOST}:{self.server.port}\r\n"
            "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"
        ).encode()

    async def connect(self, slug: str) -> StreamClient:
        loop = asyncio.get_running_loop()
        request = self.stream_request(slug)
        _, client = await loop.create_connection(
            lambda: StreamClient(request, loop, self.on_arrival), HOST, self.server.port
        )
        await asyncio.wait_for(client.connected, CONNECT_TIMEOUT_SECONDS)
        return client

    async def open_streams(self, slug: str) -> None:
        gate = asyncio.Semaphore(self.args.connect_concurrency)

        async def open_one() -> None:
            async with gate:
                try:
                    self.clients.append(await self.connect(slug))
                except (OSError, TimeoutError) as error:
                    self.error(f"stream did not connect: {type(error).__name__}: {error}")

        started = time.perf_counter()
        await asyncio.gather(*(open_one() for _ in range(self.args.streams)))
        self.report.connect_seconds = round(time.perf_counter() - started, 3)
        self.report.connected = len(self.clients)
        report = self.report
        self.note(f"{report.connected} of {report.streams} streams open after {report.connect_seconds} s")

    async def publish(self, api: httpx.AsyncClient, slug: str, auth: dict[str, str]) -> None:
        for number in range(self.args.events):
            sent = time.perf_counter()
            response = await api.post(
                f"/api/articles/{slug}/comments", headers=auth, json={"comment": {"body": f"event {number}"}}
            )
            self.post_seconds.append(time.perf_counter() - sent)
            if response.status_code not in {200, 201}:
                self.error(f"POST comment {number}: HTTP {response.status_code}")
            else:
                self.sent[int(response.json()["comment"]["id"])] = sent
            await asyncio.sleep(self.args.interval)

    def on_arrival(self) -> None:
        self.arrived += 1
        if self.expected is not None and self.arrived >= self.expected:
            self.all_delivered.set()

    async def wait_for_deliveries(self) -> None:
        # The warm-up comment was posted before these streams opened: every arrival is one of ours.
        self.expected = len(self.clients) * len(self.sent)
        if self.arrived >= self.expected:
            self.all_delivered.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.all_delivered.wait(), DRAIN_SECONDS)

    async def shut_down_server(self) -> None:
        """SIGTERM with every stream open: the streams should end and the process exit promptly."""
        started = time.perf_counter()
        self.server.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(self.server.process.wait, SHUTDOWN_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.error(f"server still running {SHUTDOWN_WAIT_SECONDS} s after SIGTERM")
        else:
            self.report.shutdown_seconds = round(time.perf_counter() - started, 3)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(client.lost for client in self.clients)), 2)
        self.report.streams_ended_by_server = sum(client.ended_by_server for client in self.clients)

    def summarise(self) -> None:
        latencies = [
            arrived - self.sent[comment_id]
            for client in self.clients
            for comment_id, arrived in client.arrivals.items()
            if comment_id in self.sent
        ]
        self.report.deliveries_expected = self.args.streams * self.args.events
        self.report.deliveries_received = len(latencies)
        self.report.latency_ms = summary_ms(latencies)
        spreads = []
        for comment_id in self.sent:
            arrivals = [
                client.arrivals[comment_id] for client in self.clients if comment_id in client.arrivals
            ]
            if arrivals:
                spreads.append(max(arrivals) - min(arrivals))
        self.report.fanout_ms = summary_ms(spreads)
        self.report.post_ms = summary_ms(self.post_seconds)
        self.report.resyncs = sum(client.resyncs for client in self.clients)
        errors = [client.error for client in self.clients if client.error and not client.ended_by_server]
        for message in sorted(set(errors)):
            self.error(f"{errors.count(message)} stream(s): {message}")
        for client in self.clients:
            client.close()


# --- output ------------------------------------------------------------------------------------


def mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f} MiB"


def table(report: Report) -> str:
    lat, post = report.latency_ms, report.post_ms

    def ms(values: dict[str, float | None], name: str) -> str:
        value = values.get(name)
        return "-" if value is None else f"{value:.1f}"

    rows = [
        ("engine", report.engine),
        ("streams", f"{report.connected} connected of {report.streams} (in {report.connect_seconds} s)"),
        ("events", f"{report.events} comments, one every {report.interval_ms:.0f} ms"),
        ("deliveries", f"{report.deliveries_received} received of {report.deliveries_expected} expected"),
        (
            "latency ms",
            f"p50 {ms(lat, 'p50')}  p90 {ms(lat, 'p90')}  p99 {ms(lat, 'p99')}  max {ms(lat, 'max')}",
        ),
        (
            "fan-out ms",
            f"p50 {ms(report.fanout_ms, 'p50')}  max {ms(report.fanout_ms, 'max')}  (first to last stream)",
        ),
        (
            "CPU per event",
            f"server {report.server_cpu_per_event_ms} ms, this client {report.client_cpu_per_event_ms} ms",
        ),
        ("POST ms", f"p50 {ms(post, 'p50')}  p99 {ms(post, 'p99')}  max {ms(post, 'max')}"),
        (
            "server RSS",
            f"before {mib(report.rss_before_kib)}, with streams {mib(report.rss_after_streams_kib)}, "
            f"after events {mib(report.rss_after_events_kib)}",
        ),
        (
            "RSS per stream",
            "-" if report.rss_per_stream_kib is None else f"{report.rss_per_stream_kib:.1f} KiB",
        ),
        ("resyncs", str(report.resyncs)),
        ("load average", f"{report.load_average} at the start (other work on this machine skews latency)"),
        (
            "SIGTERM",
            f"exit {report.shutdown_seconds} s after it; "
            f"{report.streams_ended_by_server} streams ended by the server",
        ),
        ("errors", str(len(report.errors)) + "".join(f"\n  {e}" for e in report.errors)),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


# --- entry point -------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Open N concurrent event streams against one production server process, publish "
        "K comments, print delivery latency and the server's memory.",
    )
    parser.add_argument("--streams", type=int, default=1000, help="concurrent streams (default 1000)")
    parser.add_argument("--events", type=int, default=20, help="comments to publish (default 20)")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between comments (default 0.2)")
    engine = parser.add_mutually_exclusive_group()
    engine.add_argument(
        "--database-url",
        help="a throwaway PostgreSQL database (postgresql+asyncpg://...); migrated, then written to. "
        "Default: a temporary SQLite file",
    )
    engine.add_argument(
        "--postgres", action="store_true", help="start a throwaway PostgreSQL cluster and use it"
    )
    parser.add_argument("--connect-concurrency", type=int, default=100, help="streams being opened at once")
    parser.add_argument(
        "--timeout", type=float, default=300, help="bound on the whole run, seconds (default 300)"
    )
    parser.add_argument("--json", type=Path, help="also write the JSON result to this file")
    args = parser.parse_args(argv)
    if args.streams < 1 or args.events < 1 or args.connect_concurrency < 1:
        parser.error("--streams, --events and --connect-concurrency must be at least 1")
    return args


def _loop_factory() -> Any:
    """uvloop's loop when installed (it is with the app): a cheaper client."""
    try:
        import uvloop  # noqa: PLC0415 - optional
    except ImportError:
        return None
    return uvloop.new_event_loop


async def bench(server: Server, args: argparse.Namespace, report: Report) -> None:
    runner = Bench(server, args, report)
    bound = asyncio.timeout(args.timeout)
    try:
        async with bound:
            await runner.run()
    except TimeoutError:
        if not bound.expired():
            raise
        runner.error(f"timed out (--timeout {args.timeout:.0f} s)")
    finally:
        runner.summarise()


@contextlib.contextmanager
def database(args: argparse.Namespace, workdir: Path) -> Iterator[tuple[str, str]]:
    """The database URL to benchmark on, and what it is; a cluster started here is removed after."""
    if args.database_url:
        yield args.database_url, "postgresql" if "postgresql" in args.database_url else "given"
    elif not args.postgres:
        yield f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}", "sqlite"
    else:
        sys.path.insert(0, str(ROOT / "scripts"))
        import pg_cluster  # noqa: PLC0415 - the sibling script, importable

        # Its own directory straight under /tmp: the postgres user must reach it (workdir is 0700).
        cluster = Path(tempfile.mkdtemp(prefix="bench-streams-pg-", dir="/tmp"))
        try:
            yield pg_cluster.start(cluster), "postgresql (throwaway cluster)"
        finally:
            pg_cluster.stop(cluster)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    raise_open_files_limit(args.streams)
    workdir = Path(tempfile.mkdtemp(prefix="bench-streams-", dir="/tmp"))
    server: Server | None = None
    try:
        with database(args, workdir) as (database_url, engine):
            env = server_env(database_url, args.streams)
            migrate(env)
            server = Server.start(env, workdir / "server.log")
            try:
                report = Report(
                    engine=engine, streams=args.streams, events=args.events, interval_ms=args.interval * 1000
                )
                args.timeout = max(args.timeout - (time.monotonic() - started), 1.0)
                with asyncio.Runner(loop_factory=_loop_factory()) as runner:
                    runner.run(bench(server, args, report))
            finally:
                server.stop()
        if report.errors:
            print(f"bench: server log tail:\n{server.log_tail()}", file=sys.stderr)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(table(report))
    result: dict[str, Any] = report.__dict__
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 1 if report.errors or report.deliveries_received < report.deliveries_expected else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
