"""The audit log in the console: every moderation action with who, what and when, newest first,
filterable, and itself read-only."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from app.services.context import AppContext
from tests.admin.support import article_id, run_action, user_id
from tests.helpers import create_article, register

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

_ROW = re.compile(r"<tr>(.*?)</tr>", re.DOTALL)
_CELL = re.compile(r"<td>([^<]*)</td>")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\+00:00")


def table_rows(html: str) -> list[list[str]]:
    """The text cells of each row of a console list (the checkbox and link cells left out)."""
    body = html[html.index("<tbody") : html.index("</tbody>")]
    return [[cell.strip() for cell in _CELL.findall(row)] for row in _ROW.findall(body)]


@pytest.fixture
async def moderated(
    client: httpx.AsyncClient, context: AppContext, console: httpx.AsyncClient
) -> dict[str, Any]:
    """A user deactivated, then an article hidden."""
    user = await register(client)
    article = await create_article(client, user["token"], title="Buy now")
    the_user, the_article = (
        await user_id(context, user["username"]),
        await article_id(context, article["slug"]),
    )
    for view, action, target in (("user", "deactivate", the_user), ("article", "hide", the_article)):
        response = await run_action(console, view, action, target)
        assert response.status_code == 303
    return {"user": user, "user_id": the_user, "article": article, "article_id": the_article}


async def test_staff_see_every_action_newest_first(
    console: httpx.AsyncClient, staff: dict[str, Any], moderated: dict[str, Any]
) -> None:
    response = await console.get("/admin/audit-entry/list")

    assert response.status_code == 200
    rows = table_rows(response.text)
    assert all(_TIMESTAMP.fullmatch(row[0]) for row in rows)
    assert [row[1:] for row in rows] == [
        [
            staff["username"],
            "hide",
            "article",
            str(moderated["article_id"]),
            f"slug: {moderated['article']['slug']}; title: Buy now; author: {moderated['user']['username']}",
        ],
        [
            staff["username"],
            "deactivate",
            "user",
            str(moderated["user_id"]),
            f"username: {moderated['user']['username']}",
        ],
    ]


@pytest.mark.parametrize(("target_type", "action"), [("user", "deactivate"), ("article", "hide")])
async def test_the_log_filters_by_what_was_moderated(
    console: httpx.AsyncClient, moderated: dict[str, Any], target_type: str, action: str
) -> None:
    response = await console.get("/admin/audit-entry/list", params={"target_type": target_type})

    assert response.status_code == 200
    assert [(row[2], row[3]) for row in table_rows(response.text)] == [(action, target_type)]


async def test_the_log_offers_no_way_to_change_it(
    console: httpx.AsyncClient, moderated: dict[str, Any]
) -> None:
    response = await console.get("/admin/audit-entry/list")

    assert response.status_code == 200
    assert "/admin/audit-entry/action/" not in response.text
    assert "/admin/audit-entry/edit/" not in response.text
    assert "/admin/audit-entry/create" not in response.text
