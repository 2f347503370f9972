"""Only the configured ``Host`` names are served (``ALLOWED_HOSTS``): any other gets 400 in the error
envelope, with the request id and the security headers, on API and page paths alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from app.main import create_app
from tests.conftest import make_settings

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

BAD_HOST = {"errors": {"body": ["host header is not allowed"]}}


@asynccontextmanager
async def client_for(database_url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(make_settings(database_url, **overrides))
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000", "testserver"]
)
async def test_the_default_hosts_are_the_loopback_names(database_url: str, host: str) -> None:
    async with client_for(database_url) as client:
        response = await client.get("/api/tags", headers={"Host": host})

    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/api/tags", "/", "/login", "/openapi.json", "/static/css/conduit.css"])
async def test_an_unknown_host_is_refused_with_the_error_envelope(database_url: str, path: str) -> None:
    async with client_for(database_url) as client:
        response = await client.get(path, headers={"Host": "evil.example"})

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == BAD_HOST
    assert response.headers["X-Request-ID"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_a_refused_host_changes_nothing(database_url: str) -> None:
    user = {"user": {"username": "jake", "email": "jake@example.com", "password": "correct horse battery"}}
    async with client_for(database_url) as client:
        refused = await client.post("/api/users", json=user, headers={"Host": "evil.example"})
        registered = await client.post("/api/users", json=user)

    assert refused.status_code == 400
    assert registered.status_code == 201


@pytest.mark.parametrize("host", ["", "exa mple.com", "[::1", "example.com:port"])
async def test_a_malformed_host_header_is_refused(database_url: str, host: str) -> None:
    async with client_for(database_url) as client:
        response = await client.get("/api/tags", headers={"Host": host})

    assert response.status_code == 400
    assert response.json() == BAD_HOST


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("conduit.example", 200),
        ("CONDUIT.example:443", 200),
        ("api.example.com", 200),
        ("deep.api.example.com", 200),
        ("example.com", 400),
        ("evil-example.com", 400),
        ("conduit.example.evil", 400),
        ("localhost", 400),
    ],
)
async def test_configured_hosts_and_subdomain_wildcards_are_honoured(
    database_url: str, host: str, status: int
) -> None:
    async with client_for(database_url, allowed_hosts="conduit.example, *.example.com") as client:
        response = await client.get("/api/tags", headers={"Host": host})

    assert response.status_code == status


async def test_a_bare_wildcard_allows_any_host_outside_production(database_url: str) -> None:
    async with client_for(database_url, allowed_hosts="*") as client:
        response = await client.get("/api/tags", headers={"Host": "anything.example"})

    assert response.status_code == 200
