"""Steps several browser tests share."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, FrameLocator, Page, expect

#: the password the browser tests give the agents they make
PASSWORD = "correct-horse-battery-9"


def visitor_writes(context: BrowserContext, base: str, channel_key: str, text: str) -> FrameLocator:
    """A visitor opens the shop's page, opens the chat bubble and sends ``text``; returns the widget frame."""
    visitor = context.new_page()
    visitor.goto(f"{base}/widget/{channel_key}/demo")
    visitor.locator("ruamchat-widget .rc-bubble").click()
    widget = visitor.frame_locator("ruamchat-widget iframe")
    expect(widget.locator("#rc-app")).to_have_attribute("data-connection", "open")
    widget.locator("#rc-input").fill(text)
    widget.locator("#rc-input").press("Enter")
    expect(widget.locator(".rc-msg--visitor").first).to_have_attribute("data-state", "sent")
    return widget


def sign_in(context: BrowserContext, base: str, username: str, password: str = PASSWORD) -> Page:
    """A new page signed in as ``username`` on the login form, once the agent websocket is connected."""
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("#id_password").press("Enter")
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "online")
    return page
