"""The dashboards and their exports, for supervisors and administrators. Views parse the period and team, call a
selector, and answer."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ruamchat.accounts.selectors import profile_for
from ruamchat.inbox.views import _user, agent_required
from ruamchat.reports import export, selectors


def _supervisor(request: HttpRequest) -> None:
    if not profile_for(_user(request)).sees_everything:
        raise PermissionDenied(_("Only supervisors and administrators can see the reports."))


def _choice(request: HttpRequest) -> tuple[selectors.Period, int | None, str]:
    """The period and team asked for; an unusable custom period falls back to 30 days with the reason."""
    key = request.GET.get("period") or "30"
    error = ""
    try:
        chosen = selectors.period(key, request.GET.get("start"), request.GET.get("end"))
    except selectors.PeriodError as problem:
        chosen, error = selectors.period("30"), str(problem)
    return chosen, selectors.team_id_of(request.GET.get("team") or ""), error


@require_GET
@agent_required
def index(request: HttpRequest) -> HttpResponse:
    _supervisor(request)
    return redirect("reports:board", board="service")


@require_GET
@agent_required
def board(request: HttpRequest, board: str) -> HttpResponse:
    _supervisor(request)
    if board not in selectors.BOARDS:
        raise Http404(_("No such report."))
    chosen, team_id, error = _choice(request)
    dashboard = selectors.dashboard(board, chosen, team_id)
    return render(request, "reports/board.html", {
        "dashboard": dashboard, "boards": selectors.BOARDS, "periods": selectors.PERIODS, "error": error,
        "charts": [c.spec() for c in dashboard.charts], "query": request.GET.urlencode(),
        "units": _chart_units(),
    })


def _chart_units() -> dict[str, Any]:
    """Words the charts' script needs, in the reader's language."""
    return {"s": _("s"), "min": _("min"), "h": _("h"), "d": _("d"), "none": _("No data in this period.")}


@require_GET
@agent_required
def board_export(request: HttpRequest, board: str, fmt: str) -> HttpResponse | StreamingHttpResponse:
    _supervisor(request)
    if board not in selectors.BOARDS or fmt not in ("csv", "xlsx"):
        raise Http404(_("No such report."))
    chosen, team_id, _error = _choice(request)
    dashboard = selectors.dashboard(board, chosen, team_id)
    header, rows = export.aggregate_rows(dashboard)
    name = f"ruamchat-{board}-{chosen.first}-{chosen.last}"
    return _download(fmt, name, [(str(dashboard.title), header, rows)])


@require_GET
@agent_required
def conversations_export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """One row per conversation created or resolved in the period, with all its measures."""
    _supervisor(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404(_("No such report."))
    chosen, team_id, _error = _choice(request)
    rows = export.conversation_rows(chosen, team_id)
    name = f"ruamchat-conversations-{chosen.first}-{chosen.last}"
    return _download(fmt, name, [(_("Conversations"), export.conversation_header(), rows)])


def _download(fmt: str, name: str, sheets: list[tuple[str, list[str], Any]]) -> HttpResponse | StreamingHttpResponse:
    if fmt == "csv":
        _title, header, rows = sheets[0]
        response: HttpResponse | StreamingHttpResponse = StreamingHttpResponse(
            export.csv_stream(header, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    else:
        response = FileResponse(export.xlsx_file(sheets), as_attachment=True, filename=f"{name}.xlsx",
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response

