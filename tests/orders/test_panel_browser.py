"""The order panel in a real browser: the typed lookup is swapped in by htmx, the page stays where it is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-9"  # make_agent's default


@pytest.fixture
def asked(visitor_says: Callable[..., Any], agent: Any) -> Any:
    """Made before the browser starts (writes that publish realtime events stay off Playwright's thread)."""
    from ruamchat.orders.actions import ensure_sample_source

    ensure_sample_source()
    return visitor_says("เช็คออเดอร์ CS-10023 ให้หน่อยค่ะ").conversation


def test_the_agent_looks_up_a_typed_number_without_leaving_the_page(live_server_url: str, asked: Any,
                                                                     chromium: Browser) -> None:
    context = chromium.new_context(viewport={"width": 1100, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(f"{live_server_url}/login/")
        page.locator("#id_username").fill("somchai")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#id_password").press("Enter")
        expect(page.locator("#queue-list")).to_be_visible()
        url = f"{live_server_url}/orders/panel?conversation={asked.pk}"
        page.goto(url)
        panel = page.locator("#orders-panel")
        expect(panel.locator('#orders-found .order-card[data-number="CS-10023"]')).to_have_attribute(
            "data-result", "found")
        expect(panel.locator("#orders-busy")).to_be_hidden()
        panel.locator("#orders-number").fill("cs-๑๐๐๔๒")
        panel.locator("#orders-number").press("Enter")
        typed = panel.locator('#orders-typed-result .order-card[data-number="CS-10042"]')
        expect(typed).to_have_attribute("data-result", "found")
        expect(typed.locator(".order-items li").first).to_contain_text("×")
        assert page.url == url  # swapped in, not a new page
        panel.locator("#orders-number").fill("CS-20000")
        panel.get_by_role("button", name="Look up").click()
        expect(panel.locator("#orders-typed-result")).to_contain_text("There is no order CS-20000")
    finally:
        context.close()
