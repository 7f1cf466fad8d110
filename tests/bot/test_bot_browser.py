"""The chatbot end to end in a real browser: a visitor asks in the website widget, the bot answers with the
article that should help, the visitor presses "No", the bot hands the conversation to the team and says so;
an agent of that team finds it in the team's open queue with the whole transcript and why the bot let go.

One real ASGI server with its in-process worker: the bot answers in a job, as in production."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from ruamchat.bot.models import BotConversation
from ruamchat.inbox.models import Conversation
from ruamchat.kb.selectors import article_url

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-9"
TITLE = "ผ่อน 0% นานสูงสุด 10 เดือน"
QUESTION = "ผ่อน 0% ได้กี่เดือนคะ"


@pytest.fixture
def shop(website: Any, team: Any, bot_on: Callable[..., Any], make_article: Callable[..., Any],
         make_agent: Callable[..., Any]) -> Any:
    """The bot on for the website chat, one public article (indexed), and an agent of the channel's team.
    Made before the browser starts: nothing here may run on the Playwright thread's event loop."""
    bot_on(website)
    make_agent(teams=[team], username="somchai", password=PASSWORD, language="en")
    return make_article(
        title=TITLE, keywords="ผ่อน แบ่งจ่าย ดอกเบี้ย",
        summary="ผ่อนชำระ 0% ด้วยบัตรเครดิตที่ร่วมรายการ นานสูงสุด 10 เดือน",
        body="ผ่อนชำระ 0% นานสูงสุด 10 เดือน ด้วยบัตรเครดิตกสิกร กรุงเทพ กรุงศรี เมื่อซื้อครบ 3,000 บาท")


def test_the_bot_answers_the_visitor_hands_off_on_no_and_the_team_sees_why(
    shop: Any, live_server_url: str, chromium: Any, website: Any, team: Any,
) -> None:
    article = shop
    visitor_ctx = chromium.new_context(viewport={"width": 390, "height": 844}, locale="th-TH")
    agent_ctx = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="th-TH")
    try:
        # The visitor opens the chat and asks a question the article answers.
        widget = visitor_ctx.new_page()
        widget.goto(f"{live_server_url}/widget/{website.key}/frame?lang=th")
        expect(widget.locator("#rc-app")).to_have_attribute("data-connection", "open")
        widget.locator("#rc-input").fill(QUESTION)
        widget.locator("#rc-input").press("Enter")
        expect(widget.locator(".rc-msg--visitor", has_text=QUESTION)).to_have_attribute("data-state", "sent")

        # The bot's answer arrives live (the worker ran its job): the article as a card with its link.
        answer = widget.locator("#rc-messages .rc-msg--agent", has=widget.locator(".rc-card"))
        expect(answer).to_have_count(1, timeout=20_000)
        expect(answer.locator(".rc-text")).to_have_text("บทความนี้น่าจะตอบคำถามของคุณได้ ช่วยได้ไหมคะ?")
        card = answer.locator(".rc-card")
        expect(card.locator(".rc-card-title")).to_have_text(TITLE)
        link = card.locator("a.rc-card-link")
        expect(link).to_contain_text("อ่านบทความ")
        assert unquote(link.get_attribute("href") or "") == unquote(article_url(article))

        # "Did it help?" — the visitor presses "No" (Thai: ไม่).
        buttons = answer.locator(".rc-quick").get_by_role("button")
        expect(buttons).to_have_text(["ใช่ ขอบคุณ", "ไม่", "คุยกับพนักงาน"])
        answer.locator(".rc-quick").get_by_role("button", name="ไม่", exact=True).click()
        pressed = widget.locator(".rc-msg--visitor", has=widget.locator(".rc-text", has_text="ไม่"))
        expect(pressed).to_have_attribute("data-state", "sent")

        # The bot hands off and tells the visitor who will answer (the team; open all day: no calendar).
        handoff = widget.locator("#rc-messages .rc-msg--agent", has_text="ส่งคำถามต่อให้")
        expect(handoff).to_have_count(1, timeout=20_000)
        expect(handoff.locator(".rc-text")).to_have_text(
            f"ส่งคำถามต่อให้ {team.name} แล้วค่ะ จะมีเจ้าหน้าที่ตอบในไม่ช้า")
        expect(widget.locator(".rc-quick")).to_have_count(0)  # nothing left to press

        # An agent of the channel's team signs in and opens the team's queue.
        inbox = agent_ctx.new_page()
        inbox.goto(f"{live_server_url}/login/")
        inbox.locator("#id_username").fill("somchai")
        inbox.locator("#id_password").fill(PASSWORD)
        inbox.locator("#id_password").press("Enter")
        expect(inbox.locator("#queue-list")).to_be_visible()
        inbox.locator("#queue-nav a", has_text=team.name).click()
        expect(inbox.locator("#queue-nav a[aria-current=true]")).to_contain_text(team.name)
        expect(inbox.locator("#filter-status")).to_have_value("open")
        row = inbox.locator("#queue-list .queue-row")
        expect(row).to_have_count(1)
        expect(row.locator(".row-handover")).to_have_text("↪ Bot: The answer did not help")
        row.locator("a.queue-link").click()

        # The whole transcript: the question, the bot's answer with the article, the "No" press, the hand-off.
        messages = inbox.locator("#message-list li.message")
        expect(messages).to_have_count(4)
        expect(messages.nth(0)).to_have_class(re.compile(r"\bincoming\b"))
        expect(messages.nth(0).locator(".message-text")).to_have_text(QUESTION)
        expect(messages.nth(1)).to_contain_text("บทความนี้น่าจะตอบคำถามของคุณได้")
        expect(messages.nth(1).locator(".bot-card strong")).to_have_text(TITLE)
        expect(messages.nth(2).locator(".message-text")).to_have_text("ไม่")
        expect(messages.nth(2).locator(".message-action")).to_have_text("Pressed a button: bot:no")
        expect(messages.nth(3).locator(".message-text")).to_contain_text(f"ส่งคำถามต่อให้ {team.name} แล้วค่ะ")

        # The side panel says the bot handed it off because its answer did not help, and what it offered.
        panel = inbox.locator("#bot-panel")
        expect(panel.locator("h2")).to_have_text("Chatbot")
        expect(panel.locator("#bot-state")).to_have_text("Handed to a person: The answer did not help")
        expect(panel.locator(".bot-offered li")).to_contain_text(f"{TITLE} · did not help")
        expect(panel.locator("#bot-resume")).to_be_visible()  # the bot is on for the channel: it can resume

        conversation = Conversation.objects.get()
        assert conversation.status == "open" and conversation.team == team
        assert BotConversation.objects.get(conversation=conversation).reason == "declined"
    finally:
        visitor_ctx.close()
        agent_ctx.close()
