"""A customer answers an NPS survey on a phone in a real browser: every score fits the screen as a large enough
button, one tap answers, a Thai comment and Send end on the thank-you page, and the answer is stored. The same
again with JavaScript switched off: the pages are plain forms."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from ruamchat.surveys.models import Invitation, Response
from tests.surveys.factories import customer, sent_invitation

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3,
         "locale": "th-TH"}
QUESTION = "คุณมีแนวโน้มจะแนะนำเราให้เพื่อนหรือคนรู้จักมากน้อยแค่ไหน"
WHY = "เหตุผลหลักที่ให้คะแนนนี้คืออะไรคะ"
THANKS = "ขอบคุณที่สละเวลาตอบแบบสอบถามค่ะ"
COMMENT = "แอดมินตอบไวมาก ส่งของถึงภายในวันเดียว ประทับใจค่ะ"


@pytest.fixture
def invitation(website: Any) -> Invitation:
    """An NPS invitation sent to a Thai customer, made before the browser starts."""
    contact, identity = customer(website, language="th")
    return sent_invitation(contact, "nps", identity=identity)


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_customer_answers_nps_on_a_phone(live_server_url: str, invitation: Invitation, chromium: Browser,
                                           javascript: bool) -> None:
    context = chromium.new_context(**PHONE, java_script_enabled=javascript)
    try:
        page = context.new_page()
        page.goto(f"{live_server_url}/s/{invitation.token}/")
        expect(page.locator("html")).to_have_attribute("lang", "th")
        expect(page.locator("h1")).to_have_text(QUESTION)

        # all eleven scores fit the phone's width: no sideways scrolling, each an easy target
        buttons = page.locator("button[name=score]")
        expect(buttons).to_have_count(11)
        expect(buttons).to_have_text([str(n) for n in range(11)])
        width, scroll_width = page.evaluate(
            "[document.scrollingElement.clientWidth, document.scrollingElement.scrollWidth]")
        assert width == 390 and scroll_width <= width
        for n in range(11):
            button = buttons.nth(n)
            expect(button).to_be_visible()
            box = button.bounding_box()
            assert box is not None
            assert box["width"] >= 40 and box["height"] >= 40, (n, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (n, box)

        # one tap answers; the optional comment is asked next
        page.locator('button[name=score][value="9"]').tap()
        expect(page).to_have_url(re.compile(rf"/s/{re.escape(invitation.token)}/why/$"))
        expect(page.locator("h1")).to_have_text(WHY)
        page.locator("#comment").fill(COMMENT)
        page.locator("button.primary").tap()

        expect(page).to_have_url(re.compile(rf"/s/{re.escape(invitation.token)}/thanks/$"))
        expect(page.locator("h1")).to_have_text(THANKS)
        expect(page.locator("blockquote.comment")).to_have_text(COMMENT)
    finally:
        context.close()

    stored = Response.objects.get(invitation=invitation)
    assert (stored.score, stored.comment, stored.via) == (9, COMMENT, "page")
