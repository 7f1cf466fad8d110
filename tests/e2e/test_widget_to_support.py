"""The whole path in a real browser: a website visitor writes in Thai, a Service agent sees it live and
transfers it to Support with a reason, a Support agent sees it arrive live and replies, and the visitor
sees the reply live. Three browser contexts, one real ASGI server with its in-process worker."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from ruamchat.inbox.models import Conversation, Event
from tests.e2e.steps import PASSWORD, sign_in, visitor_writes

pytestmark = pytest.mark.browser


def agent_page(context: BrowserContext, base: str, username: str) -> Page:
    page = sign_in(context, base, username)
    expect(page.locator("#queue-list")).to_be_visible()
    return page


def test_visitor_to_service_to_support_and_back_live(
    live_server_url: str, chromium: Any, website: Any, make_agent: Any, team: Any, support_team: Any
) -> None:
    make_agent(teams=[team], username="somchai", password=PASSWORD, language="th")
    make_agent(teams=[support_team], username="wichai", password=PASSWORD, language="th")
    size = {"width": 1366, "height": 768}
    service_ctx = chromium.new_context(viewport=size, locale="th-TH")
    support_ctx = chromium.new_context(viewport=size, locale="th-TH")
    visitor_ctx = chromium.new_context(viewport={"width": 390, "height": 844}, locale="th-TH")
    try:
        # Both agents are signed in and looking at their queues before anything happens.
        service = agent_page(service_ctx, live_server_url, "somchai")
        service.goto(f"{live_server_url}/inbox/?queue=unassigned")
        support = agent_page(support_ctx, live_server_url, "wichai")
        support.goto(f"{live_server_url}/inbox/?queue=team:{support_team.pk}")
        expect(support.locator("#connection-status")).to_have_attribute("data-state", "online")
        expect(service.locator("#connection-status")).to_have_attribute("data-state", "online")
        expect(service.locator("#queue-list .queue-row")).to_have_count(0)

        # The visitor writes in Thai through the widget on the shop's page.
        widget = visitor_writes(visitor_ctx, live_server_url, website.key,
                                "เครื่องชงกาแฟเปิดไม่ติดค่ะ ขอคืนเงินได้ไหมคะ")

        # The Service agent sees it appear without reloading, and opens it.
        row = service.locator("#queue-list .queue-row")
        expect(row).to_have_count(1, timeout=15_000)
        expect(row).to_contain_text("เครื่องชงกาแฟเปิดไม่ติด")
        row.locator("a.queue-link").click()
        expect(service.locator("#message-list")).to_contain_text("ขอคืนเงินได้ไหมคะ")

        # ... and transfers it to Support, with a reason.
        form = service.locator("#transfer-form")
        form.locator("select[name=team]").select_option(str(support_team.pk))
        form.locator("textarea[name=reason]").fill("ลูกค้าขอคืนเงิน สินค้าชำรุด")
        form.locator("button[type=submit]").click()
        # It has left the Service team: the agent is taken back to the queue, where it no longer is.
        expect(service).to_have_url(f"{live_server_url}/inbox/")
        expect(service.locator("#queue-list .queue-row")).to_have_count(0)

        # The Support agent sees it arrive in the team queue live, opens it and replies.
        arrived = support.locator("#queue-list .queue-row")
        expect(arrived).to_have_count(1, timeout=15_000)
        arrived.locator("a.queue-link").click()
        expect(support.locator("#message-list")).to_contain_text("เครื่องชงกาแฟเปิดไม่ติด")
        expect(support.locator("#timeline")).to_contain_text("ลูกค้าขอคืนเงิน สินค้าชำรุด")  # the reason travels
        support.locator("#composer textarea[name=text]").fill("ขออภัยค่ะ ทีมซัพพอร์ตจะคืนเงินให้ภายใน 7 วันค่ะ")
        support.locator("#composer button[name=send]").click()
        sent = support.locator("#message-list li.message", has_text="ทีมซัพพอร์ตจะคืนเงินให้")
        expect(sent).to_have_attribute("data-status", "sent", timeout=15_000)

        # The visitor sees the reply live in the widget.
        reply = widget.locator(".rc-msg--agent", has_text="ทีมซัพพอร์ตจะคืนเงินให้ภายใน 7 วันค่ะ")
        expect(reply).to_be_visible(timeout=15_000)

        conversation = Conversation.objects.get()
        assert conversation.team == support_team
        transfer = Event.objects.get(conversation=conversation, kind="transferred")
        assert transfer.data["reason"] == "ลูกค้าขอคืนเงิน สินค้าชำรุด"
        assert conversation.first_reply_at is not None
    finally:
        for ctx in (service_ctx, support_ctx, visitor_ctx):
            ctx.close()
