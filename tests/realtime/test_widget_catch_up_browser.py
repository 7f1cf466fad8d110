"""A reply lost on its way to the widget (the channel layer restarted) while a later one arrived live is still
shown once the widget reconnects: its hello asks from the last message the server's history covered, not from the
newest one pushed."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from ruamchat.inbox.actions import send_reply
from ruamchat.inbox.models import Message

pytestmark = pytest.mark.browser


class LossyLayer:
    """Between the widget and the server: loses the next pushed message, and can cut the socket (as the server's
    subscription watch does when it notices the loss)."""

    def __init__(self) -> None:
        self.lose_next_push = False
        self.open: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        self.hellos: list[str] = []
        self.lost: list[str] = []

    def route(self, page_side: WebSocketRoute) -> None:
        server_side = page_side.connect_to_server()
        self.open.append((page_side, server_side))

        def from_server(message: str | bytes) -> None:
            if self.lose_next_push and str(message).startswith('{"type": "message"'):
                self.lose_next_push = False
                self.lost.append(str(message))
                return
            page_side.send(message)

        def from_page(message: str | bytes) -> None:
            if '"hello"' in str(message):
                self.hellos.append(str(message))
            server_side.send(message)

        server_side.on_message(from_server)
        page_side.on_message(from_page)

    def cut(self) -> None:
        for page_side, server_side in self.open:
            page_side.close(code=1012, reason="service restart")
            server_side.close()
        self.open.clear()


def test_a_reply_lost_before_a_live_one_is_fetched_on_reconnect(
    live_server_url: str, chromium: Any, website: Any, agent: Any,
) -> None:
    layer = LossyLayer()
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="th-TH")
    context.route_web_socket(re.compile(r"/ws/widget/"), layer.route)
    page: Page = context.new_page()
    try:
        page.goto(f"{live_server_url}/widget/{website.key}/demo")
        page.locator("ruamchat-widget .rc-bubble").click()
        frame = page.frame_locator("ruamchat-widget iframe")
        app = frame.locator("#rc-app")
        expect(app).to_have_attribute("data-connection", "open")
        frame.locator("#rc-input").fill("สั่งเสื้อไปสองตัว ได้แค่ตัวเดียวค่ะ")
        frame.locator("#rc-input").press("Enter")
        expect(frame.locator(".rc-msg--visitor").first).to_have_attribute("data-state", "sent")
        conversation = Message.objects.get(sender_type="contact").conversation

        layer.lose_next_push = True
        send_reply(conversation=conversation, actor=agent, text="ขออภัยค่ะ ขอเลขคำสั่งซื้อด้วยนะคะ")
        _pump_until(page, lambda: bool(layer.lost))  # the in-process worker delivers it; its push is lost
        assert json.loads(layer.lost[0])["message"]["text"] == "ขออภัยค่ะ ขอเลขคำสั่งซื้อด้วยนะคะ"
        send_reply(conversation=conversation, actor=agent, text="จะส่งตัวที่ขาดไปให้พรุ่งนี้ค่ะ")
        later = frame.locator(".rc-msg--agent", has_text="จะส่งตัวที่ขาดไปให้พรุ่งนี้ค่ะ")
        expect(later).to_be_visible(timeout=15_000)
        lost = frame.locator(".rc-msg--agent", has_text="ขออภัยค่ะ ขอเลขคำสั่งซื้อด้วยนะคะ")
        expect(lost).to_have_count(0)

        hellos = len(layer.hellos)
        layer.cut()
        expect(lost).to_be_visible(timeout=20_000)  # fetched by the hello of the new connection
        assert len(layer.hellos) > hellos
        expect(app).to_have_attribute("data-connection", "open")
        # in order, each once
        texts = frame.locator(".rc-msg--agent[data-id] .rc-text").all_inner_texts()
        assert texts == ["ขออภัยค่ะ ขอเลขคำสั่งซื้อด้วยนะคะ", "จะส่งตัวที่ขาดไปให้พรุ่งนี้ค่ะ"]
    finally:
        context.close()


def _pump_until(page: Page, condition: Callable[[], bool], timeout: float = 20) -> None:
    """Wait for something the routing callbacks do: Playwright runs them only while the page is waited on."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        page.wait_for_timeout(50)
