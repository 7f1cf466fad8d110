"""CSAT in the website chat, in a real browser: an agent answers a visitor and resolves the conversation, the
visitor sees the survey question as five stars, rates 4 with the keyboard, is asked why and types a comment;
the answer and the comment are stored and the conversation stays resolved.

One real ASGI server with its in-process worker: the reply, the survey and its answers go out in jobs, as in
production. The agent's actions run on a thread of their own (never on Playwright's thread)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _
from playwright.sync_api import FrameLocator, Page, expect

from ruamchat.inbox.models import Conversation, Message
from ruamchat.surveys import replies
from ruamchat.surveys.models import Invitation, Response
from tests.waiting import wait_for

pytestmark = pytest.mark.browser

QUESTION = "สั่งหูฟังไร้สายไปเมื่อวาน ตอนนี้ของถึงไหนแล้วคะ"
REPLY = "พัสดุออกจาก Kerry Express แล้วค่ะ จะถึงภายในพรุ่งนี้นะคะ"
COMMENT = "พนักงานตอบเร็วมากค่ะ แต่อยากให้ส่งของเร็วกว่านี้"


@pytest.fixture
def csat_website(default_surveys: None, csat_on: Callable[..., Any], website: Any, agent: Any) -> Any:
    """CSAT asked on the website chat, right after a conversation is resolved. Made before the browser starts."""
    return csat_on(website, delay_minutes=0)


def off_playwright(action: Callable[[], object]) -> None:
    """Run an agent's action on a thread of its own, as a request would, and wait for it."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # handed back to the test below
            failures.append(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "the agent's action did not finish"
    if failures:
        raise failures[0]


def open_widget(page: Page, url: str) -> FrameLocator:
    page.goto(url)
    page.locator("ruamchat-widget .rc-bubble").click()
    frame = page.frame_locator("ruamchat-widget iframe")
    expect(frame.locator("#rc-app")).to_have_attribute("data-connection", "open")
    return frame


def write(frame: FrameLocator, text: str) -> None:
    frame.locator("#rc-input").fill(text)
    frame.locator("#rc-input").press("Enter")
    sent = frame.locator(".rc-msg--visitor", has=frame.locator(".rc-text", has_text=text))
    expect(sent).to_have_attribute("data-state", "sent")


def test_the_visitor_rates_with_stars_and_comments_in_the_widget(
    csat_website: Any, live_server_url: str, chromium: Any, website: Any, agent: Any,
) -> None:
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="th-TH")
    page = context.new_page()
    try:
        # The visitor asks on the shop's page (the demo embeds the widget in Thai).
        frame = open_widget(page, f"{live_server_url}/widget/{website.key}/demo")
        write(frame, QUESTION)
        conversation = Conversation.objects.get()

        # The agent answers and resolves the conversation; the worker sends the reply, then the survey.
        from ruamchat.inbox.actions import change_status, send_reply

        off_playwright(lambda: send_reply(conversation=conversation, actor=agent, text=REPLY))
        expect(frame.locator(".rc-msg--agent", has_text=REPLY)).to_be_visible(timeout=15_000)
        off_playwright(lambda: change_status(conversation=conversation, actor=agent, status="resolved"))

        wait_for(lambda: Invitation.objects.filter(conversation=conversation, status="sent").exists())
        invitation = Invitation.objects.get(conversation=conversation)
        with translation.override(invitation.language):
            question = invitation.survey.text("question", invitation.language)
            names = [_("%(score)s of %(max)s stars") % {"score": n, "max": 5} for n in range(1, 6)]
            group_name = _("Rate us from 1 to 5 stars")
            labels = {n: replies.csat_label(n) for n in range(1, 6)}
            followup_text = invitation.survey.text("followup", invitation.language)
            thanks_text = invitation.survey.text("thanks", invitation.language)
            no_thanks = _("No, thanks")

        # The question shows five stars, 1 to 5 from left to right, instead of five buttons of text.
        asked = frame.locator(".rc-msg--agent", has=frame.locator(".rc-text", has_text=question))
        expect(asked).to_have_count(1, timeout=15_000)
        rating = asked.get_by_role("group", name=group_name)
        stars = rating.get_by_role("button")
        expect(stars).to_have_count(5)
        for n, name in enumerate(names, start=1):
            expect(stars.nth(n - 1)).to_have_accessible_name(name)
            expect(asked.get_by_role("button", name=name, exact=True)).to_have_count(1)
        lefts = [box["x"] for box in (stars.nth(i).bounding_box() for i in range(5)) if box]
        assert len(lefts) == 5 and lefts == sorted(lefts)
        expect(asked.locator(".rc-quick-button")).to_have_count(0)
        expect(asked).not_to_contain_text(labels[5])  # no text buttons: the labels are only the stars' hints

        # Pointing at the third star lights the first three and says what it means.
        stars.nth(2).hover()
        lit = asked.locator(".rc-star--lit")
        expect(lit).to_have_count(3)
        expect(asked.locator(".rc-stars-hint")).to_have_text(labels[3])

        # With the keyboard: Tab from the first star to the fourth, each one focused visibly, then Enter.
        stars.nth(0).focus()
        for n in (2, 3, 4):
            stars.nth(n - 2).press("Tab")
            expect(stars.nth(n - 1)).to_be_focused()
        expect(lit).to_have_count(4)
        expect(asked.locator(".rc-stars-hint")).to_have_text(labels[4])
        outline = stars.nth(3).evaluate("b => [getComputedStyle(b).outlineStyle, getComputedStyle(b).outlineWidth]")
        assert outline == ["solid", "3px"]
        stars.nth(3).press("Enter")

        # The press is the visitor's answer, sent like any message; the stars go away.
        pressed = frame.locator(".rc-msg--visitor", has=frame.locator(".rc-text", has_text=labels[4]))
        expect(pressed).to_have_attribute("data-state", "sent")
        expect(frame.locator(".rc-stars")).to_have_count(0)
        wait_for(lambda: Response.objects.filter(invitation=invitation, score=4).exists())
        stored = Message.objects.get(conversation=conversation, sender_type="contact", text=labels[4])
        assert stored.metadata["postback"]["data"] == f"survey:{invitation.pk}:4"
        assert Conversation.objects.get(pk=conversation.pk).status == "resolved"

        # The follow-up question arrives, with "No, thanks" as an ordinary button; the visitor types instead.
        followup = frame.locator(".rc-msg--agent", has_text=followup_text)
        expect(followup).to_have_count(1, timeout=15_000)
        expect(followup.locator(".rc-quick-button")).to_have_text([no_thanks])
        expect(followup.locator(".rc-star")).to_have_count(0)
        write(frame, COMMENT)

        wait_for(lambda: Response.objects.filter(invitation=invitation, comment=COMMENT).exists())
        expect(frame.locator(".rc-msg--agent", has_text=thanks_text)).to_have_count(1, timeout=15_000)
        response = Response.objects.get(invitation=invitation)
        assert response.score == 4 and response.via == "chat"
        assert Conversation.objects.get(pk=conversation.pk).status == "resolved"
        assert Conversation.objects.count() == 1  # a 4 opens no follow-up, and answering reopened nothing
    finally:
        context.close()
