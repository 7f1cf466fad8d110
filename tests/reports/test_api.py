"""GET /api/v1/reports/{board}: the same figures as the pages, for scripts and BI tools (supervisors only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.django_db
WEEK = "period=custom&start=2026-05-12&end=2026-05-18"


def test_the_service_figures_beside_the_previous_period(world: dict[str, Any], supervisor: Any,
                                                        client_for: Callable[[Any], Any]) -> None:
    response = client_for(supervisor).get(f"/api/v1/reports/service?{WEEK}")
    assert response.status_code == 200
    body = response.json()
    assert (body["first_day"], body["last_day"]) == ("2026-05-12", "2026-05-18")
    assert (body["previous_first_day"], body["previous_last_day"]) == ("2026-05-05", "2026-05-11")
    metrics = {m["key"]: m for m in body["metrics"]}
    assert metrics["conversations"]["value"] == 7 and metrics["conversations"]["previous"] == 0
    assert metrics["frt_p90_calendar"]["value"] == 1500 and metrics["frt_p90_calendar"]["unit"] == "seconds"
    assert metrics["csat"]["significant"] is None  # no answers to compare
    assert {c["key"] for c in body["charts"]} >= {"by_hour", "by_channel"}


def test_agents_are_refused_and_bad_periods_explained(world: dict[str, Any], agent: Any, supervisor: Any,
                                                      client_for: Callable[[Any], Any]) -> None:
    assert client_for(agent).get("/api/v1/reports/service").status_code == 403
    bad = client_for(supervisor).get("/api/v1/reports/support?period=custom&start=2026-05-18&end=2026-05-01")
    assert bad.status_code == 400 and "ends before it starts" in bad.text
    assert client_for(supervisor).get("/api/v1/reports/nonsense").status_code in (400, 404, 422)
