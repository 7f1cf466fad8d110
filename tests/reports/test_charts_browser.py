"""The dashboards' charts in a real browser: Chart.js (served by the app, no CDN) draws every chart, with Thai
labels for a Thai reader and English ones for an English reader, and nothing is fetched from elsewhere."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.steps import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WEEK = "period=custom&start=2026-05-12&end=2026-05-18"


def _charts_drawn(page: Any) -> list[dict[str, Any]]:
    """Every canvas with its chart's title, x labels and whether anything was painted."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('canvas[data-chart]')).map(c => {
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { painted++; } }
        return {key: c.dataset.chart, drawn: !!c.chart, painted: painted,
                labels: c.chart ? c.chart.data.labels : [],
                legend: c.chart ? c.chart.data.datasets.map(d => d.label) : []};
    })""")


@pytest.mark.parametrize("language", ["th", "en"])
def test_every_chart_is_drawn_in_the_readers_language(language: str, world: dict[str, Any], live_server_url: str,
                                                      chromium: Any, make_agent: Any) -> None:
    # ``world`` first: its story travels in time and runs the jobs itself, before the live server's worker starts
    make_agent(role="supervisor", username=f"sup{language}", password=PASSWORD, language=language)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []
    context.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server_url) else None)
    try:
        page = sign_in(context, live_server_url, f"sup{language}")
        for board in ("service", "support", "channels"):
            page.goto(f"{live_server_url}/reports/{board}/?{WEEK}")
            page.wait_for_function("() => Array.from(document.querySelectorAll('canvas[data-chart]'))"
                                   ".every(c => c.chart)")
            charts = _charts_drawn(page)
            assert charts and all(c["drawn"] and c["painted"] > 500 for c in charts), (board, charts)
        page.goto(f"{live_server_url}/reports/channels/?{WEEK}")
        page.wait_for_function("() => document.querySelector('canvas[data-chart=\"handoff_reasons\"]').chart")
        reasons = next(c for c in _charts_drawn(page) if c["key"] == "handoff_reasons")
        assert reasons["labels"] == (["ขอคุยกับพนักงาน"] if language == "th" else ["Asked for a person"])
        expect(page.locator("#chart-handoff_reasons figcaption")).to_have_text(
            "ทำไมบอทจึงส่งต่อ" if language == "th" else "Why the bot handed over")
        assert outside == []
    finally:
        context.close()
