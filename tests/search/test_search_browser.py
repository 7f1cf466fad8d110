"""The top bar's search in a real browser: "/" puts the cursor in it (on the inbox: again, from the queue's own
filter), results appear while typing, Escape closes them, Enter opens the full page, a message hit opens its
conversation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-9"  # make_agent's default


def signed_in(browser: Browser, base: str, username: str) -> Page:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page.locator("#queue-list")).to_be_visible()
    return page


@pytest.fixture
def indexed(visitor_says: Callable[..., Any], agent: Any) -> Any:
    """Made and indexed before the browser starts (writes stay off Playwright's thread)."""
    from ruamchat.search.actions import catch_up

    message = visitor_says("ได้รับของแล้วแต่สีไม่ตรงปก")
    catch_up()
    return message


def test_typing_in_the_top_bar_shows_results_and_opens_the_conversation(
        live_server_url: str, indexed: Any, chromium: Browser) -> None:
    page = signed_in(chromium, live_server_url, "somchai")
    try:
        box = page.locator("#global-search-q")
        page.locator("body").press("/")
        expect(page.locator("#filter-q")).to_be_focused()  # the inbox's own filter first
        page.keyboard.press("/")
        expect(box).to_be_focused()

        page.keyboard.type("ตรงปก")
        panel = page.locator("#global-search-panel")
        hit = panel.locator(f'[data-message-id="{indexed.pk}"]')
        expect(hit).to_be_visible()
        expect(hit.locator("mark")).to_have_text("ตรงปก")

        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()
        page.keyboard.type("สี")
        expect(hit).to_be_visible()

        hit.click()
        expect(page).to_have_url(f"{live_server_url}/inbox/c/{indexed.conversation_id}/#message-{indexed.pk}")

        page.goto(f"{live_server_url}/kb/")
        page.locator("body").press("/")
        expect(page.locator("#global-search-q")).to_be_focused()
        page.keyboard.type("สี")
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{live_server_url}/search/?q=%E0%B8%AA%E0%B8%B5")
        expect(page.locator("#search-results [data-group=messages]")).to_contain_text("ได้รับของแล้วแต่สีไม่ตรงปก")

        page.locator("#search-page-q").fill("ปก")  # as-you-type on the page too, its address kept in step
        expect(page.locator("#search-results mark")).to_have_text("ปก")
        expect(page).to_have_url(f"{live_server_url}/search/?q=%E0%B8%9B%E0%B8%81")
    finally:
        page.context.close()
