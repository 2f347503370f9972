"""Fixtures for the admin console: a staff member and a browser signed in as them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.services.context import AppContext
from tests.admin.support import register_staff
from tests.web.helpers import browser, sign_in_browserless


@pytest.fixture
async def staff(client: httpx.AsyncClient, context: AppContext) -> dict[str, Any]:
    return await register_staff(client, context)


@pytest.fixture
async def console(app: FastAPI, staff: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    """A browser signed in as the staff member through the site's sign-in form."""
    async with browser(app) as staff_browser:
        await sign_in_browserless(staff_browser, staff["email"])
        yield staff_browser
