"""The wallboard on the supervisors' screen in a real browser: a customer writes in the website chat and the
Service team's queue goes from 0 to 1 without a reload, its oldest wait starts ticking; an agent of the team
opens the inbox and "agents online" goes up. One real ASGI server; the page listens on the agent websocket."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.steps import PASSWORD, sign_in, visitor_writes

pytestmark = pytest.mark.browser

def test_the_wallboard_moves_when_a_customer_writes_and_an_agent_comes_online(
    live_server_url: str, chromium: Any, website: Any, team: Any, make_agent: Any
) -> None:
    make_agent(role="supervisor", username="supa", password=PASSWORD, language="th")
    make_agent(teams=[team], username="kanya", password=PASSWORD)

    screen = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="th-TH")
    agent_ctx = chromium.new_context(viewport={"width": 1366, "height": 800})
    visitor_ctx = chromium.new_context(viewport={"width": 390, "height": 844}, locale="th-TH")
    try:
        board = sign_in(screen, live_server_url, "supa")
        board.goto(f"{live_server_url}/reports/wallboard/")
        expect(board.locator("#connection-status")).to_have_attribute("data-state", "online")
        expect(board.locator("html")).to_have_attribute("lang", "th")
        board.evaluate("window.sameDocument = true")  # gone if the page reloads
        service = board.locator(f'.wb-team[data-team-id="{team.pk}"]')
        expect(service.locator('[data-metric="waiting"]')).to_have_text("0")
        expect(service.locator('[data-metric="oldest"]')).to_have_text("–")
        expect(service.locator('[data-metric="online"]')).to_have_text(re.compile(r"^0\s*/\s*1$"))

        visitor_writes(visitor_ctx, live_server_url, website.key, "สวัสดีค่ะ สั่งเสื้อไปสามวันแล้วยังไม่ได้รับเลย")
        expect(service.locator('[data-metric="waiting"]')).to_have_text("1", timeout=10_000)
        age = service.locator('[data-metric="oldest"] time[data-since]')
        expect(age).to_have_text(re.compile(r"^0:\d\d$"))
        # the age ticks on the page by itself, second by second
        board.wait_for_function("was => document.querySelector('.wb-team time[data-since]').textContent !== was",
                                arg=age.text_content(), timeout=5_000)

        sign_in(agent_ctx, live_server_url, "kanya")  # lands in the inbox, whose websocket marks her online
        expect(service.locator('[data-metric="online"]')).to_have_text(re.compile(r"^1\s*/\s*1$"), timeout=10_000)

        assert board.evaluate("window.sameDocument") is True
    finally:
        for context in (screen, agent_ctx, visitor_ctx):
            context.close()
