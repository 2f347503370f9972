"""The demo staff account that ``conduit seed`` (and so ``scripts/run``) makes, so that the admin
console can be tried at once: it is staff, signs in with the published demo password and opens
``/admin``; the demo authors are not staff. It is added to a database seeded before it existed."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import User
from app.demo_data import AUTHORS, DEMO_PASSWORD, DEMO_STAFF_EMAIL, DEMO_STAFF_USERNAME, seed
from app.services.context import AppContext
from tests.helpers import register
from tests.web.helpers import browser, sign_in_browserless

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def _staff_flags(context: AppContext) -> dict[str, bool]:
    async def work(session: AsyncSession) -> dict[str, bool]:
        rows = await session.execute(select(User.username, User.is_staff))
        return {row.username: row.is_staff for row in rows}

    return await context.db.read(work)


async def test_seeding_makes_a_staff_account_that_opens_the_admin_console(
    app: FastAPI, context: AppContext
) -> None:
    report = await seed(context, articles_per_user=1)

    assert report.staff_created
    assert await _staff_flags(context) == {
        DEMO_STAFF_USERNAME: True,
        **{name: False for name, _bio in AUTHORS},
    }
    async with browser(app) as staff, browser(app) as author:
        await sign_in_browserless(staff, DEMO_STAFF_EMAIL, DEMO_PASSWORD)
        await sign_in_browserless(author, f"{AUTHORS[0][0]}@example.com", DEMO_PASSWORD)
        console = await staff.get("/admin/user/list")
        refused = await author.get("/admin/user/list")

    assert console.status_code == 200
    assert DEMO_STAFF_USERNAME in console.text
    assert refused.status_code == 403


async def test_a_second_seed_leaves_the_staff_account_as_it_is(context: AppContext) -> None:
    await seed(context, articles_per_user=1)
    before = await _staff_flags(context)

    again = await seed(context, articles_per_user=1)

    assert (again.created, again.staff_created) == (False, False)
    assert await _staff_flags(context) == before


async def test_seeding_a_database_seeded_before_adds_the_staff_account(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await register(client, AUTHORS[0][0], password=DEMO_PASSWORD)  # as an earlier seed left it

    report = await seed(context, articles_per_user=1)

    assert (report.created, report.staff_created) == (False, True)
    assert (await _staff_flags(context))[DEMO_STAFF_USERNAME] is True
