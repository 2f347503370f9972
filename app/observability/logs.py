"""Process-wide logging: one line per record, JSON or text, each with the request id.

``conduit serve`` hands :func:`logging_config` to uvicorn, which applies it in every worker process
(a spawned worker does not inherit the parent's handlers). The access log is ours (:class:`AccessLog`),
written by the request-context middleware while the request's id is still set; uvicorn's is off.

Nothing that grants access is logged: no headers, no bodies, no query strings, and statement
parameters stay out of database errors (``hide_parameters`` in ``app/db/engine.py``). As a last
line of defence, anything shaped like a JWT is replaced with ``[redacted]``.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import IO, Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter
from starlette.types import Scope

from app.observability.exchange import RouteTemplates, client_address, method_label
from app.request_context import RequestIdLogFilter
from config import LogFormat, Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
REDACTED = "[redacted]"
# The lowest level some libraries log at: aiosqlite's DEBUG lines repeat statement parameters
# (password hashes); Alembic says which dialect it uses each time readiness reads the revision.
LEVEL_FLOORS = {"aiosqlite": logging.INFO, "alembic.runtime.migration": logging.WARNING}
# Probed every few seconds by load balancers and scrapers: their access lines are DEBUG.
QUIET_ROUTES = frozenset({"/health/live", "/health/ready", "/metrics"})

access_logger = logging.getLogger("app.access")


def redact(line: str) -> str:
    return JWT.sub(REDACTED, line)


class JsonLogFormatter(JsonFormatter):
    """``{"timestamp", "level", "logger", "message", "request_id", <extra fields>, "exception"}``."""

    def __init__(self) -> None:
        super().__init__(
            ["levelname", "name", "message", "request_id"],
            rename_fields={
                "levelname": "level",
                "name": "logger",
                "exc_info": "exception",
                "stack_info": "stack",
            },
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],  # uvicorn's coloured copy of the message
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        created = datetime.fromtimestamp(record.created, tz=UTC)
        log_data["timestamp"] = created.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        super().add_fields(log_data, record, message_dict)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class TextLogFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def build_handler(log_format: str, stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing ``log_format`` lines with request ids to ``stream`` (standard error)."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdLogFilter())
    handler.setFormatter(JsonLogFormatter() if log_format == LogFormat.JSON else TextLogFormatter())
    return handler


def logger_levels(level: str) -> dict[str, int]:
    """The root logger's level (key ``""``) and those of the libraries kept above their floor."""
    root = logging.getLevelNamesMapping()[level.upper()]
    return {"": root, **{name: max(root, floor) for name, floor in LEVEL_FLOORS.items()}}


def logging_config(settings: Settings) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` schema for ``settings`` (plain data: uvicorn pickles it
    into each worker process)."""
    levels = logger_levels(settings.log_level)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"conduit": {"()": f"{__name__}.build_handler", "log_format": settings.log_format.value}},
        "root": {"level": levels.pop(""), "handlers": ["conduit"]},
        "loggers": {name: {"level": level} for name, level in levels.items()},
    }


class AccessLog:
    """One access line per request: client, method, path (never the query string), route, status and
    duration; as text, like a web server's access log."""

    def __init__(self, templates: RouteTemplates) -> None:
        self._templates = templates

    def __call__(self, scope: Scope, status: int, seconds: float) -> None:
        route = self._templates(scope)
        level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
        if not access_logger.isEnabledFor(level):
            return
        raw_path = scope.get("raw_path")
        # The path as received (no decoded control characters); some servers leave the query on it.
        path = raw_path.partition(b"?")[0].decode("latin-1") if isinstance(raw_path, bytes) else scope["path"]
        method, client, duration_ms = method_label(scope), client_address(scope), round(seconds * 1000, 1)
        access_logger.log(
            level,
            '%s "%s %s" %d %.1f ms',
            client,
            method,
            path,
            status,
            duration_ms,
            extra={
                "method": method,
                "path": path,
                "route": route,
                "status": status,
                "duration_ms": duration_ms,
                "client": client,
            },
        )
