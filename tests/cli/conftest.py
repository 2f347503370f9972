"""Fixtures for running the ``conduit`` command against a SQLite file of its own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app import migrations


@pytest.fixture
def database_file(tmp_path: Path) -> Path:
    return tmp_path / "cli.sqlite3"


@pytest.fixture
def environment(database_file: Path) -> dict[str, str]:
    """The environment of a test deployment: APP_ENV=test and a DATABASE_URL of its own."""
    inherited = {
        name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "JWT_SECRET")
    }
    return {**inherited, "APP_ENV": "test", "DATABASE_URL": f"sqlite+aiosqlite:///{database_file}"}


@pytest.fixture
def migrated(environment: dict[str, str]) -> dict[str, str]:
    """The environment, with its database migrated (in-process: ``migrate`` is tested on its own)."""
    migrations.upgrade(environment["DATABASE_URL"])
    return environment
