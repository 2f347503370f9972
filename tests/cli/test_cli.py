"""The ``conduit`` command line, run for real as subprocesses (``python -m app ...``) against a fresh
SQLite file: ``migrate``, ``check`` (and its failures: unreachable database, unsafe production
configuration), ``seed`` (with its staff account, and that a second run writes nothing, and that
staging and production refuse it), ``--help`` and ``serve``; an invalid setting is reported one line
each, without a traceback and without the value of any secret.
"""

from __future__ import annotations

import re
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.demo_data import AUTHORS
from tests.databases import ROOT

PYTHON = str(ROOT / ".venv" / "bin" / "python")
CONDUIT = str(ROOT / ".venv" / "bin" / "conduit")
TABLES = ("users", "follows", "articles", "tags", "article_tags", "favorites", "comments")


def _conduit(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "app", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _said(result: subprocess.CompletedProcess[str]) -> str:
    """Everything the command printed, on one line (the console wraps long messages)."""
    return " ".join((result.stdout + result.stderr).split())


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there any more


def _rows(database_file: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(database_file) as connection:
        return {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() for table in TABLES
        }


# --- migrate and check ----------------------------------------------------------------------------


def test_migrate_then_check_succeed_on_a_fresh_database(
    environment: dict[str, str], database_file: Path
) -> None:
    migrate = _conduit(environment, "migrate")
    check = _conduit(environment, "check")

    assert migrate.returncode == 0, _said(migrate)
    assert "database at head" in _said(migrate)
    assert check.returncode == 0, _said(check)
    assert "environment: test" in _said(check)
    assert "database: ok" in _said(check)
    with sqlite3.connect(database_file) as connection:
        tables = {
            name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    assert set(TABLES) <= tables


def test_check_fails_clearly_when_the_database_is_unreachable(environment: dict[str, str]) -> None:
    url = f"postgresql+asyncpg://conduit:hunter2-secret@127.0.0.1:{_closed_port()}/conduit"

    check = _conduit({**environment, "DATABASE_URL": url}, "check")

    assert check.returncode == 1
    assert "database unreachable" in _said(check)
    assert "hunter2-secret" not in _said(check)  # the password never reaches the output


def test_check_refuses_production_without_a_jwt_secret(environment: dict[str, str]) -> None:
    check = _conduit({**environment, "APP_ENV": "production"}, "check")

    assert check.returncode == 1
    assert "configuration invalid" in _said(check)
    assert "JWT_SECRET must be set" in _said(check)


# Secret values given to the processes below; none of them, nor any piece of them, may be printed.
JWT_SECRET_VALUE = "jwt-secret-value-0123456789abcdefghijklmnopqrstuvwxyz"
SHORT_JWT_SECRET = "short-jwt-secret-tail9"
DATABASE_PASSWORD = "db-password-tail8"
REDIS_PASSWORD = "redis-password-tail7"
PRODUCTION = {
    "APP_ENV": "production",
    "JWT_SECRET": JWT_SECRET_VALUE,
    "DATABASE_URL": f"postgresql+asyncpg://conduit:{DATABASE_PASSWORD}@127.0.0.1:1/conduit",
    "REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:1/0",
    "ALLOWED_HOSTS": "conduit.example.com",
}
INVALID_SETTINGS = {
    # An error of the whole model: pydantic quoted every value it was given.
    "short secret": (
        {"JWT_SECRET": SHORT_JWT_SECRET},
        ["JWT_SECRET must be set to a random value of at least 32 characters when APP_ENV=production"],
    ),
    # Errors of secret-bearing fields: pydantic quoted the URL, password and all.
    "bad urls": (
        {
            "DATABASE_URL": f"mysql://conduit:{DATABASE_PASSWORD}@db/conduit",
            "REDIS_URL": f"http://:{REDIS_PASSWORD}@cache:6379/0",
            "DB_POOL_SIZE": "many",
        },
        [
            "DATABASE_URL must use sqlite+aiosqlite:// or postgresql+asyncpg://",
            "DB_POOL_SIZE: Input should be a valid integer, unable to parse string as an integer",
            "REDIS_URL must use redis://, rediss:// or redis+unix://",
        ],
    ),
}


def _secret_pieces() -> list[str]:
    """The secrets, and their last 8 characters (a truncated value still shows its tail)."""
    secrets = [JWT_SECRET_VALUE, SHORT_JWT_SECRET, DATABASE_PASSWORD, REDIS_PASSWORD]
    return [piece for secret in secrets for piece in (secret, secret[-8:])]


@pytest.mark.parametrize("command", ["serve", "check"])
@pytest.mark.parametrize("case", INVALID_SETTINGS)
def test_invalid_settings_are_reported_one_line_each_without_a_traceback_or_a_secret(
    environment: dict[str, str], command: str, case: str
) -> None:
    invalid, expected = INVALID_SETTINGS[case]

    result = _conduit({**environment, **PRODUCTION, **invalid}, command)

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    for piece in _secret_pieces():
        assert piece not in output
    assert result.stderr.splitlines() == [f"configuration invalid: {line}" for line in expected]


# --- seed -----------------------------------------------------------------------------------------


def test_seed_creates_the_demo_users_and_articles(migrated: dict[str, str], database_file: Path) -> None:
    seed = _conduit(migrated, "seed", "--articles-per-user", "2")

    assert seed.returncode == 0, _said(seed)
    assert f"seeded {len(AUTHORS)} users and {2 * len(AUTHORS)} articles" in _said(seed)
    assert "demo sign-in: alice@example.com / conduit-demo" in _said(seed)
    assert "staff sign-in, for /admin: admin@example.com / conduit-demo" in _said(seed)
    with sqlite3.connect(database_file) as connection:
        users = connection.execute("SELECT username, is_staff FROM users ORDER BY id").fetchall()
        articles = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
        tags = connection.execute("SELECT count(*) FROM tags WHERE articles_count > 0").fetchone()[0]
    assert users == [*((name, 0) for name, _bio in AUTHORS), ("admin", 1)]
    assert articles == 2 * len(AUTHORS)
    assert tags >= 1


def test_a_second_seed_writes_nothing(migrated: dict[str, str], database_file: Path) -> None:
    first = _conduit(migrated, "seed", "--articles-per-user", "1")
    assert first.returncode == 0, _said(first)
    before = _rows(database_file)

    second = _conduit(migrated, "seed", "--articles-per-user", "1")

    assert second.returncode == 0, _said(second)
    assert "demo data already present; nothing written" in _said(second)
    assert _rows(database_file) == before


@pytest.mark.parametrize("app_env", ["staging", "production"])
def test_seed_refuses_staging_and_production(
    migrated: dict[str, str], database_file: Path, app_env: str
) -> None:
    production_like = {**PRODUCTION, "APP_ENV": app_env, "DATABASE_URL": migrated["DATABASE_URL"]}
    del production_like["REDIS_URL"]

    seed = _conduit({**migrated, **production_like}, "seed")

    assert seed.returncode == 1
    assert seed.stderr.splitlines() == [
        f"refusing to seed demo data when APP_ENV={app_env}: its accounts have a published password"
    ]
    assert all(rows == [] for rows in _rows(database_file).values())


# --- help and serve -------------------------------------------------------------------------------


def test_help_lists_the_commands(environment: dict[str, str]) -> None:
    result = subprocess.run(
        [CONDUIT, "--help"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    commands_section = result.stdout.split("Commands", 1)[1]
    assert re.findall(r"^\W*([a-z-]+)\s{2,}\S", commands_section, re.MULTILINE) == [
        "serve",
        "migrate",
        "seed",
        "create-admin",
        "check",
        "bench",
    ]


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Polls until the server accepts connections (start-up has no signal to wait on)."""
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, f"serve exited early: {log.read_text()}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            assert time.monotonic() < deadline, f"serve did not start: {log.read_text()}"
            time.sleep(0.1)
        else:
            return


@pytest.fixture
def server(migrated: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """``conduit serve`` on a free port, listening; yields its base URL and stops it afterwards."""
    port = _closed_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [PYTHON, "-m", "app", "serve", "--port", str(port)],
            cwd=ROOT,
            env=migrated,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_listening(process, port, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_serve_answers_api_requests(server: str) -> None:
    response = httpx.get(f"{server}/api/tags", timeout=10)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == {"tags": []}
    assert "server" not in response.headers
