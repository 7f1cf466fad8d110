"""The report pages and exports as a supervisor uses them: each dashboard for a chosen period beside the previous
one, in Thai and English, permissions, bad periods, and CSV / XLSX files that hold what the page shows."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest

from ruamchat.reports import selectors
from tests.pages import login

pytestmark = pytest.mark.django_db
WEEK = "period=custom&start=2026-05-12&end=2026-05-18"


@pytest.fixture
def client_for() -> Callable[[Any], Any]:
    """A session client for ``user``, as a person uses the pages (not the API's token client)."""
    return login


def _metric(html: str, key: str) -> str:
    found = re.search(rf'data-metric="{key}".*?<span class="stat-value" data-value>(.*?)</span>', html, re.S)
    assert found, key
    return found.group(1).strip()


@pytest.mark.parametrize("board", list(selectors.BOARDS))
def test_every_dashboard_renders_with_its_charts(board: str, world: dict[str, Any], supervisor: Any,
                                                 client_for: Any) -> None:
    page = client_for(supervisor).get(f"/reports/{board}/?{WEEK}")
    assert page.status_code == 200
    html = page.content.decode()
    charts = json.loads(re.search(r'<script id="report-charts" type="application/json">(.*?)</script>', html,
                                  re.S).group(1))
    assert charts and all(c["labels"] is not None for c in charts)
    for chart in charts:  # every chart has its canvas and its data table
        assert f'data-chart="{chart["key"]}"' in html
    assert "/static/reports/vendor/chart.umd.min.js" in html
    # every script and style sheet is served by ruamchat itself (no CDN; a random CSRF token may spell "cdn")
    assert not re.search(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//', html)
    assert "<script>" not in html  # no inline script (the data is JSON, the code a static file)


def test_the_service_dashboard_shows_the_hand_computed_numbers_beside_the_previous_period(
        world: dict[str, Any], supervisor: Any, client_for: Any) -> None:
    html = client_for(supervisor).get(f"/reports/service/?{WEEK}").content.decode()
    assert _metric(html, "conversations") == "7"
    assert _metric(html, "response_rate") == "86%"
    assert _metric(html, "frt_median") == "10 min 0 s"
    assert _metric(html, "frt_p90_calendar") == "25 min 0 s"
    assert "5 May 2026 – 11 May 2026" in html  # the previous period, same length, just before


def test_thai_readers_get_thai_labels_and_durations(world: dict[str, Any], make_agent: Callable[..., Any],
                                                    client_for: Any) -> None:
    thai = make_agent(role="supervisor", username="thai_sup", language="th")
    html = client_for(thai).get(f"/reports/support/?{WEEK}").content.decode()
    assert "อัตราการแก้ไขปัญหา" in html or "แก้ไข" in html
    assert _metric(html, "resolution_median") == "4 ชม. 0 นาที"
    assert "12 พ.ค. 2569 – 18 พ.ค. 2569" in html  # the Buddhist era a Thai reader expects
    charts = json.loads(re.search(r'<script id="report-charts" type="application/json">(.*?)</script>', html,
                                  re.S).group(1))
    assert any(re.search(r"[\u0E00-\u0E7F]", c["title"]) for c in charts)


def test_agents_cannot_see_reports(world: dict[str, Any], agent: Any, client_for: Any) -> None:
    client = client_for(agent)
    assert client.get("/reports/service/").status_code == 403
    assert client.get("/reports/conversations.csv").status_code == 403


def test_anonymous_is_sent_to_log_in(client: Any) -> None:
    response = client.get("/reports/service/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_bad_period_is_explained_and_the_last_30_days_are_shown(supervisor: Any,
                                                                  client_for: Any) -> None:
    page = client_for(supervisor).get("/reports/service/?period=custom&start=2026-05-18&end=2026-05-12")
    assert page.status_code == 200
    assert "The period ends before it starts." in page.content.decode()
    assert client_for(supervisor).get("/reports/nonsense/").status_code == 404


def test_board_export_csv_and_xlsx_hold_the_figures(world: dict[str, Any], supervisor: Any,
                                                    client_for: Any) -> None:
    client = client_for(supervisor)
    response = client.get(f"/reports/service/export.csv?{WEEK}")
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    by_measure = {r[1]: r for r in rows[1:] if r[2] == ""}
    assert by_measure["Conversations"][3:5] == ["7", "0"]
    assert float(by_measure["Response rate"][3]) == pytest.approx(85.71, abs=0.01)
    response = client.get(f"/reports/service/export.xlsx?{WEEK}")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    sheet_rows = list(book.active.iter_rows(values_only=True))
    assert sheet_rows[0][0] == "Section" and any(r[1] == "Conversations" and r[3] == 7 for r in sheet_rows)


def test_conversation_export_has_one_row_per_conversation_with_its_measures(
        world: dict[str, Any], supervisor: Any, client_for: Any) -> None:
    response = client_for(supervisor).get(f"/reports/conversations.csv?{WEEK}")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    made = world["made"]
    assert sorted(int(r["Conversation"]) for r in rows) == sorted(made[n].pk for n in "ABCEFGHK")
    c = next(r for r in rows if int(r["Conversation"]) == made["C"].pk)
    assert c["First team"] == world["team"].name and c["Team"] == world["support"].name
    assert c["First response (s)"] == "600" and c["Resolution, business (s)"] == "14400"
    assert c["Resolved by"] == "T1" and c["To Support"] == "1" and c["Created"] == "2026-05-12 15:00:00"
    xlsx = client_for(supervisor).get(f"/reports/conversations.xlsx?{WEEK}")
    assert xlsx["Content-Disposition"].startswith("attachment")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)), read_only=True)
    assert len(list(book.active.iter_rows(values_only=True))) == 1 + 8
