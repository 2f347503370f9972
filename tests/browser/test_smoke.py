"""The site loads in a real browser with its own assets and no console errors."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_home_page_loads_with_htmx_and_no_console_errors(page: Page) -> None:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto("/")

    expect(page.get_by_role("link", name="Global feed")).to_be_visible()
    assert page.evaluate("typeof window.htmx") == "object"
    assert errors == []
