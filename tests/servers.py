"""Real Conduit servers for tests: ``python -m app serve`` (uvicorn, uvloop, httptools) in a
subprocess on a free loopback port, on a database the test chose.
"""

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
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import TEST_JWT_SECRET

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_SECONDS = 60  # generous: the machines that run the tests are shared
STOP_TIMEOUT_SECONDS = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    """One running server process."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/tags", timeout=1):
                    return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        log = self.log.read_text()
        raise RuntimeError(f"server did not answer within {STARTUP_TIMEOUT_SECONDS} s:\n{log}")

    def terminate(self) -> None:
        """SIGTERM, as a process manager sends it, without waiting."""
        self.process.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # Whatever is left of its process group: the workers of a supervisor that had to be killed.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


def start_server(
    database_url: str, directory: Path, *, name: str = "server", workers: int = 1, **env: str
) -> Server:
    """Starts a server on ``database_url`` (not yet serving: see :meth:`Server.wait_until_serving`).
    Extra settings come as environment variables, e.g. ``EVENTS_RETENTION="5"``."""
    port = free_port()
    log = directory / f"{name}.log"
    environment = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "JWT_SECRET": TEST_JWT_SECRET,
        **env,
    }
    command = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--workers", str(workers)],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own, workers included (see stop)
        )
    return Server(url=f"http://127.0.0.1:{port}", process=process, log=log)


@contextmanager
def running_servers(database_url: str, directory: Path, count: int = 1, **env: str) -> Iterator[list[Server]]:
    """``count`` servers on one database, started side by side, serving; stopped afterwards."""
    with ExitStack() as stack:
        servers = []
        for number in range(count):
            server = start_server(database_url, directory, name=f"server{number}", **env)
            stack.callback(server.stop)
            servers.append(server)
        for server in servers:
            server.wait_until_serving()
        yield servers
