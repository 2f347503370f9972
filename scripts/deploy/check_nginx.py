"""Run scripts/deploy/nginx.conf for real on this machine: nginx in front of two app processes.

    .venv/bin/python scripts/deploy/check_nginx.py            # the whole check (under a minute)
    .venv/bin/python scripts/deploy/check_nginx.py --syntax   # only `nginx -t` on the resolved copy

A manual check of the deploy example, not a test. It copies nginx.conf into a temporary directory
with its placeholders resolved to loopback (the two app hosts become two ``conduit serve`` processes
on free 127.0.0.1 ports, one of them with two workers; listen ports, certificate, pid, logs and static
files become local ones; nothing else changes), starts a throwaway PostgreSQL cluster, then checks
through nginx over HTTPS:

* plain HTTP redirects to HTTPS, and a page's cookies are ``Secure`` (X-Forwarded-Proto trusted);
* an event stream opened through nginx receives, within a second each, a comment posted straight to
  app process A, one posted straight to app process B (so one of them crossed processes through
  PostgreSQL LISTEN/NOTIFY) and one posted through nginx;
* a body over 1 MiB gets 413 from nginx, /metrics is not served, /health/ready is;
* SIGTERM to process B (a rolling restart): it exits within its grace period, its streams end, a new
  stream through nginx still works.

Needs nginx (Debian: ``apt-get install nginx``), openssl and PostgreSQL's server (installed by
scripts/pg_cluster.py when missing). Every connection goes to 127.0.0.1; everything it started is
stopped at the end, and the run is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import pg_cluster  # noqa: E402 - sibling scripts, importable
from bench_streams import HOST, Server, free_port, migrate  # noqa: E402

TIMEOUT_SECONDS = 120
DELIVERY_SECONDS = 1.0  # the bar: a comment reaches a stream on another process within 1 s
SHUTDOWN_SECONDS = 25.0  # the app's graceful-shutdown timeout (20 s) and some


class CheckFailed(Exception):
    pass


def check(condition: bool, what: str) -> None:
    if not condition:
        raise CheckFailed(what)
    print(f"  ok  {what}")


# --- the configuration, resolved to this machine ------------------------------------------------


def resolve(config: str, replacements: dict[str, str]) -> str:
    """``config`` with each placeholder replaced; a placeholder that is missing is an error, so this
    script and nginx.conf cannot drift apart silently."""
    for placeholder, value in replacements.items():
        if placeholder not in config:
            raise SystemExit(f"check_nginx: {placeholder!r} is no longer in nginx.conf; update this script")
        config = config.replace(placeholder, value)
    return config


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    certificate, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost", "-keyout", str(key), "-out", str(certificate)),
        ],
        check=True,
        capture_output=True,
    )
    return certificate, key


def write_config(directory: Path, upstreams: tuple[str, str], http_port: int, https_port: int) -> Path:
    certificate, key = self_signed_certificate(directory)
    (directory / "logs").mkdir()
    config = resolve(
        (DEPLOY / "nginx.conf").read_text(),
        {
            "server 10.0.0.11:8000": f"server {upstreams[0]}",
            "server 10.0.0.12:8000": f"server {upstreams[1]}",
            "listen 80;": f"listen {HOST}:{http_port};",
            "listen 443 ssl": f"listen {HOST}:{https_port} ssl",
            "/etc/ssl/conduit/fullchain.pem": str(certificate),
            "/etc/ssl/conduit/privkey.pem": str(key),
            "/run/nginx.pid": str(directory / "nginx.pid"),
            "/var/log/nginx/": f"{directory / 'logs'}/",
            "/srv/conduit/static/": f"{ROOT / 'app' / 'web' / 'static'}/",
        },
    )
    path = directory / "nginx.conf"
    path.write_text(config)
    return path


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        raise SystemExit("check_nginx: nginx not found; on Debian: apt-get install -y nginx")
    return found


def syntax_check(nginx: str, config: Path) -> None:
    result = subprocess.run(
        [nginx, "-t", "-q", "-p", str(config.parent), "-c", str(config)],
        check=False,
        capture_output=True,
        text=True,
    )
    print((result.stdout + result.stderr).strip() or "  nginx -t: syntax ok, test successful")
    if result.returncode != 0:
        raise SystemExit(f"check_nginx: nginx -t failed (exit {result.returncode})")


@contextlib.contextmanager
def running_nginx(nginx: str, config: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [nginx, "-p", str(config.parent), "-c", str(config), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=(config.parent / "logs" / "stderr.log").open("wb"),
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful: finish open requests, then exit
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- reading a stream ----------------------------------------------------------------------------


class Stream:
    """An open ``/api/events`` response: its messages (event name, data) arrive on a queue."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.messages: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        event, data = "message", ""
        try:
            async for line in self.response.aiter_lines():
                if line.startswith(":"):
                    self.messages.put_nowait(("comment", line[1:].strip()))
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data = line[5:].strip()
                elif not line and data:
                    self.messages.put_nowait((event, data))
                    event, data = "message", ""
        except httpx.HTTPError:
            pass
        finally:
            self.messages.put_nowait(None)

    async def next(self, within: float, *, skip_comments: bool = True) -> tuple[str, str] | None:
        """The next message within ``within`` seconds; None when the stream ended; raises on timeout."""
        deadline = time.monotonic() + within
        while True:
            message = await asyncio.wait_for(self.messages.get(), max(deadline - time.monotonic(), 0))
            if message is None or not (skip_comments and message[0] == "comment"):
                return message

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self.response.aclose()


