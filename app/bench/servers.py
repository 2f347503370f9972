"""Server processes under load: Conduit and the ceiling app, as ``app.bench.commands`` runs them."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

STARTUP_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class Running:
    url: str
    process: subprocess.Popen[bytes]

    def rss_mib(self) -> float:
        """Resident memory of the server and its workers."""
        try:
            root = psutil.Process(self.process.pid)
            processes = [root, *root.children(recursive=True)]
            return float(sum(process.memory_info().rss for process in processes)) / 2**20
        except psutil.Error:
            return 0.0

    def cpu_seconds(self) -> float:
        """CPU time the server and its workers have used so far."""
        return process_tree_cpu_seconds(self.process.pid)


def process_tree_cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its children (0 if it is gone). On a shared
    machine this, per request, is what stays comparable when requests per second do not."""
    try:
        root = psutil.Process(pid)
        total = 0.0
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
        return total
    except psutil.Error:
        return 0.0


def _wait_until_serving(running: Running, probe: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(running.url + probe, timeout=2):  # noqa: S310 - our loopback server
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(
        f"server did not answer within {STARTUP_TIMEOUT_SECONDS} s:\n{log.read_text()[-4000:]}"
    )


@contextmanager
def serving(command: list[str], environment: dict[str, str], log: Path, *, probe: str) -> Iterator[Running]:
    """Run ``command`` (which serves on the port in its arguments) until the block ends."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, *command, "--port", str(port)],
            env={**os.environ, **environment},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    running = Running(url=f"http://127.0.0.1:{port}", process=process)
    try:
        _wait_until_serving(running, probe, log)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
