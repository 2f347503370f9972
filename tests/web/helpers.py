"""Helpers for page tests that post forms the way a browser without JavaScript does.

A test client keeps cookies like a browser: the first page it gets sets the CSRF seed, and pages
embed the matching token in a hidden ``csrf_token`` input, which ``csrf_token_from`` reads back.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from app.web.cookies import SESSION_COOKIE
from tests.helpers import PASSWORD

_CSRF_INPUT = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')
_CSRF_HTMX_HEADER = re.compile(r"""hx-headers='\{"X-CSRF-Token": "([^"]+)"\}'""")


def csrf_token_from(html: str) -> str:
    """The CSRF token a page embeds in its forms (or, on a page without forms, gives htmx)."""
    match = _CSRF_INPUT.search(html) or _CSRF_HTMX_HEADER.search(html)
    assert match is not None, "the page has no CSRF token"
    return match.group(1)


async def csrf_token(client: httpx.AsyncClient, page: str = "/") -> str:
    """Opens ``page`` (which also gives a new browser its CSRF cookie) and returns its token."""
    response = await client.get(page)
    assert response.status_code == 200, response.text
    return csrf_token_from(response.text)


async def submit(
    client: httpx.AsyncClient,
    action: str,
    data: Mapping[str, str] | None = None,
    *,
    page: str = "/",
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """Posts a form to ``action`` with the CSRF token from ``page``, as a browser would."""
    token = await csrf_token(client, page)
    return await client.post(action, data={**(data or {}), "csrf_token": token}, headers=headers)


async def sign_in_browserless(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, *, next_target: str | None = None
) -> httpx.Response:
    """Signs in through the ``/login`` form; the client then carries the session cookie."""
    data = {"email": email, "password": password, **({"next": next_target} if next_target else {})}
    response = await submit(client, "/login", data, page="/login")
    assert response.status_code == 303, response.text
    return response


async def register_browserless(
    client: httpx.AsyncClient, username: str, *, email: str | None = None, password: str = PASSWORD
) -> httpx.Response:
    """Signs up through the ``/register`` form; the client is then signed in as ``username``."""
    data = {"username": username, "email": email or f"{username}@example.com", "password": password}
    response = await submit(client, "/register", data, page="/register")
    assert response.status_code == 303, response.text
    return response


def set_cookie(response: httpx.Response, name: str) -> dict[str, str | bool]:
    """The ``Set-Cookie`` header for cookie ``name``: its value and attributes (lower-case names;
    flags such as ``httponly`` map to ``True``)."""
    for header in response.headers.get_list("set-cookie"):
        cookie_name, _, rest = header.partition("=")
        if cookie_name.strip() != name:
            continue
        value, *attributes = rest.split(";")
        parsed: dict[str, str | bool] = {"value": value.strip().strip('"')}
        for attribute in attributes:
            key, equals, attribute_value = attribute.strip().partition("=")
            parsed[key.lower()] = attribute_value if equals else True
        return parsed
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


def session_cookie(response: httpx.Response) -> dict[str, str | bool]:
    return set_cookie(response, SESSION_COOKIE)


def sets_cookie(response: httpx.Response, name: str) -> bool:
    return any(header.partition("=")[0].strip() == name for header in response.headers.get_list("set-cookie"))


@asynccontextmanager
async def browser(app: FastAPI, base_url: str = "http://testserver") -> AsyncIterator[httpx.AsyncClient]:
    """Another browser on the same running app, with a cookie jar of its own."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield client


def session_token(client: httpx.AsyncClient) -> str:
    """The JWT in this browser's session cookie, to check results through the API as that person."""
    token = client.cookies.get(SESSION_COOKIE)
    assert token, "this browser is not signed in"
    return token


def htmx_headers(token: str) -> dict[str, str]:
    """What htmx sends with a request: its marker, and the page's CSRF token as a header
    (``base.html`` puts it in ``hx-headers``)."""
    return {"HX-Request": "true", "X-CSRF-Token": token}
