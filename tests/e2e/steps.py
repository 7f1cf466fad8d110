"""Steps several browser tests share."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, FrameLocator, expect


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
