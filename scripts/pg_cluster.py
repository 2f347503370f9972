"""A throwaway PostgreSQL cluster for tests.

    python scripts/pg_cluster.py start DIR   # prints the URL, also written to DIR/url
    python scripts/pg_cluster.py restart DIR # restarts the server (same port): drops every connection
    python scripts/pg_cluster.py resume DIR  # starts DIR's stopped server again (or finds it running)
    python scripts/pg_cluster.py stop DIR    # stops the server and removes DIR

Importable as well: ``start(directory) -> url``, ``resume(directory) -> url``, ``restart(directory)``
and ``stop(directory)``.

Standard library only: this runs before (and outside) the app, so it must not import it.
The cluster trades durability for speed (fsync off etc.) and trusts every local
connection, so never point it at data you want to keep.

When run as root (CI), PostgreSQL's server refuses to start, so initdb/pg_ctl run as the
``postgres`` system user; DIR must then be reachable by that user: use a directory under
/tmp, not one under /root.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

PG_USER = "postgres"  # both the OS user (when root) and the database superuser
# Debian's layout: one directory per major version, off PATH.
PG_GLOB = "/usr/lib/postgresql/*/bin/initdb"
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "200",
    # Speed over durability: the cluster is thrown away after the run.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}
# Only local connections, all trusted (listen_addresses keeps it on loopback anyway).
PG_HBA = "local all all trust\nhost all all 127.0.0.1/32 trust\n"
# Unix socket paths are capped at 107 bytes (sun_path); the socket lives in DIR.
MAX_SOCKET_PATH = 107


def _fail(message: str) -> NoReturn:
    raise SystemExit(f"pg_cluster: {message}")


def _is_root() -> bool:
    return os.geteuid() == 0


def _find_bindir() -> Path | None:
    candidates = [Path(p).parent for p in glob.glob(PG_GLOB)]
    # Highest major version first ("9.6" < "15"), compared numerically.
    candidates.sort(key=lambda d: [int(x) for x in re.findall(r"\d+", d.parent.name)], reverse=True)
    pg_config = shutil.which("pg_config")
    if not candidates and pg_config:  # e.g. a non-Debian layout
        out = subprocess.run(
            [pg_config, "--bindir"], check=False, capture_output=True, text=True
        ).stdout.strip()
        if out and (Path(out) / "initdb").exists():
            candidates.append(Path(out))
    return candidates[0] if candidates else None


def server_bindir() -> Path:
    """Where initdb/pg_ctl are; installs Debian's server package if missing and root."""
    bindir = _find_bindir()
    if bindir is None and _is_root():
        print(
            "pg_cluster: PostgreSQL server not found, installing it with apt-get",
            file=sys.stderr,
        )
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        # stdout goes to stderr: our own stdout carries only the URL.
        for cmd in (
            ["apt-get", "update"],
            ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"],
        ):
            subprocess.run(cmd, check=True, env=env, stdout=sys.stderr)
        bindir = _find_bindir()
    if bindir is None:
        _fail(
            "PostgreSQL server binaries (initdb, pg_ctl) not found under "
            "/usr/lib/postgresql/*/bin.\n"
            "Install the Debian package as root: apt-get install postgresql"
        )
    return bindir


def _ensure_pg_user() -> None:
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/var/lib/postgresql",
                "--shell",
                "/bin/bash",
                PG_USER,
            ],
            check=True,
        )


