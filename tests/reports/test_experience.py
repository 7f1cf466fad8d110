"""The Experience dashboard and CSAT on the Service dashboard: NPS and CSAT beside the previous period, with the
change marked significant only when it is beyond chance (DESIGN.md's margin of error, a two-proportion z-test)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from ruamchat.reports import selectors
from tests.pages import element_text, login
from tests.surveys.factories import answered, restore_default_surveys

pytestmark = pytest.mark.django_db
BKK = ZoneInfo("Asia/Bangkok")
WEEK = selectors.Period("custom", date(2026, 5, 11), date(2026, 5, 17))


def _answers(kind: str, scores: dict[int, int], day: int, team: Any = None, **extra: Any) -> None:
    for score, n in scores.items():
        for _i in range(n):
            answered(kind, score, at=datetime(2026, 5, day, 12, tzinfo=BKK), team=team, **extra)


def _metric(board: selectors.Dashboard, key: str) -> selectors.Metric:
    return next(m for m in board.metrics if m.key == key)


def test_a_large_nps_drop_is_significant_and_a_small_csat_change_is_not(team: Any) -> None:
    restore_default_surveys()
    # previous week: 60 promoters, 30 passives, 10 detractors → NPS +50
    _answers("nps", {10: 60, 8: 30, 3: 10}, day=6)
    # this week: 30 promoters, 30 passives, 40 detractors → NPS −10 (margins about ±14 and ±17)
    _answers("nps", {9: 30, 7: 30, 0: 40}, day=13)
    # CSAT 8 of 10 satisfied, then 7 of 10: within chance
    _answers("csat", {5: 8, 2: 2}, day=6, team=team)
    _answers("csat", {4: 7, 1: 3}, day=13, team=team)
    with translation.override("en"):
        board = selectors.experience(WEEK)
    nps = _metric(board, "nps")
    assert (nps.value, nps.previous) == (pytest.approx(-10), pytest.approx(50))
    assert nps.significant is True
    assert "30 promoters, 30 passives, 40 detractors" in nps.detail
    csat = _metric(selectors.service(WEEK), "csat")
    assert (csat.value, csat.previous, csat.significant) == (pytest.approx(70), pytest.approx(80), False)


def test_the_experience_page_shows_the_nps_band_comments_and_topics(supervisor: Any) -> None:
    restore_default_surveys()
    _answers("nps", {10: 3, 2: 1}, day=12)
    answered("nps", 1, at=datetime(2026, 5, 14, 9, tzinfo=BKK), comment="ส่งช้ามาก รอตั้งสัปดาห์",
             sentiment="negative", topics=("delivery",))
    page = login(supervisor).get("/reports/experience/?period=custom&start=2026-05-11&end=2026-05-17")
    html = page.content.decode()
    assert "ส่งช้ามาก รอตั้งสัปดาห์" in element_text(html, "report-comments")
    assert "Delivery" in element_text(html, "report-comments")  # its topic, by name
    band = next(c for c in selectors.experience(WEEK).charts if c.key == "nps_trend")
    nps, upper, lower = (d["data"] for d in band.datasets)
    assert len(nps) == 2 and all(lo <= n <= up for n, up, lo in zip(nps, upper, lower, strict=True))
