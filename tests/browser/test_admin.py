"""The admin console in a real browser: a staff member made with ``conduit create-admin`` signs in
on the site, finds a user, and deactivates them through sqladmin's action menu and its confirmation;
the user's token stops working and the audit log shows the action. No console page breaks the
Content Security Policy.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.support import LiveApi, sign_in
from tests.databases import ROOT, SqliteDatabases
from tests.servers import running_servers


@pytest.fixture(scope="module")
def live_database(
    sqlite_databases: SqliteDatabases, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    directory = tmp_path_factory.mktemp("live-admin")
    return sqlite_databases.create_from_template(directory / "conduit.sqlite3"), directory


@pytest.fixture(scope="module")
def live_server(live_database: tuple[str, Path]) -> Iterator[str]:
    """As in conftest, but this module also needs the server's database (for ``create-admin``)."""
    database_url, directory = live_database
    with running_servers(database_url, directory, RATE_LIMITS_ENABLED="false") as [server]:
        yield server.url


def create_admin(database_url: str, email: str) -> None:
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "conduit"), "create-admin", "--email", email],
        cwd=ROOT,
        env={**os.environ, "APP_ENV": "test", "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_staff_deactivate_a_user_through_the_console(
    page: Page, api: LiveApi, live_database: tuple[str, Path]
) -> None:
    staff, troll = api.register("mod"), api.register("troll")
    create_admin(live_database[0], staff.email)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if _is_error(message) else None)
    sign_in(page, staff)

    page.goto("/admin/user/list")
    page.get_by_placeholder("Search: username, email").fill(troll.username)
    page.get_by_placeholder("Search: username, email").press("Enter")
    row = page.get_by_role("row").filter(has_text=troll.email)
    expect(page.get_by_role("row").filter(has_text="@example.com")).to_have_count(1)
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("link", name="Deactivate").click()
    page.locator(".modal.show").get_by_role("link", name="Yes").click()

    page.wait_for_url("**/admin/user/list**")
    assert (
        api.post_raw("/users/login", {"user": {"email": troll.email, "password": troll.password}}).status_code
        == 401
    )
    page.goto("/admin/audit-entry/list")
    expect(page.get_by_role("row").filter(has_text="deactivate")).to_contain_text(
        f"username: {troll.username}"
    )
    assert errors == []


def _is_error(message: ConsoleMessage) -> bool:
    return message.type == "error"
