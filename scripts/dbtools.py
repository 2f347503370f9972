"""Backups and restores of Conduit's database, PostgreSQL or SQLite (``scripts/backup``, ``scripts/restore``).

    python scripts/dbtools.py backup [DATABASE_URL] FILE
    python scripts/dbtools.py restore FILE [DATABASE_URL] [--replace]

Without DATABASE_URL, the ``DATABASE_URL`` environment variable, else the app's default SQLite file
(``./var/conduit.sqlite3``, relative to the current directory, as for the app).

PostgreSQL: ``pg_dump --format=custom``, consistent while the app writes (one snapshot). A restore
goes into an existing, EMPTY database (create it first: ``createdb``), in one transaction, stopping
at the first error, objects owned by the connecting role: it either restores everything or nothing.
The password travels in ``PGPASSWORD``, never on a command line.

SQLite: the online backup API copies every page in one step, so the copy is consistent while the
app keeps writing (WAL mode: writers are not blocked). The copy is a single self-contained file
(journal mode DELETE) checked with ``PRAGMA integrity_check``. A restore copies the file next to the
target and renames it into place (atomic); it refuses while any process has the target open, and
refuses a target that already holds tables unless ``--replace`` is given.

Every file is written under a temporary name and renamed when complete, so a failed run never leaves
a half-written backup or database behind. Backups are readable by their owner only: they hold
password hashes and email addresses. Standard library only (plus the PostgreSQL client tools),
so it runs on a host without the app's environment.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn
from urllib.parse import quote, unquote, urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/conduit.sqlite3"
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"  # Debian keeps the versioned tools off PATH
BUSY_TIMEOUT_SECONDS = 30


class Refused(Exception):
    """A clear reason not to go on; printed without a traceback."""


@dataclass(frozen=True)
class Database:
    """Where a DATABASE_URL points: a SQLite file, or a PostgreSQL database (libpq URI without the
    password, which goes in ``env``)."""

    engine: str
    path: Path | None = None
    uri: str = ""
    env: dict[str, str] = field(default_factory=dict)

    @property
    def shown(self) -> str:
        return str(self.path) if self.path is not None else self.uri


def parse_url(url: str) -> Database:
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise Refused(f"not a database URL: {url!r}")
    engine = scheme.split("+", 1)[0]
    if engine == "sqlite":
        path = rest.removeprefix("/").split("?", 1)[0]
        if not path or path == ":memory:":
            raise Refused("an in-memory SQLite database cannot be backed up or restored")
        return Database("sqlite", path=Path(path))
    if engine in ("postgresql", "postgres"):
        parts = urlsplit(url)
        password = unquote(parts.password) if parts.password else None
        user = quote(unquote(parts.username), safe="") + "@" if parts.username else ""
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        netloc = user + host + (f":{parts.port}" if parts.port else "")
        uri = urlunsplit(("postgresql", netloc, parts.path, parts.query, ""))
        return Database("postgresql", uri=uri, env={"PGPASSWORD": password} if password else {})
    raise Refused(f"unsupported database {engine!r}: use sqlite or postgresql")


# --- files ----------------------------------------------------------------------------------------


@contextmanager
def written_atomically(destination: Path) -> Iterator[Path]:
    """A temporary path next to ``destination``; renamed onto it (after an fsync) if the block
    succeeds, removed if it fails."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".partial", dir=destination.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, destination)
        directory = os.open(destination.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a crash
        finally:
            os.close(directory)
    finally:
        temporary.unlink(missing_ok=True)


def file_kind(path: Path) -> str:
    with open(path, "rb") as backup:
        head = backup.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    return "unknown"


# --- SQLite ---------------------------------------------------------------------------------------


def _integrity_problem(connection: sqlite3.Connection) -> str | None:
    result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    return None if result == ["ok"] else "; ".join(result[:5])


def _tables(connection: sqlite3.Connection) -> list[str]:
    query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    return [row[0] for row in connection.execute(query)]


def backup_sqlite(database: Database, file: Path) -> None:
    assert database.path is not None
    if not database.path.is_file():
        raise Refused(f"{database.path} does not exist")
    with written_atomically(file) as temporary:
        source = sqlite3.connect(database.path, timeout=BUSY_TIMEOUT_SECONDS)
        with closing(source), closing(sqlite3.connect(temporary)) as copy:
            source.backup(copy)  # every page in one step: one consistent snapshot
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            problem = _integrity_problem(copy)
            if problem:
                raise Refused(f"the copy failed its integrity check: {problem}")


def _read_only(path: Path) -> str:
    return f"{path.resolve().as_uri()}?mode=ro"


def _same_access_as(target: Path, restored: Path) -> None:
    """The restored file gets the replaced one's owner and mode (the app's user must write it), or
    a new file's usual mode. (Backups themselves stay readable by their owner only.)"""
    if target.exists():
        status = target.stat()
        os.chmod(restored, status.st_mode & 0o777)
        if os.geteuid() == 0:
            os.chown(restored, status.st_uid, status.st_gid)
        return
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(restored, 0o666 & ~umask)


def processes_using(path: Path) -> list[str]:
    """Other processes with the database (or its -wal/-shm) open, as ``pid (command)``. Linux's /proc
    only; processes of other users are seen only by root."""
    wanted = {str(Path(f"{path}{suffix}").resolve()) for suffix in ("", "-wal", "-shm")}
    users = []
    for process in Path("/proc").glob("[0-9]*"):
        if int(process.name) == os.getpid():
            continue
        try:
            if any(os.readlink(descriptor) in wanted for descriptor in (process / "fd").iterdir()):
                command = (process / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                users.append(f"{process.name} ({command.strip()[:80]})")
        except OSError:  # gone meanwhile, or not ours to look at
            continue
    return users


def restore_sqlite(file: Path, database: Database, *, replace: bool) -> None:
    target = database.path
    assert target is not None
    with closing(sqlite3.connect(_read_only(file), uri=True)) as backup:
        problem = _integrity_problem(backup)
        if problem:
            raise Refused(f"{file} failed its integrity check: {problem}")
    users = processes_using(target)
    if users:
        raise Refused(f"{target} is in use by {', '.join(users)}: stop the app first")
    if target.exists() and not replace:
        with closing(sqlite3.connect(_read_only(target), uri=True)) as existing:
            tables = _tables(existing)
        if tables:
            raise Refused(
                f"{target} already holds a database ({len(tables)} tables); "
                "pass --replace to overwrite it (after stopping the app)"
            )
    with written_atomically(target) as temporary:
        shutil.copyfile(file, temporary)
        _same_access_as(target, temporary)
        # A write-ahead log left by the old database must not be replayed onto the restored one.
        for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)


# --- PostgreSQL -----------------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """A PostgreSQL client program: on PATH, else the newest under /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(PG_BIN_GLOB), key=lambda d: [int(n) for n in re.findall(r"\d+", d)])
    for directory in reversed(versions):
        candidate = Path(directory) / name
        if candidate.exists():
            return str(candidate)
    raise Refused(
        f"{name} not found: install the PostgreSQL client tools (apt-get install postgresql-client)"
    )


def _run(arguments: list[str], database: Database) -> str:
    environment = {**os.environ, **database.env}
    result = subprocess.run(arguments, env=environment, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tool = Path(arguments[0]).name
        raise Refused(
            f"{tool} failed (exit {result.returncode}): {result.stderr.strip() or result.stdout.strip()}"
        )
    return result.stdout


def backup_postgresql(database: Database, file: Path) -> None:
    with written_atomically(file) as temporary:
        _run(
            [
                pg_tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={temporary}",
                f"--dbname={database.uri}",
            ],
            database,
        )
        _run([pg_tool("pg_restore"), "--list", str(temporary)], database)  # the archive reads back


def restore_postgresql(file: Path, database: Database) -> None:
    count = (
        "SELECT count(*) FROM information_schema.tables"
        " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
    )
    tables = _run(
        [
            pg_tool("psql"),
            "--no-psqlrc",
            "--tuples-only",
            "--no-align",
            f"--dbname={database.uri}",
            "--command",
            count,
        ],
        database,
    ).strip()
    if tables != "0":
        raise Refused(
            f"{database.uri} is not empty ({tables} tables): restore into a new, empty database "
            "(createdb NAME), then point DATABASE_URL at it"
        )
    _run(
        [
            pg_tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={database.uri}",
            str(file),
        ],
        database,
    )


# --- commands -------------------------------------------------------------------------------------


def backup(url: str, file: Path) -> None:
    database = parse_url(url)
    if database.engine == "sqlite":
        backup_sqlite(database, file)
    else:
        backup_postgresql(database, file)
    print(f"backup: {database.shown} -> {file} ({file.stat().st_size} bytes)", file=sys.stderr)


def restore(file: Path, url: str, *, replace: bool = False) -> None:
    database = parse_url(url)
    if not file.is_file():
        raise Refused(f"{file} does not exist")
    kind = file_kind(file)
    if kind != database.engine:
        what = {"sqlite": "a SQLite backup", "postgresql": "a PostgreSQL dump"}.get(
            kind, "not a Conduit backup"
        )
        raise Refused(f"{file} is {what}; it cannot be restored into a {database.engine} database")
    if database.engine == "sqlite":
        restore_sqlite(file, database, replace=replace)
    elif replace:
        raise Refused("--replace is for SQLite only; restore PostgreSQL into a new, empty database")
    else:
        restore_postgresql(file, database)
    print(f"restore: {file} -> {database.shown}", file=sys.stderr)


def _fail(message: str) -> NoReturn:
    print(message, file=sys.stderr)
    raise SystemExit(1)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dbtools", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    backing_up = commands.add_parser("backup", help="[DATABASE_URL] FILE")
    backing_up.add_argument("paths", nargs="+", metavar="[DATABASE_URL] FILE")
    restoring = commands.add_parser("restore", help="FILE [DATABASE_URL] [--replace]")
    restoring.add_argument("paths", nargs="+", metavar="FILE [DATABASE_URL]")
    restoring.add_argument(
        "--replace", action="store_true", help="SQLite: overwrite a database that holds tables"
    )
    arguments = parser.parse_args(argv)
    if len(arguments.paths) > 2:
        parser.error("too many arguments")
    default_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    try:
        if arguments.command == "backup":
            *url, file = arguments.paths
            backup(url[0] if url else default_url, Path(file))
        else:
            file, *url = arguments.paths
            restore(Path(file), url[0] if url else default_url, replace=arguments.replace)
    except (Refused, sqlite3.Error, OSError) as error:
        _fail(f"{arguments.command}: {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
