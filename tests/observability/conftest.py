"""Capturing what the process logs, exactly as production writes it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from app.observability.logs import build_handler, logger_levels
from config import LogFormat


class LogCapture:
    """The lines written while the fixture is active, through the production handler and formatter."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict[str, Any]]:
        """Every line, parsed as JSON (fails if a line is not a JSON object)."""
        records = [json.loads(line) for line in self.text.splitlines()]
        assert all(isinstance(record, dict) for record in records)
        return records

    def access(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.records() if r["logger"] == "app.access" and r["path"] == path]


# The tests' own HTTP client logs every URL it requests; it is no part of the server.
CLIENT_LOGGERS = ("httpx", "httpcore")


def _capture(log_format: LogFormat, level: str) -> Iterator[LogCapture]:
    stream = io.StringIO()
    handler = build_handler(log_format, stream)
    levels = logger_levels(level) | dict.fromkeys(CLIENT_LOGGERS, logging.WARNING)
    saved = {name: logging.getLogger(name).level for name in levels}
    for name, value in levels.items():
        logging.getLogger(name).setLevel(value)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield LogCapture(stream)
    finally:
        root.removeHandler(handler)
        for name, value in saved.items():
            logging.getLogger(name).setLevel(value)


@pytest.fixture
def json_logs() -> Iterator[LogCapture]:
    """JSON lines at DEBUG, the most a deployment can log (with the production floors for libraries)."""
    yield from _capture(LogFormat.JSON, "DEBUG")


@pytest.fixture
def text_logs() -> Iterator[LogCapture]:
    yield from _capture(LogFormat.TEXT, "DEBUG")
