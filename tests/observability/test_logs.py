"""Structured logs: the JSON line's fields, the access line written inside the request (so it carries
the request's id), exceptions as one string, the text format, and what never reaches a log line:
tokens, passwords, password hashes, query strings, statement parameters. Also the ``LOG_FORMAT`` and
``LOG_LEVEL`` settings.

Lines are captured through the production handler and formatter (``tests/observability/conftest.py``).
Only the secrets tests depend on the database engine; the rest run on SQLite.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.main import create_app
from app.request_context import current_request_id
from app.services.context import AppContext
from config import LogFormat, load_settings
from tests.conftest import TEST_JWT_SECRET, make_settings
from tests.helpers import PASSWORD, auth, register
from tests.observability.conftest import LogCapture

# A token signed with another key: as secret-looking as a real one, and refused by the app.
FOREIGN_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIiwiZXhwIjo0MTAyNDQ0ODAwfQ.c2lnbmF0dXJl"
PRODUCTION_LIKE = {"jwt_secret": TEST_JWT_SECRET, "database_url": "postgresql+asyncpg://db/conduit"}


@pytest.fixture
async def app(sqlite_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(make_settings(sqlite_url))
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


# --- the JSON line ----------------------------------------------------------------------------------


def test_a_json_line_has_a_utc_timestamp_level_logger_message_and_request_id(json_logs: LogCapture) -> None:
    logging.getLogger("conduit.test").warning("%d articles imported", 3)

    [line] = json_logs.records()
    assert list(line) == ["timestamp", "level", "logger", "message", "request_id"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["timestamp"])
    logged_at = datetime.fromisoformat(line["timestamp"])
    assert logged_at.tzinfo == UTC
    assert abs(datetime.now(UTC) - logged_at) < timedelta(seconds=10)
    assert line["level"] == "WARNING"
    assert line["logger"] == "conduit.test"
    assert line["message"] == "3 articles imported"
    assert line["request_id"] == "-"  # logged outside any request


async def test_the_access_line_is_structured_and_carries_the_requests_id(
    client: httpx.AsyncClient, json_logs: LogCapture
) -> None:
    response = await client.get("/api/articles/no-such-article", headers={"X-Request-ID": "trace-logs-1"})

    [line] = json_logs.access("/api/articles/no-such-article")
    assert response.headers["x-request-id"] == "trace-logs-1"
    assert line["request_id"] == "trace-logs-1"
    assert line["level"] == "INFO"
    assert (
        line["message"] == f'127.0.0.1 "GET /api/articles/no-such-article" 404 {line["duration_ms"]:.1f} ms'
    )
    assert {key: line[key] for key in ("method", "path", "route", "status", "client")} == {
        "method": "GET",
        "path": "/api/articles/no-such-article",
        "route": "/api/articles/{slug}",
        "status": 404,
        "client": "127.0.0.1",
    }
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0


async def test_the_access_line_carries_the_generated_id_when_the_client_sent_none(
    client: httpx.AsyncClient, json_logs: LogCapture
) -> None:
    response = await client.get("/api/tags")

    [line] = json_logs.access("/api/tags")
    assert line["request_id"] == response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"])


async def test_the_request_id_does_not_outlive_its_request(client: httpx.AsyncClient) -> None:
    await client.get("/api/tags", headers={"X-Request-ID": "trace-logs-2"})

    # The in-process client runs the app in this test's own context.
    assert current_request_id() == "-"


async def test_an_exception_is_logged_as_one_string_with_its_traceback(
    app: FastAPI, client: httpx.AsyncClient, json_logs: LogCapture
) -> None:
    async def broken() -> dict[str, str]:
        raise KeyError("missing-setting")

    app.add_api_route("/api/broken", broken)

    response = await client.get("/api/broken", headers={"X-Request-ID": "trace-logs-3"})

    assert response.status_code == 500
    [error] = [line for line in json_logs.records() if line["level"] == "ERROR"]
    assert error["request_id"] == "trace-logs-3"
    assert error["message"] == "unhandled error"
    assert isinstance(error["exception"], str)
    assert error["exception"].startswith("Traceback (most recent call last):")
    assert "KeyError: 'missing-setting'" in error["exception"]
    [access] = json_logs.access("/api/broken")
    assert access["status"] == 500
    assert access["request_id"] == "trace-logs-3"


async def test_health_probes_are_access_logged_at_debug_only(
    client: httpx.AsyncClient, json_logs: LogCapture
) -> None:
    await client.get("/health/live")
    await client.get("/api/tags")

    assert [line["level"] for line in json_logs.access("/health/live")] == ["DEBUG"]
    assert [line["level"] for line in json_logs.access("/api/tags")] == ["INFO"]


async def test_text_lines_carry_the_request_id(client: httpx.AsyncClient, text_logs: LogCapture) -> None:
    await client.get("/api/tags", headers={"X-Request-ID": "trace-logs-4"})

    [line] = [line for line in text_logs.text.splitlines() if " app.access " in line]
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO app\.access \[trace-logs-4\] "
        r'127\.0\.0\.1 "GET /api/tags" 200 \d+\.\d ms',
        line,
    )


# --- what never reaches the logs ------------------------------------------------------------------


async def test_the_query_string_is_never_logged(client: httpx.AsyncClient, json_logs: LogCapture) -> None:
    await client.get("/api/articles", params={"author": "someone", "access_token": "secret-in-the-query"})

    [line] = json_logs.access("/api/articles")
    assert line["path"] == "/api/articles"
    assert "secret-in-the-query" not in json_logs.text


async def test_tokens_passwords_and_hashes_never_reach_the_logs(
    database_url: str, json_logs: LogCapture
) -> None:
    application = create_app(make_settings(database_url))
    new_password = "a brand new passphrase"
    async with (
        LifespanManager(application),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://testserver"
        ) as client,
    ):
        user = await register(client)
        token = user["token"]
        assert (await client.get("/api/user", headers=auth(token))).status_code == 200
        changed = await client.put(
            "/api/user", json={"user": {"password": new_password}}, headers=auth(token)
        )
        assert changed.status_code == 200
        login = {"user": {"email": user["email"], "password": new_password}}
        fresh_token = (await client.post("/api/users/login", json=login)).json()["user"]["token"]
        assert (await client.get("/api/user", headers=auth(FOREIGN_TOKEN))).status_code == 401

    assert len(json_logs.access("/api/user")) == 3  # the requests were logged...
    for secret in (token, fresh_token, FOREIGN_TOKEN, PASSWORD, new_password, "$argon2"):
        assert secret not in json_logs.text  # ...and nothing that grants access


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_anything_shaped_like_a_jwt_is_redacted(log_format: str, request: pytest.FixtureRequest) -> None:
    logs: LogCapture = request.getfixturevalue(f"{log_format}_logs")

    logging.getLogger("conduit.test").warning("refused header 'Token %s'", FOREIGN_TOKEN)

    assert FOREIGN_TOKEN not in logs.text
    assert "refused header 'Token [redacted]'" in logs.text


async def test_database_errors_never_carry_statement_parameters(database_url: str) -> None:
    async def work(session: AsyncSession) -> None:
        await session.execute(
            text("SELECT * FROM no_such_table WHERE name = :name"), {"name": "hunter2-secret"}
        )

    context = AppContext.from_settings(make_settings(database_url))
    try:
        with pytest.raises(DBAPIError) as caught:
            await context.db.read(work)
    finally:
        await context.close()

    assert "no_such_table" in str(caught.value)
    assert "hunter2-secret" not in str(caught.value)


# --- settings -------------------------------------------------------------------------------------


@pytest.fixture
def no_logging_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LOG_FORMAT", "LOG_LEVEL", "ALLOWED_HOSTS"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_logging_variables")
@pytest.mark.parametrize(
    ("env", "expected"),
    [("development", "text"), ("test", "text"), ("staging", "json"), ("production", "json")],
)
def test_logs_are_json_in_staging_and_production_and_text_elsewhere(env: str, expected: str) -> None:
    settings = load_settings(app_env=env, allowed_hosts=["conduit.example.com"], **PRODUCTION_LIKE)

    assert settings.log_format == LogFormat(expected)


@pytest.mark.usefixtures("no_logging_variables")
def test_log_format_and_level_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_FORMAT", "text")
    monkeypatch.setenv("LOG_LEVEL", "warning")

    settings = load_settings(app_env="production", allowed_hosts=["conduit.example.com"], **PRODUCTION_LIKE)

    assert settings.log_format is LogFormat.TEXT
    assert settings.log_level == "WARNING"


@pytest.mark.usefixtures("no_logging_variables")
@pytest.mark.parametrize(("name", "value"), [("log_format", "xml"), ("log_level", "loud")])
def test_an_unknown_log_format_or_level_is_refused(name: str, value: str) -> None:
    with pytest.raises(ValidationError, match=name):
        load_settings(**{name: value})
