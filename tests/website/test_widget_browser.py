"""A visitor on a shop website chats through the widget in a real browser, across a dropped connection."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import FrameLocator, Page, WebSocketRoute, expect

from ruamchat.inbox.models import Message

pytestmark = pytest.mark.browser



class FlakyNetwork:
    """Sits between the widget and the server: can cut the socket, lose an ack, or stay down."""

    def __init__(self) -> None:
        self.down = False
        self.lose_next_ack = False
        self.open: list[tuple[WebSocketRoute, WebSocketRoute]] = []

    def route(self, page_side: WebSocketRoute) -> None:
        if self.down:
            page_side.close(code=4000, reason="network down")
            return
        server_side = page_side.connect_to_server()
        pair = (page_side, server_side)
        self.open.append(pair)

        def from_server(message: str | bytes) -> None:
            if self.lose_next_ack and '"ack"' in str(message):
                # The server stored the message; the connection dies before the browser hears so.
                self.lose_next_ack = False
                self.cut()
                return
            page_side.send(message)

        server_side.on_message(from_server)

    def cut(self) -> None:
        self.down = True
        for page_side, server_side in self.open:
            page_side.close(code=4000, reason="network down")
            server_side.close()
        self.open.clear()


def open_widget(page: Page, url: str) -> FrameLocator:
    page.goto(url)
    page.locator("ruamchat-widget .rc-bubble").click()
    expect(page.locator("ruamchat-widget .rc-bubble")).to_have_attribute("aria-expanded", "true")
    frame = page.frame_locator("ruamchat-widget iframe")
    expect(frame.locator("#rc-app")).to_have_attribute("data-connection", "open")
    return frame


def write(frame: FrameLocator, text: str) -> None:
    frame.locator("#rc-input").fill(text)
    frame.locator("#rc-input").press("Enter")


def visitor_message(frame: FrameLocator, text: str) -> Any:
    return frame.locator(".rc-msg--visitor", has=frame.locator(".rc-text", has_text=text))


def test_visitor_message_survives_a_dropped_connection_and_the_reply_arrives_live(
    live_server_url: str, chromium: Any, website: Any, agent: Any,
) -> None:
    network = FlakyNetwork()
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="th-TH")
    context.route_web_socket(re.compile(r"/ws/widget/"), network.route)
    page = context.new_page()
    try:
        frame = open_widget(page, f"{live_server_url}/widget/{website.key}/demo")

        write(frame, "สวัสดีค่ะ สั่งกาแฟไปเมื่อวาน ยังไม่ได้รับเลย")
        expect(visitor_message(frame, "สวัสดีค่ะ สั่งกาแฟไปเมื่อวาน")).to_have_attribute("data-state", "sent")

        # The server stores the next message but the connection dies before its ack arrives, and
        # the network stays down while the visitor writes one more.
        network.lose_next_ack = True
        write(frame, "เลขที่คำสั่งซื้อ #10234 ค่ะ")
        expect(frame.locator("#rc-app")).not_to_have_attribute("data-connection", "open")
        context.set_offline(True)
        write(frame, "ส่งไปที่ 99 ถนนนิมมานเหมินท์ เชียงใหม่")
        expect(visitor_message(frame, "#10234")).to_have_attribute("data-state", "sending")
        expect(visitor_message(frame, "นิมมานเหมินท์")).to_have_attribute("data-state", "sending")
        assert Message.objects.filter(text="เลขที่คำสั่งซื้อ #10234 ค่ะ").count() == 1  # stored, not acked
        assert not Message.objects.filter(text__contains="นิมมานเหมินท์").exists()  # never left the browser

        network.down = False
        context.set_offline(False)
        expect(frame.locator("#rc-app")).to_have_attribute("data-connection", "open", timeout=20_000)
        expect(visitor_message(frame, "#10234")).to_have_attribute("data-state", "sent")
        expect(visitor_message(frame, "นิมมานเหมินท์")).to_have_attribute("data-state", "sent")
        assert list(Message.objects.filter(sender_type="contact").order_by("id").values_list("text", flat=True)) == [
            "สวัสดีค่ะ สั่งกาแฟไปเมื่อวาน ยังไม่ได้รับเลย",
            "เลขที่คำสั่งซื้อ #10234 ค่ะ",
            "ส่งไปที่ 99 ถนนนิมมานเหมินท์ เชียงใหม่",
        ]
        expect(frame.locator(".rc-msg--visitor")).to_have_count(3)
        outbox = frame.locator("body").evaluate(
            f"() => localStorage.getItem('ruamchat:{website.key}:outbox')"
        )
        assert outbox == "[]"

        from ruamchat.inbox.actions import send_reply

        conversation = Message.objects.filter(sender_type="contact").first().conversation
        send_reply(conversation=conversation, actor=agent, text="ขออภัยค่ะ พัสดุจะถึงพรุ่งนี้นะคะ")
        reply = frame.locator(".rc-msg--agent", has_text="ขออภัยค่ะ พัสดุจะถึงพรุ่งนี้นะคะ")
        expect(reply).to_be_visible(timeout=15_000)
        expect(reply.locator(".rc-name")).to_have_text("Somchai")
    finally:
        context.close()


def test_widget_rejects_an_overlong_message_in_the_browser(
    live_server_url: str, chromium: Any, website: Any,
) -> None:
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    page = context.new_page()
    try:
        frame = open_widget(page, f"{live_server_url}/widget/{website.key}/demo")
        frame.locator("#rc-input").fill("ก" * 5001)
        expect(frame.locator("#rc-counter")).to_have_text("5001 / 5000")
        frame.locator("#rc-input").press("Enter")
        # the demo page embeds the widget with data-lang="th"
        expect(frame.locator("#rc-notice")).to_have_text("ข้อความยาวเกินไป พิมพ์ได้ไม่เกิน 5000 ตัวอักษร")
        expect(frame.locator("#rc-input")).to_have_value("ก" * 5001)  # nothing typed is lost
        assert not Message.objects.exists()
    finally:
        context.close()
