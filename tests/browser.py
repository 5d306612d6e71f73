"""What the browser tests share: the test users' password and logging in through the real form."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

PASSWORD = "browser-test-pw-1"


def log_in(
    page: Page, server: Any, username: str, next_url: str = "/", *, until_live: bool = True
) -> None:
    """Log in through the login form; by default wait until the page's live connection is up."""
    page.goto(f"{server.url}/accounts/login/?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    if until_live:
        expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