def _run_pg(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL tool (as the postgres user if we are root), capturing output."""
    if _is_root():
        args = ["runuser", "-u", PG_USER, "--", *args]
    # cwd=DIR: as postgres, the caller's cwd (e.g. /root) may not be readable.
    return subprocess.run(args, check=False, cwd=cwd, capture_output=True, text=True)


def _check(result: subprocess.CompletedProcess[str], what: str, log: Path | None = None) -> None:
    if result.returncode == 0:
        return
    details = (result.stdout + result.stderr).strip()
    if log is not None and log.exists():
        details += f"\n--- {log} ---\n" + log.read_text(errors="replace")[-4000:]
    _fail(f"{what} failed (exit {result.returncode}):\n{details}")


def _free_port() -> int:
    # The kernel picks an unused port; there is a small window before postgres binds it,
    # which start() covers by retrying with another port.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare_dir(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()):
        _fail(f"{directory} is not empty; give a new or empty directory")
    directory.mkdir(parents=True, exist_ok=True)
    if _is_root():
        _ensure_pg_user()
        shutil.chown(directory, PG_USER, PG_USER)
        # Every parent must be searchable by postgres (/root usually is not).
        if _run_pg(["test", "-w", str(directory)], cwd=Path("/")).returncode != 0:
            _fail(
                f"{directory} is not reachable by the '{PG_USER}' user (a parent "
                "directory is not traversable); use a directory under /tmp instead"
            )


def start(directory: Path) -> str:
    """Create and start a fresh cluster in ``directory``; return its SQLAlchemy URL."""
    directory = Path(directory).resolve()
    bindir = server_bindir()
    _prepare_dir(directory)
    data, log = directory / "data", directory / "server.log"

    _check(
        _run_pg(
            [
                str(bindir / "initdb"),
                f"--pgdata={data}",
                f"--username={PG_USER}",
                # C.UTF-8 (always present on Debian 12) so lower()/upper() handle non-ASCII.
                *["--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"],
            ],
            cwd=directory,
        ),
        "initdb",
    )
    (data / "pg_hba.conf").write_text(PG_HBA)
    # PostgreSQL 15's initdb has no -c option (added in 16), so the settings go in an
    # included file; it is rewritten with a new port if the first one was taken.
    with open(data / "postgresql.conf", "a") as conf:
        conf.write("\ninclude 'throwaway.conf'\n")

    for _attempt in range(3):
        port = _free_port()
        socket_file = directory / f".s.PGSQL.{port}"
        if len(str(socket_file)) > MAX_SOCKET_PATH:
            _fail(f"{directory} is too long for a unix socket path; use a shorter one")
        settings = {
            **SETTINGS,
            "port": str(port),
            "unix_socket_directories": f"'{directory}'",
        }
        (data / "throwaway.conf").write_text("".join(f"{k} = {v}\n" for k, v in settings.items()))
        if _is_root():
            for path in (data / "pg_hba.conf", data / "throwaway.conf"):
                shutil.chown(path, PG_USER, PG_USER)
        log_offset = log.stat().st_size if log.exists() else 0
        pg_ctl = [str(bindir / "pg_ctl"), f"--pgdata={data}", f"--log={log}"]
        result = _run_pg([*pg_ctl, "--wait", "--timeout=60", "start"], cwd=directory)
        if result.returncode == 0:
            break
        with open(log, errors="replace") as f:  # only this attempt's part of the log
            f.seek(log_offset)
            if "could not bind" not in f.read():
                _check(result, "pg_ctl start", log)
    else:
        _check(result, "pg_ctl start (no free port after 3 tries)", log)

    url = f"postgresql+asyncpg://{PG_USER}@127.0.0.1:{port}/postgres"
    (directory / "url").write_text(url + "\n")
    return url


def restart(directory: Path) -> None:
    """Restart the running cluster in ``directory`` (fast: clients are disconnected), and wait."""
    directory = Path(directory).resolve()
    data, log = directory / "data", directory / "server.log"
    pg_ctl = [str(server_bindir() / "pg_ctl"), f"--pgdata={data}", f"--log={log}"]
    _check(
        _run_pg([*pg_ctl, "--mode=fast", "--wait", "--timeout=60", "restart"], cwd=directory),
        "pg_ctl restart",
        log,
    )


def resume(directory: Path) -> str:
    """Start the cluster already created in ``directory`` (same port) unless it runs; return its URL.

    For clusters kept between runs (the benchmark's): the data survives, the server may not have."""
    directory = Path(directory).resolve()
    data, log = directory / "data", directory / "server.log"
    url_file = directory / "url"
    if not url_file.exists():
        _fail(f"{directory} holds no cluster; create one with start")
    pg_ctl = [str(server_bindir() / "pg_ctl"), f"--pgdata={data}", f"--log={log}"]
    if _run_pg([*pg_ctl, "status"], cwd=directory).returncode != 0:
        _check(_run_pg([*pg_ctl, "--wait", "--timeout=120", "start"], cwd=directory), "pg_ctl start", log)
    return url_file.read_text().strip()


def stop(directory: Path) -> None:
    """Stop the cluster in ``directory`` (if running) and remove the directory."""
    directory = Path(directory).resolve()
    data = directory / "data"
    if (data / "postmaster.pid").exists():
        bindir = server_bindir()
        # -m immediate: no checkpoint, nothing in it is worth keeping.
        result = _run_pg(
            [str(bindir / "pg_ctl"), f"--pgdata={data}", "--mode=immediate", "stop"],
            cwd=directory,
        )
        # It fails on e.g. a stale pid file after a crash: clean up anyway.
        if result.returncode != 0:
            print(
                f"pg_cluster: pg_ctl stop: {(result.stdout + result.stderr).strip()}",
                file=sys.stderr,
            )
    shutil.rmtree(directory, ignore_errors=True)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "resume", "restart", "stop"):
        print(f"usage: {Path(sys.argv[0]).name} start|resume|restart|stop DIR", file=sys.stderr)
        return 2
    command, directory = argv[0], Path(argv[1])
    if command == "start":
        print(start(directory))
    elif command == "resume":
        print(resume(directory))
    elif command == "restart":
        restart(directory)
    else:
        stop(directory)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