@contextlib.asynccontextmanager
async def open_stream(client: httpx.AsyncClient, slug: str) -> AsyncIterator[Stream]:
    request = client.build_request("GET", "/api/events", params={"article": slug})
    response = await client.send(request, stream=True)
    stream = Stream(response)
    try:
        yield stream
    finally:
        await stream.close()


# --- the checks ------------------------------------------------------------------------------------


async def post_comment(client: httpx.AsyncClient, token: str, slug: str, body: str) -> int:
    response = await client.post(
        f"/api/articles/{slug}/comments",
        headers={"Authorization": f"Token {token}"},
        json={"comment": {"body": body}},
    )
    response.raise_for_status()
    return int(response.json()["comment"]["id"])


async def expect_comment(stream: Stream, comment_id: int, where: str, started: float) -> None:
    message = await stream.next(DELIVERY_SECONDS)
    elapsed_ms = (time.perf_counter() - started) * 1000
    check(
        message is not None
        and message[0] == "comment.created"
        and json.loads(message[1])["commentId"] == comment_id,
        f"the stream through nginx got the comment posted {where} ({elapsed_ms:.0f} ms)",
    )


async def run_checks(nginx_url: str, http_url: str, app_a: Server, app_b: Server) -> None:
    async with (
        httpx.AsyncClient(
            base_url=nginx_url, verify=False, timeout=10
        ) as lb,  # our own self-signed certificate
        httpx.AsyncClient(base_url=http_url, timeout=10) as plain,
        httpx.AsyncClient(base_url=app_a.url, timeout=10) as direct_a,
        httpx.AsyncClient(base_url=app_b.url, timeout=10) as direct_b,
    ):
        print("requests through nginx:")
        redirect = await plain.get("/api/tags")
        check(
            redirect.status_code == 301 and redirect.headers["location"].startswith("https://"),
            "plain HTTP is redirected to HTTPS",
        )
        page = await lb.get("/login")
        cookies = page.headers.get_list("set-cookie")
        check(
            page.status_code == 200 and bool(cookies) and all("Secure" in c for c in cookies),
            "cookies set through the TLS proxy are Secure (X-Forwarded-Proto trusted from nginx)",
        )
        check("strict-transport-security" in page.headers, "HSTS is sent (the app sees https)")
        name = f"lb{secrets.token_hex(4)}"
        user = await lb.post(
            "/api/users",
            json={
                "user": {
                    "username": name,
                    "email": f"{name}@example.com",
                    "password": secrets.token_urlsafe(12),
                }
            },
        )
        check(user.status_code in (200, 201), "sign-up through nginx")
        token = user.json()["user"]["token"]
        article = await lb.post(
            "/api/articles",
            headers={"Authorization": f"Token {token}"},
            json={
                "article": {"title": f"Behind nginx {name}", "description": "d", "body": "b", "tagList": []}
            },
        )
        check(article.status_code in (200, 201), "an article created through nginx")
        slug = article.json()["article"]["slug"]
        too_large = await lb.post("/api/users", content=b"x" * (1024 * 1024 + 1))
        check(
            too_large.status_code == 413 and too_large.headers["content-type"].startswith("text/html"),
            "a body over 1 MiB gets 413 from nginx itself (the app would answer JSON)",
        )
        check((await lb.get("/metrics")).status_code == 404, "/metrics is not served to the public")
        check((await lb.get("/health/ready")).status_code == 200, "/health/ready answers 200 through nginx")

        print("an event stream through nginx, comments posted on each app process:")
        async with open_stream(lb, slug) as stream:
            check(
                stream.response.status_code == 200
                and stream.response.headers["content-type"].startswith("text/event-stream")
                and "content-length" not in stream.response.headers,
                "the stream answers 200 text/event-stream, unbuffered (no Content-Length)",
            )
            opening = await stream.next(2, skip_comments=False)
            check(opening == ("comment", "connected"), "': connected' arrives at once (not buffered)")
            for where, client in (
                ("to process A", direct_a),
                ("to process B", direct_b),
                ("through nginx", lb),
            ):
                started = time.perf_counter()
                comment_id = await post_comment(client, token, slug, f"posted {where}")
                await expect_comment(stream, comment_id, where, started)

        print("rolling restart: SIGTERM to process B (two workers) with streams open through nginx:")
        async with open_stream(lb, slug) as first, open_stream(lb, slug) as second:
            for opened in (first, second):
                await opened.next(2, skip_comments=False)  # connected
            started = time.perf_counter()
            app_b.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(app_b.process.wait, SHUTDOWN_SECONDS)
            except subprocess.TimeoutExpired:
                raise CheckFailed(f"process B still running {SHUTDOWN_SECONDS} s after SIGTERM") from None
            check(
                app_b.process.returncode is not None,
                f"process B exited {time.perf_counter() - started:.2f} s after SIGTERM",
            )
            ended = 0
            for opened in (first, second):
                with contextlib.suppress(TimeoutError):
                    ended += await opened.next(1) is None
            # nginx sends successive requests to alternate hosts, so one stream was most likely on B.
            print(f"  --  {ended} of the 2 streams ended with process B (the others were on A)")
            async with open_stream(lb, slug) as replacement:
                check(
                    replacement.response.status_code == 200
                    and await replacement.next(2, skip_comments=False) == ("comment", "connected"),
                    "a new stream through nginx opens on the remaining host",
                )
                started = time.perf_counter()
                comment_id = await post_comment(lb, token, slug, "after the restart")
                await expect_comment(replacement, comment_id, "through nginx after the restart", started)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run the example nginx.conf locally in front of two app processes."
    )
    parser.add_argument(
        "--syntax", action="store_true", help="only resolve the placeholders and run nginx -t"
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    nginx = nginx_binary()
    workdir = Path(tempfile.mkdtemp(prefix="check-nginx-", dir="/tmp"))
    os.chmod(workdir, 0o755)  # nginx workers run as www-data
    cluster = Path(tempfile.mkdtemp(prefix="check-nginx-pg-", dir="/tmp"))
    try:
        if args.syntax:
            syntax_check(
                nginx, write_config(workdir, ("127.0.0.1:1", "127.0.0.1:2"), free_port(), free_port())
            )
            return 0
        print("starting PostgreSQL and two app processes ...")
        env = {
            **os.environ,
            "APP_ENV": "production",
            "DATABASE_URL": pg_cluster.start(cluster),
            # Every host must share the signing key (a token from one is checked by the other).
            "JWT_SECRET": secrets.token_urlsafe(48),
            # nginx passes the browser's Host on ($host); here that is the loopback address.
            "ALLOWED_HOSTS": HOST,
        }
        migrate(env)
        app_a = Server.start(env, workdir / "app-a.log")
        app_b = Server.start(env, workdir / "app-b.log", workers=2)
        try:
            http_port, https_port = free_port(), free_port()
            config = write_config(
                workdir, (f"{HOST}:{app_a.port}", f"{HOST}:{app_b.port}"), http_port, https_port
            )
            syntax_check(nginx, config)
            with running_nginx(nginx, config):
                time.sleep(0.5)
                asyncio.run(
                    asyncio.wait_for(
                        run_checks(
                            f"https://{HOST}:{https_port}", f"http://{HOST}:{http_port}", app_a, app_b
                        ),
                        TIMEOUT_SECONDS,
                    )
                )
        except (CheckFailed, TimeoutError) as failure:
            print(f"FAILED: {failure or 'timed out'}")
            for log in sorted(workdir.glob("**/*.log")):
                print(
                    f"--- {log.name} (tail) ---\n"
                    + "\n".join(log.read_text(errors="replace").splitlines()[-15:])
                )
            return 1
        finally:
            app_a.stop()
            app_b.stop()
        print("all checks passed")
        return 0
    finally:
        pg_cluster.stop(cluster)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
