"""The dashboards' numbers for scripts and BI tools (supervisors, administrators): each figure beside the previous
period's, the charts' series and the tables, exactly what the Reports pages show."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from ruamchat.accounts.selectors import profile_for
from ruamchat.api.common import caller, responses
from ruamchat.reports import selectors

router = Router(tags=["reports"])


class MetricOut(Schema):
    key: str
    label: str
    value: float | None
    previous: float | None = Field(description="The same measure in the previous period of the same length.")
    change: float | None
    unit: str = Field(description="`count`, `percent`, `seconds`, `nps` or `mean`.")
    significant: bool | None = Field(description="CSAT and NPS: whether the change is beyond chance at 95%.")


class ChartOut(Schema):
    key: str
    title: str
    kind: str
    labels: list[str]
    datasets: list[dict[str, Any]]
    unit: str


class TableOut(Schema):
    key: str
    title: str
    columns: list[list[str]]
    rows: list[dict[str, Any]]


class DashboardOut(Schema):
    board: str
    first_day: date
    last_day: date
    previous_first_day: date
    previous_last_day: date
    team_id: int | None
    metrics: list[MetricOut]
    charts: list[ChartOut]
    tables: list[TableOut]


@router.get("/reports/{board}", response=responses(DashboardOut, errors=(400, 403, 404)),
            summary="A dashboard's figures for a period")
def dashboard(request: HttpRequest, board: Literal["service", "support", "agents", "channels", "experience"],
              period: Literal["today", "7", "30", "custom"] = "30", start: date | None = None,
              end: date | None = None, team_id: int | None = None) -> DashboardOut:
    if not profile_for(caller(request)).sees_everything:
        raise PermissionDenied(_("Only supervisors and administrators can see the reports."))
    try:
        chosen = selectors.period(period, start, end)
    except selectors.PeriodError as error:
        raise ValidationError(str(error)) from error
    built = selectors.dashboard(board, chosen, team_id)
    return DashboardOut(
        board=board, first_day=chosen.first, last_day=chosen.last, previous_first_day=chosen.previous.first,
        previous_last_day=chosen.previous.last, team_id=team_id,
        metrics=[MetricOut(key=m.key, label=m.label, value=m.value, previous=m.previous, change=m.change,
                           unit=m.unit, significant=m.significant) for m in built.metrics],
        charts=[ChartOut(key=c.key, title=c.title, kind=c.kind, labels=c.labels, datasets=c.datasets, unit=c.unit)
                for c in built.charts],
        tables=[TableOut(key=t.key, title=t.title, columns=[[k, h] for k, h in t.columns],
                         rows=[{k: v for k, v in row.items()} for row in t.rows]) for t in built.tables],
    )
