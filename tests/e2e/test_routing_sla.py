"""Routing and SLAs in a real browser: a refund request (a support category) is routed by rule to the
Support queue and assigned to the Support agent who is online, who sees it arrive live; its first-response
SLA then breaches: the agent gets a live alert, the queue marks it, and the escalation raised its priority."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import F
from playwright.sync_api import expect

from ruamchat.accounts.actions import update_team
from ruamchat.inbox.models import Conversation
from ruamchat.routing.actions import create_rule
from ruamchat.sla import actions as sla
from ruamchat.sla.models import Calendar, OpeningPeriod, SlaPolicy
from tests.e2e.steps import visitor_writes

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-9"


def test_a_refund_is_routed_assigned_breached_and_escalated(
    live_server_url: str, chromium: Any, website: Any, team: Any, support_team: Any, make_agent: Any,
) -> None:
    wichai = make_agent(teams=[support_team], username="wichai", password=PASSWORD, language="th")
    update_team(actor=None, team=support_team, assignment="round_robin")
    create_rule(actor=None, name="งานซัพพอร์ต", conditions=[{"field": "triage_team", "op": "is", "value": "support"}],
                actions=[{"type": "set_team", "value": support_team.pk}])
    always = Calendar.objects.create(name="24 ชั่วโมง", holiday_country="")
    for day in range(7):
        OpeningPeriod.objects.create(calendar=always, weekday=day, opens="00:00", closes="00:00")
    always.teams.add(support_team)
    SlaPolicy.objects.create(team=support_team, first_response_minutes=5, resolution_minutes=240,
                             escalate_priority=True)

    context = chromium.new_context(viewport={"width": 1366, "height": 800}, locale="th-TH")
    visitor_ctx = chromium.new_context(viewport={"width": 390, "height": 844}, locale="th-TH")
    try:
        page = context.new_page()
        page.goto(f"{live_server_url}/login/")
        page.locator("#id_username").fill("wichai")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#id_password").press("Enter")
        expect(page.locator("#connection-status")).to_have_attribute("data-state", "online")  # wichai is online

        # the customer writes in the website chat
        visitor_writes(visitor_ctx, live_server_url, website.key, "ขอคืนเงินค่ะ ได้รับสินค้าผิดรุ่น")
        conversation = Conversation.objects.get()
        assert conversation.team == support_team and conversation.assignee == wichai

        row = page.locator("#queue-list .queue-row", has_text="ขอคืนเงินค่ะ")
        expect(row).to_have_count(1, timeout=15_000)  # in wichai's own queue, live
        expect(row.locator(".badge-sla")).to_have_class("badge badge-sla sla-ok")

        # six minutes later, by the clock the sweep reads (everything it knows moves six minutes back)
        six = timedelta(minutes=6)
        Conversation.objects.filter(pk=conversation.pk).update(
            created_at=F("created_at") - six, waiting_since=F("waiting_since") - six,
            sla_check_at=F("sla_check_at") - six)
        swept: list[int] = []
        sweeper = threading.Thread(target=lambda: swept.append(sla.sweep()))  # as the periodic job would
        sweeper.start()
        sweeper.join(timeout=30)
        assert swept == [1]

        alert = page.locator("#live-alerts .live-alert.sla-breached")
        expect(alert).to_contain_text(f"#{conversation.pk}", timeout=15_000)
        expect(row.locator(".badge-sla")).to_have_class("badge badge-sla sla-breached", timeout=15_000)
        alert.locator("a").click()
        expect(page.locator("#sla-line")).to_have_attribute("data-sla", "breached")
        expect(page.locator("#conv-header .badge-priority")).to_have_text("สูง")  # escalated from normal
        expect(page.locator("#timeline")).to_contain_text("ยกระดับหลัง SLA เกินกำหนด")  # and why, in the timeline
    finally:
        context.close()
        visitor_ctx.close()
