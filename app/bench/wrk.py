"""Running wrk (Debian's, installed when missing) against a server and reading its summary."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.bench.endpoints import Request

SCRIPT = Path(__file__).with_name("wrk.lua")


@dataclass(frozen=True, slots=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def ensure_installed() -> str:
    """The wrk binary; installed with apt-get when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise RuntimeError("wrk is not installed; as root: apt-get install -y wrk")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", "wrk"], check=False, env=environment
    )
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update"], check=True, env=environment)
        subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", "wrk"], check=True, env=environment
        )
    return shutil.which("wrk") or "wrk"


def listing(requests: tuple[Request, ...], writer_tokens: list[str]) -> str:
    """The requests as wrk.lua reads them: method, path, body and the writer's token, if any."""
    lines = []
    for request in requests:
        token = writer_tokens[request.writer] if request.writer is not None else ""
        lines.append(f"{request.method}\t{request.path}\t{request.body}\t{token}\n")
    return "".join(lines)


def run(
    base_url: str,
    requests: tuple[Request, ...],
    *,
    token: str | None,
    connections: int,
    threads: int,
    seconds: float,
    writer_tokens: list[str] | None = None,
) -> LoadResult:
    with tempfile.TemporaryDirectory(prefix="conduit-wrk-") as directory:
        requests_file, result = Path(directory) / "requests.tsv", Path(directory) / "result.json"
        requests_file.write_text(listing(requests, writer_tokens or []))
        environment = {
            **os.environ,
            "BENCH_REQUESTS": str(requests_file),
            "BENCH_RESULT": str(result),
            "BENCH_TOKEN": token or "",
            "BENCH_NONCE": secrets.token_hex(3),  # each run's new titles and accounts are its own
        }
        command = [
            ensure_installed(),
            f"-t{threads}",
            f"-c{max(connections, threads)}",
            f"-d{max(1, round(seconds))}s",
            "--timeout=10s",
            f"--script={SCRIPT}",
            base_url,
        ]
        completed = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
        if completed.returncode != 0 or not result.exists():
            raise RuntimeError(f"wrk failed ({completed.returncode}):\n{completed.stdout}{completed.stderr}")
        summary = json.loads(result.read_text())
    return LoadResult(
        requests=summary["requests"],
        seconds=summary["duration_us"] / 1e6,
        errors=summary["status_errors"] + summary["socket_errors"],
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
    )
