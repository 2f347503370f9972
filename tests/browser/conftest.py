"""Browser tests: a live Conduit server per test module, driven by Playwright with Debian's Chromium.

The server is the real thing (``python -m app serve``: uvicorn, uvloop, httptools) on a free loopback
port, on a fresh migrated database. Chromium is Debian's (``/usr/bin/chromium``); Playwright never
downloads a browser here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.browser.support import LiveApi
from tests.databases import SqliteDatabases
from tests.servers import running_servers

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Flags for a closed network and a root user (see the machine notes): no sandbox, no background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def live_server(sqlite_databases: SqliteDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a real server on a fresh SQLite database, for this test module."""
    directory = tmp_path_factory.mktemp("live")
    database_url = sqlite_databases.create_from_template(directory / "conduit.sqlite3")
    # Rate limits off: a module's tests all sign up and write from the one loopback address
    # (tests/api/test_rate_limits.py covers the limits).
    with running_servers(database_url, directory, RATE_LIMITS_ENABLED="false") as [server]:
        yield server.url


# Module scope, not session: Playwright's sync API runs an event loop in this thread while it is
# open, which would clash with the asyncio tests of other modules and with asyncio.run() in setup.
@pytest.fixture(scope="module")
def playwright(live_server: str) -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield chromium
    chromium.close()


@pytest.fixture
def context(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) pointed at the live server, with JavaScript on."""
    browser_context = browser.new_context(base_url=live_server)
    browser_context.set_default_timeout(10_000)
    yield browser_context
    browser_context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def no_js_page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A page in a fresh profile with JavaScript disabled: only plain forms and links work."""
    browser_context = browser.new_context(base_url=live_server, java_script_enabled=False)
    browser_context.set_default_timeout(10_000)
    yield browser_context.new_page()
    browser_context.close()


@pytest.fixture(scope="module")
def api(live_server: str) -> Iterator[LiveApi]:
    """The live server's JSON API, for quick set-up and for checking what really changed."""
    client = LiveApi(live_server)
    yield client
    client.close()
