"""``conduit create-admin`` (also ``python -m app create-admin``), run for real as a subprocess
against a fresh, migrated SQLite file: it creates a staff account with a real argon2 hash (password
from ``--password`` or a hidden prompt asked twice), or makes the account with that email staff,
and refuses invalid input with exit code 2 and a clear message, writing nothing.
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from tests.cli.test_cli import CONDUIT, PYTHON, ROOT, _said

PASSWORD = "correct horse battery"


def _create_admin(
    environment: dict[str, str], *arguments: str, typed: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs the command; ``typed`` is what the operator types at the prompts. A new session has no
    terminal, so the hidden prompt reads standard input as it would read the keyboard."""
    return subprocess.run(
        [PYTHON, "-m", "app", "create-admin", *arguments],
        cwd=ROOT,
        env=environment,
        input=typed,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        start_new_session=True,
    )


def _accounts(database_file: Path) -> list[tuple[str, str, int, int]]:
    with sqlite3.connect(database_file) as connection:
        return connection.execute(
            "SELECT username, email, is_staff, is_active FROM users ORDER BY id"
        ).fetchall()


def _password_hash(database_file: Path, username: str) -> str:
    with sqlite3.connect(database_file) as connection:
        (found,) = connection.execute(
            "SELECT password_hash FROM users WHERE username = ?", (username,)
        ).fetchone()
    return str(found)


def test_it_creates_a_staff_account_with_a_real_password_hash(
    migrated: dict[str, str], database_file: Path
) -> None:
    result = _create_admin(
        migrated, "--email", "Boss@Example.com", "--username", "boss", "--password", PASSWORD
    )

    assert result.returncode == 0, _said(result)
    assert _said(result) == "created staff account boss (boss@example.com)"
    assert _accounts(database_file) == [("boss", "boss@example.com", 1, 1)]
    assert PasswordHasher().verify(_password_hash(database_file, "boss"), PASSWORD)


def test_it_asks_for_the_password_twice_without_showing_it(
    migrated: dict[str, str], database_file: Path
) -> None:
    result = _create_admin(
        migrated, "--email", "boss@example.com", "--username", "boss", typed=f"{PASSWORD}\n{PASSWORD}\n"
    )

    assert result.returncode == 0, _said(result)
    assert "Password:" in result.stdout
    assert "Repeat for confirmation:" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    assert PasswordHasher().verify(_password_hash(database_file, "boss"), PASSWORD)


def test_the_conduit_command_does_the_same(migrated: dict[str, str], database_file: Path) -> None:
    result = subprocess.run(
        [
            CONDUIT,
            "create-admin",
            "--email",
            "boss@example.com",
            "--username",
            "boss",
            "--password",
            PASSWORD,
        ],
        cwd=ROOT,
        env=migrated,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, _said(result)
    assert _accounts(database_file) == [("boss", "boss@example.com", 1, 1)]


def test_it_makes_an_existing_account_staff_and_says_so(
    migrated: dict[str, str], database_file: Path
) -> None:
    created = _create_admin(
        migrated, "--email", "ann@example.com", "--username", "ann", "--password", PASSWORD
    )
    with sqlite3.connect(database_file) as connection:
        connection.execute("UPDATE users SET is_staff = 0")
    old_hash = _password_hash(database_file, "ann")

    promoted = _create_admin(migrated, "--email", "ANN@example.com")
    again = _create_admin(migrated, "--email", "ann@example.com", "--username", "Ann")

    assert created.returncode == promoted.returncode == again.returncode == 0
    assert _said(promoted) == "existing account ann (ann@example.com) is now staff"
    assert _said(again) == "existing account ann (ann@example.com) was already staff"
    assert _accounts(database_file) == [("ann", "ann@example.com", 1, 1)]
    assert _password_hash(database_file, "ann") == old_hash


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--email", "not-an-email", "--username", "boss", "--password", PASSWORD],
            "email 'not-an-email' is not a valid email address",
        ),
        (
            ["--email", "boss@example.com"],
            "no account has the email boss@example.com: give --username (and a password) to create one",
        ),
        (
            ["--email", "boss@example.com", "--username", "boss", "--password", "short"],
            "password is too short (minimum is 8 characters)",
        ),
        (
            ["--email", "boss@example.com", "--username", "the boss", "--password", PASSWORD],
            "username may only contain letters, digits, '_', '-' and '.'",
        ),
    ],
    ids=["bad-email", "no-username-for-a-new-account", "short-password", "bad-username"],
)
def test_invalid_input_is_refused_with_exit_code_2_and_nothing_written(
    migrated: dict[str, str], database_file: Path, arguments: list[str], message: str
) -> None:
    result = _create_admin(migrated, *arguments)

    assert result.returncode == 2
    assert _said(result) == message
    assert _accounts(database_file) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--email", "ann@example.com", "--username", "bob"],
            "username is not that of the account with this email (ann)",
        ),
        (
            ["--email", "other@example.com", "--username", "ANN", "--password", PASSWORD],
            "username has already been taken",
        ),
    ],
    ids=["another-persons-email", "taken-username"],
)
def test_clashes_with_an_existing_account_are_refused(
    migrated: dict[str, str], database_file: Path, arguments: list[str], message: str
) -> None:
    _create_admin(migrated, "--email", "ann@example.com", "--username", "ann", "--password", PASSWORD)
    with sqlite3.connect(database_file) as connection:
        connection.execute("UPDATE users SET is_staff = 0")

    result = _create_admin(migrated, *arguments)

    assert result.returncode == 2
    assert _said(result) == message
    assert _accounts(database_file) == [("ann", "ann@example.com", 0, 1)]
