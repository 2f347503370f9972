"""HTTP transport: content type, the error envelope for routing and parsing failures, the body-size
limit, request ids, last-resort 500s, CORS, and the OpenAPI description.

None of this depends on the database engine, so the app here runs on SQLite only, configured with
a small body limit and one allowed CORS origin.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import ValidationError

from app.main import create_app
from app.request_context import RequestIdLogFilter
from config import load_settings
from tests.conftest import make_settings
from tests.helpers import auth, register

# The RealWorld contract beside the clone (../shared/realworld), or where REALWORLD_DIR says.
REALWORLD = Path(
    os.environ.get("REALWORLD_DIR", Path(__file__).resolve().parents[2].parent / "shared" / "realworld")
)
SPEC = REALWORLD / "openapi.yml"
BODY_LIMIT = 1024  # the smallest limit the settings accept
ALLOWED_ORIGIN = "https://app.example.com"
OTHER_ORIGIN = "https://evil.example.net"
JSON_UTF8 = "application/json; charset=utf-8"
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
async def app(sqlite_url: str) -> AsyncIterator[FastAPI]:
    settings = make_settings(sqlite_url, max_request_body_bytes=BODY_LIMIT, cors_origins=[ALLOWED_ORIGIN])
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


def _error(*messages: str, **fields: list[str]) -> dict[str, Any]:
    return {"errors": {"body": list(messages), **fields}}


def _registration(padding: int = 0) -> bytes:
    """A valid registration body, padded with insignificant whitespace to ``padding`` bytes."""
    user = {"username": "transport", "email": "transport@example.com", "password": "correct horse battery"}
    body = json.dumps({"user": user}).encode()
    return body + b" " * max(0, padding - len(body))


async def _chunks(total: int, size: int = 100) -> AsyncIterator[bytes]:
    """A request body streamed in chunks, so httpx sends it without Content-Length."""
    sent = 0
    while sent < total:
        chunk = b" " * min(size, total - sent)
        sent += len(chunk)
        yield chunk


# --- content type ---------------------------------------------------------------------------------


# DECISIONS: JSON responses: `Content-Type: application/json` (charset utf-8).
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/tags", 200),
        ("GET", "/api/user", 401),
        ("GET", "/api/articles/no-such-article", 404),
        ("GET", "/api/articles?limit=abc", 422),
    ],
)
async def test_json_responses_declare_utf8_json(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)

    assert response.status_code == status
    assert response.headers["content-type"] == JSON_UTF8


async def test_non_ascii_text_is_sent_as_utf8(client: httpx.AsyncClient) -> None:
    user = await register(client)

    response = await client.put("/api/user", json={"user": {"bio": "Grüße 😀"}}, headers=auth(user["token"]))

    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_UTF8
    assert "Grüße 😀".encode() in response.content


# --- routing and parsing failures use the envelope -------------------------------------------------


# DECISIONS: Never FastAPI's default `{"detail": ...}`.
@pytest.mark.parametrize("path", ["/api/no-such-thing", "/api", "/api/articles/a/b/c/d"])
async def test_unknown_api_route_is_404_in_the_envelope(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 404
    assert response.json() == _error("not found")


async def test_unknown_page_outside_the_api_is_the_sites_404_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-thing")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page not found" in response.text


async def test_wrong_method_is_405_in_the_envelope_with_allowed_methods(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/tags")

    assert response.status_code == 405
    assert response.json() == _error("method not allowed")
    assert response.headers["allow"] == "GET"


# RFC 9110: a 405's Allow lists every method of the resource, not those of one route.
@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("OPTIONS", "/api/user", "DELETE, GET, PUT"),
        ("PATCH", "/api/articles/some-slug", "DELETE, GET, PUT"),
        ("DELETE", "/api/profiles/jake", "GET"),
        ("PUT", "/api/profiles/jake/follow", "DELETE, POST"),
        ("PATCH", "/api/articles/feed", "GET"),  # the feed, not an article slugged "feed"
    ],
)
async def test_a_405_allows_every_method_of_the_resource(
    client: httpx.AsyncClient, method: str, path: str, allowed: str
) -> None:
    response = await client.request(method, path)

    assert response.status_code == 405
    assert response.headers["allow"] == allowed


async def test_a_405_on_a_page_is_the_error_page_with_allowed_methods(client: httpx.AsyncClient) -> None:
    response = await client.delete("/login")

    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["allow"] == "GET, POST"


async def test_malformed_json_body_is_422_in_the_envelope(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/users", content=b'{"user": {"username": ', headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json() == _error("body is not valid JSON")


async def test_a_json_body_that_is_not_utf8_is_422_like_any_malformed_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/users/login", content=b'{"user": "\xff\xfe"}', headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json() == _error("body is not valid JSON")


async def test_missing_json_body_is_422_in_the_envelope(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/users")

    assert response.status_code == 422
    assert response.json() == _error("body can't be blank")


# --- body size limit ------------------------------------------------------------------------------


# DECISIONS: 413: request body over the configured maximum, with or without Content-Length.
async def test_body_over_the_limit_with_content_length_is_413(client: httpx.AsyncClient) -> None:
    body = _registration(padding=BODY_LIMIT + 1)

    response = await client.post("/api/users", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert response.json() == _error(f"request body is larger than {BODY_LIMIT} bytes")


# DECISIONS: 413: request body over the configured maximum, with or without Content-Length.
async def test_body_over_the_limit_without_content_length_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/users", content=_chunks(BODY_LIMIT + 1), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json() == _error(f"request body is larger than {BODY_LIMIT} bytes")


async def test_body_of_exactly_the_limit_is_accepted(client: httpx.AsyncClient) -> None:
    body = _registration(padding=BODY_LIMIT)
    assert len(body) == BODY_LIMIT

    response = await client.post("/api/users", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 201
    assert response.json()["user"]["username"] == "transport"


async def test_streamed_body_of_exactly_the_limit_is_accepted(client: httpx.AsyncClient) -> None:
    body = _registration(padding=BODY_LIMIT)

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 100):
            yield body[start : start + 100]

    response = await client.post("/api/users", content=stream(), headers={"Content-Type": "application/json"})

    assert response.status_code == 201


# --- request ids ----------------------------------------------------------------------------------


# DECISIONS: 5xx bodies carry a request id that also appears in an `X-Request-ID` response header.
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/tags", 200),
        ("GET", "/api/user", 401),
        ("GET", "/api/nowhere", 404),
        ("DELETE", "/api/tags", 405),
        ("GET", "/api/articles?offset=-1", 422),
    ],
)
async def test_every_response_carries_a_generated_request_id(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)

    assert response.status_code == status
    assert GENERATED_ID.match(response.headers["x-request-id"])


async def test_413_carries_a_request_id(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/users", content=_chunks(BODY_LIMIT + 1))

    assert response.status_code == 413
    assert GENERATED_ID.match(response.headers["x-request-id"])


async def test_each_request_gets_its_own_id(client: httpx.AsyncClient) -> None:
    first = await client.get("/api/tags")
    second = await client.get("/api/tags")

    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.mark.parametrize("incoming", ["abc-123", "req.2026_11_26-XYZ", "a" * 128])
async def test_a_valid_incoming_request_id_is_echoed(client: httpx.AsyncClient, incoming: str) -> None:
    response = await client.get("/api/tags", headers={"X-Request-ID": incoming})

    assert response.headers["x-request-id"] == incoming


@pytest.mark.parametrize("incoming", ["has spaces", "a" * 200, "semi;colon", "new\\nline", ""])
async def test_an_invalid_incoming_request_id_is_replaced(client: httpx.AsyncClient, incoming: str) -> None:
    response = await client.get("/api/tags", headers={"X-Request-ID": incoming})

    assert GENERATED_ID.match(response.headers["x-request-id"])


# --- unexpected errors ----------------------------------------------------------------------------


def _add_broken_route(app: FastAPI) -> None:
    async def broken() -> dict[str, str]:
        settings = {"known": "value"}
        return {"value": settings["secret-key-that-is-missing"]}  # KeyError: a plain bug

    app.add_api_route("/api/broken", broken)


# DECISIONS: 5xx bodies use the same envelope and carry a request id; never a traceback.
async def test_an_unexpected_exception_is_500_in_the_envelope_with_the_request_id(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _add_broken_route(app)

    response = await client.get("/api/broken", headers={"X-Request-ID": "trace-me-42"})

    assert response.status_code == 500
    assert response.headers["content-type"] == JSON_UTF8
    assert response.headers["x-request-id"] == "trace-me-42"
    assert response.json() == _error("internal server error (request id trace-me-42)")


async def test_a_500_body_reveals_nothing_about_the_failure(app: FastAPI, client: httpx.AsyncClient) -> None:
    _add_broken_route(app)

    response = await client.get("/api/broken")

    assert response.status_code == 500
    for leak in ("Traceback", "KeyError", "secret-key-that-is-missing", "test_transport.py"):
        assert leak not in response.text


# DECISIONS: the 5xx request id also appears in the logs.
async def test_a_500_is_logged_with_its_request_id_and_traceback(
    app: FastAPI, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    _add_broken_route(app)
    caplog.handler.addFilter(RequestIdLogFilter())

    with caplog.at_level(logging.ERROR):
        await client.get("/api/broken", headers={"X-Request-ID": "trace-me-43"})

    [record] = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert getattr(record, "request_id", None) == "trace-me-43"
    assert record.exc_info is not None
    assert record.exc_info[0] is KeyError


# --- CORS -----------------------------------------------------------------------------------------


def _preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "Authorization, Content-Type",
    }


def _listed(header: str) -> set[str]:
    return {item.strip().lower() for item in header.split(",")}


# DECISIONS: CORS preflight answers with the allowed methods and headers (Authorization, Content-Type).
async def test_preflight_from_an_allowed_origin_is_answered(client: httpx.AsyncClient) -> None:
    response = await client.options("/api/articles/some-slug", headers=_preflight(ALLOWED_ORIGIN))

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert {"get", "post", "put", "delete"} <= _listed(response.headers["access-control-allow-methods"])
    assert {"authorization", "content-type"} <= _listed(response.headers["access-control-allow-headers"])


# DECISIONS: CORS: configurable allowed origins.
async def test_preflight_from_another_origin_is_not_allowed(client: httpx.AsyncClient) -> None:
    response = await client.options("/api/articles/some-slug", headers=_preflight(OTHER_ORIGIN))

    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_a_simple_request_from_another_origin_gets_no_allow_origin(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/tags", headers={"Origin": OTHER_ORIGIN})

    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


# DECISIONS: never `*` together with credentials.
async def test_an_allowed_origin_is_echoed_exactly_never_as_a_wildcard(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/tags", headers={"Origin": ALLOWED_ORIGIN})

    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "x-request-id" in _listed(response.headers["access-control-expose-headers"])


# DECISIONS: never `*` together with credentials.
@pytest.mark.parametrize("origins", ["*", "https://app.example.com,*"])
def test_a_wildcard_origin_is_refused_by_the_settings(sqlite_url: str, origins: str) -> None:
    with pytest.raises(ValidationError, match="CORS_ORIGINS must list explicit origins"):
        load_settings(app_env="test", database_url=sqlite_url, cors_origins=origins)


async def test_without_configured_origins_no_origin_is_allowed(sqlite_url: str) -> None:
    application = create_app(make_settings(sqlite_url))
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.options("/api/tags", headers=_preflight(ALLOWED_ORIGIN))

    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


# --- OpenAPI --------------------------------------------------------------------------------------


def _spec_operations() -> set[tuple[str, str]]:
    assert SPEC.is_file(), f"the RealWorld contract is missing: {SPEC} (set REALWORLD_DIR)"
    spec = yaml.safe_load(SPEC.read_text())
    return {
        ("/api" + path, method)
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "post", "put", "delete"}
    }


async def test_interactive_docs_are_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text


# DECISIONS: Every API path lives under `/api`.
async def test_openapi_lists_every_operation_of_the_spec_under_api(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")

    assert response.status_code == 200
    ours = {(path, method) for path, item in response.json()["paths"].items() for method in item}
    assert _spec_operations() <= ours
    assert all(path.startswith("/api/") for path, _method in ours)


async def test_openapi_declares_422_and_503_with_the_envelope_on_every_operation(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()

    envelope_ref = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status in ("422", "503"):
                declared = operation["responses"].get(status)
                assert declared is not None, f"{method.upper()} {path} does not declare {status}"
                [(media_type, content)] = declared["content"].items()
                assert media_type.startswith("application/json")
                assert content["schema"] == envelope_ref


async def test_openapi_envelope_schema_requires_a_body_list(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]

    assert schemas["ErrorEnvelope"]["required"] == ["errors"]
    assert schemas["ErrorBody"]["required"] == ["body"]
    assert schemas["ErrorBody"]["properties"]["body"]["type"] == "array"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("post", "/api/users", "413"),
        ("get", "/api/user", "401"),
        ("put", "/api/articles/{slug}", "403"),
        ("get", "/api/articles/{slug}", "404"),
        ("delete", "/api/articles/{slug}/comments/{id}", "403"),
    ],
)
async def test_openapi_declares_route_specific_errors(
    client: httpx.AsyncClient, method: str, path: str, status: str
) -> None:
    document = (await client.get("/openapi.json")).json()

    assert status in document["paths"][path][method]["responses"]


@pytest.mark.parametrize(
    ("method", "path", "security"),
    [
        ("get", "/api/articles", [{"Token": []}, {}]),
        ("get", "/api/articles/{slug}", [{"Token": []}, {}]),
        ("get", "/api/articles/{slug}/comments", [{"Token": []}, {}]),
        ("get", "/api/profiles/{username}", [{"Token": []}, {}]),
        ("get", "/api/articles/feed", [{"Token": []}]),
        ("get", "/api/user", [{"Token": []}]),
        ("post", "/api/articles", [{"Token": []}]),
    ],
)
async def test_openapi_tells_optional_from_required_authentication(
    client: httpx.AsyncClient, method: str, path: str, security: list[dict[str, list[str]]]
) -> None:
    document = (await client.get("/openapi.json")).json()

    assert document["paths"][path][method]["security"] == security


async def test_openapi_declares_429_on_every_write(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()

    writes = [
        (method, path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"post", "put", "delete"}
    ]
    # the spec's 12, DELETE /api/user (account deletion), and the three that end sessions
    assert len(writes) == 16
    assert all("429" in document["paths"][path][method]["responses"] for method, path in writes)


async def test_openapi_offers_no_null_for_update_fields_that_refuse_it(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]

    for model, field in [("ArticleUpdate", "title"), ("ArticleUpdate", "tagList"), ("UserUpdate", "email")]:
        assert "anyOf" not in schemas[model]["properties"][field]
    assert {"type": "null"} in schemas["UserUpdate"]["properties"]["bio"]["anyOf"]  # null clears the bio


async def test_docs_can_be_switched_off(sqlite_url: str) -> None:
    application = create_app(make_settings(sqlite_url, docs_enabled=False))
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            docs = await http.get("/docs")
            document = await http.get("/openapi.json")

    assert (docs.status_code, document.status_code) == (404, 404)


# PostgreSQL text cannot hold U+0000; every engine refuses it at the boundary instead of failing late.
@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("get", "/api/articles?tag=a%00b", None, "tag"),
        ("get", "/api/articles/a%00b", None, "slug"),
        (
            "post",
            "/api/users",
            {"user": {"username": "nul", "email": "n@example.com", "password": "pass\x00word"}},
            "password",
        ),
    ],
)
async def test_a_nul_character_anywhere_in_a_request_is_refused(
    client: httpx.AsyncClient, method: str, path: str, body: object, field: str
) -> None:
    response = await client.request(method.upper(), path, json=body)

    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "body": [f"{field} can't contain the NUL character"],
            field: ["can't contain the NUL character"],
        }
    }
