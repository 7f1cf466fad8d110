"""A visitor sees the bot's answer card in the widget and answers its quick reply with one key press."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from ruamchat.connectors.website.connector import visitor_external_id
from ruamchat.contacts.actions import identify
from ruamchat.inbox.models import Conversation, Message
from tests.waiting import wait_for

VISITOR = "cards-visitor-" + "f" * 30


def bot_offer(website: Any) -> Message:
    """The bot's answer already waiting in the visitor's conversation (made with the ORM: nothing is published)."""
    identity = identify(channel=website, external_id=visitor_external_id(VISITOR))
    conversation = Conversation.objects.create(
        channel=website, contact=identity.contact, identity=identity, team=website.default_team,
    )
    return Message.objects.create(
        conversation=conversation, channel=website, direction=Message.Direction.OUTGOING,
        sender_type=Message.Sender.BOT, status=Message.Status.SENT, text="เรื่องนี้น่าจะช่วยได้ค่ะ",
        metadata={
            "cards": [{
                "title": "ค่าจัดส่งและระยะเวลา", "text": "ส่งฟรีเมื่อสั่งครบ 500 บาท ถึงภายใน 1–3 วันทำการ",
                "url": "https://chuanshop.example/help/shipping", "link_label": "อ่านต่อ",
                "action": {"label": "คุยกับพนักงาน", "data": "bot:handoff"},
            }],
            "quick_replies": [{"label": "ใช่ ตอบตรง", "data": "bot:helpful:yes"},
                              {"label": "ไม่ใช่", "data": "bot:helpful:no"}],
        },
    )


@pytest.mark.browser
def test_visitor_sees_the_answer_card_and_answers_with_a_quick_reply(
    live_server_url: str, chromium: Any, website: Any,
) -> None:
    bot_offer(website)
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="th-TH")
    # the visitor's browser already knows its token: the conversation above is theirs
    context.add_init_script(f"localStorage.setItem('ruamchat:{website.key}:visitor', '{VISITOR}')")
    page = context.new_page()
    try:
        page.goto(f"{live_server_url}/widget/{website.key}/frame?lang=th")
        card = page.locator(".rc-msg--agent .rc-card")
        expect(card.locator(".rc-card-title")).to_have_text("ค่าจัดส่งและระยะเวลา")
        expect(card.locator(".rc-card-text")).to_contain_text("ส่งฟรีเมื่อสั่งครบ 500 บาท")
        link = card.locator("a.rc-card-link")
        expect(link).to_contain_text("อ่านต่อ")
        expect(link).to_have_attribute("href", "https://chuanshop.example/help/shipping")
        expect(link).to_have_attribute("target", "_blank")
        expect(link).to_have_attribute("rel", "noopener noreferrer")
        expect(card.get_by_role("button", name="คุยกับพนักงาน")).to_be_visible()

        replies = page.get_by_role("group").get_by_role("button")
        expect(replies).to_have_text(["ใช่ ตอบตรง", "ไม่ใช่"])
        replies.first.press("Enter")  # real buttons: the keyboard works as a tap does

        expect(page.locator(".rc-quick")).to_have_count(0)  # the visitor answered: the choices go away
        expect(page.locator("#rc-input")).to_be_focused()
        sent = page.locator(".rc-msg--visitor", has=page.locator(".rc-text", has_text="ใช่ ตอบตรง"))
        expect(sent).to_have_attribute("data-state", "sent")
        wait_for(lambda: Message.objects.filter(sender_type="contact", text="ใช่ ตอบตรง").exists())
        stored = Message.objects.get(sender_type="contact", text="ใช่ ตอบตรง")
        assert stored.metadata["postback"] == {"data": "bot:helpful:yes", "label": "ใช่ ตอบตรง"}
        assert stored.conversation.identity.external_id == visitor_external_id(VISITOR)
    finally:
        context.close()
