"""Exports: a dashboard's numbers (with the previous period's) and one row per conversation with all its measures,
as CSV (UTF-8 with a byte-order mark, so Excel shows Thai) or XLSX (XlsxWriter, streamed to a temporary file in
constant memory). Durations are in seconds; dates and times in the organisation's time zone."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

import xlsxwriter
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from ruamchat.accounts.models import Team
from ruamchat.reports.facts import zone
from ruamchat.reports.models import ConversationFact
from ruamchat.reports.selectors import Dashboard, Period, channel_names
from ruamchat.surveys.models import Response

UNIT_NAMES = {"count": "", "percent": "%", "seconds": "s", "nps": "NPS", "mean": "", "score": ""}


def aggregate_rows(board: Dashboard) -> tuple[list[str], list[list[Any]]]:
    """The numbers of a dashboard: its figures beside the previous period's, then every chart and table."""
    header = [_("Section"), _("Measure"), _("Group"), _("This period"), _("Previous period"), _("Change"),
              _("Unit"), _("Significant change")]
    rows: list[list[Any]] = []
    for m in board.metrics:
        significant = "" if m.significant is None else (_("yes") if m.significant else _("no"))
        rows.append([board.title, m.label, "", _num(m.value), _num(m.previous), _num(m.change),
                     UNIT_NAMES.get(m.unit, ""), significant])
    for chart in board.charts:
        for dataset in chart.datasets:
            for label, value in zip(chart.labels, dataset["data"], strict=False):
                rows.append([chart.title, dataset["label"], label, _num(value), "", "", UNIT_NAMES.get(chart.unit, ""),
                             ""])
    for table in board.tables:
        first, *others = table.columns
        for row in table.rows:
            for key, heading in others:
                rows.append([table.title, heading, row.get(first[0], ""), _num(row.get(key)), "", "",
                             UNIT_NAMES.get(table.units.get(key, ""), ""), ""])
    return header, rows


def _num(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 2)
    return "" if value is None else value


CONVERSATION_COLUMNS = (
    ("conversation", _l("Conversation")), ("channel", _l("Channel")), ("status", _l("Status")),
    ("priority", _l("Priority")), ("category", _l("Category")), ("first_team", _l("First team")),
    ("team", _l("Team")), ("first_agent", _l("First replier")), ("resolver", _l("Resolved by")),
    ("created_at", _l("Created")), ("first_customer_at", _l("First customer message")),
    ("first_reply_at", _l("First human reply")), ("needed_reply", _l("Needed a reply")), ("replied", _l("Replied")),
    ("frt_seconds", _l("First response (s)")), ("frt_business_seconds", _l("First response, business (s)")),
    ("customer_messages", _l("Customer messages")), ("agent_replies", _l("Agent replies")),
    ("resolved_at", _l("Resolved")), ("resolution_seconds", _l("Resolution (s)")),
    ("resolution_business_seconds", _l("Resolution, business (s)")),
    ("handle_seconds", _l("Time with the resolver (s)")), ("reopened_count", _l("Times reopened")),
    ("fcr", _l("First-contact resolution")), ("transfers", _l("Transfers")),
    ("transferred_to_support", _l("To Support")), ("bot_involved", _l("Bot answered first")),
    ("bot_only", _l("Resolved by the bot alone")), ("handoff_reason", _l("Bot hand-off reason")),
    ("sla_first_met", _l("First-response SLA met")), ("sla_resolution_met", _l("Resolution SLA met")),
    ("csat", _l("CSAT")), ("nps", _l("NPS")), ("ces", _l("CES")),
)


def conversation_header() -> list[str]:
    return [str(label) for _key, label in CONVERSATION_COLUMNS]


def conversation_rows(p: Period, team_id: int | None = None) -> Iterator[list[Any]]:
    """One row per conversation created or resolved in the period (of the team, if given), oldest first."""
    found = ConversationFact.objects.filter(
        Q(created_day__gte=p.first, created_day__lte=p.last) | Q(resolved_day__gte=p.first, resolved_day__lte=p.last))
    if team_id is not None:
        found = found.filter(Q(team_id=team_id) | Q(first_team_id=team_id))
    teams = dict(Team.objects.values_list("pk", "name"))
    channels = channel_names()
    agents: dict[int, str] = {}
    batch: list[ConversationFact] = []
    for fact in found.order_by("conversation_id").iterator(chunk_size=5000):
        batch.append(fact)
        if len(batch) == 5000:
            yield from _rows(batch, teams, channels, agents)
            batch = []
    yield from _rows(batch, teams, channels, agents)


def _rows(batch: list[ConversationFact], teams: dict[int, str], channels: dict[int, str],
          agents: dict[int, str]) -> Iterator[list[Any]]:
    if not batch:
        return
    wanted = {f.first_agent_id for f in batch} | {f.resolver_id for f in batch}
    missing = [i for i in wanted if i and i not in agents]
    for user in User.objects.filter(pk__in=missing).select_related("agent"):
        agents[user.pk] = str(getattr(user, "agent", None) or user.get_username())
    answers: dict[tuple[int, str], int] = {}
    for cid, kind, score in (Response.objects.filter(conversation_id__in=[f.conversation_id for f in batch])
                             .order_by("answered_at").values_list("conversation_id", "kind", "score")):
        answers[(cid, kind)] = score
    for f in batch:
        values = {
            "conversation": f.conversation_id, "channel": channels.get(f.channel_id, f.channel_kind),
            "first_team": teams.get(f.first_team_id, ""), "team": teams.get(f.team_id, ""),
            "first_agent": agents.get(f.first_agent_id, ""), "resolver": agents.get(f.resolver_id, ""),
            "csat": answers.get((f.conversation_id, "csat"), ""), "nps": answers.get((f.conversation_id, "nps"), ""),
            "ces": answers.get((f.conversation_id, "ces"), ""),
        }
        row = []
        for key, _label in CONVERSATION_COLUMNS:
            value = values[key] if key in values else getattr(f, key)
            row.append(_cell(value))
        yield row


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(zone()).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return 1 if value else 0
    return "" if value is None else value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def xlsx_file(sheets: list[tuple[str, list[str], Iterable[list[Any]]]]) -> IO[bytes]:
    """An XLSX workbook with one sheet per (name, header, rows), in a temporary file rewound to its start."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115  (returned to the response, which closes it)
    workbook = xlsxwriter.Workbook(handle, {"constant_memory": True, "in_memory": False,
                                            "tmpdir": tempfile.gettempdir()})
    bold = workbook.add_format({"bold": True})
    for name, header, rows in sheets:
        sheet = workbook.add_worksheet(name[:31])
        sheet.write_row(0, 0, header, bold)
        for n, row in enumerate(rows, start=1):
            sheet.write_row(n, 0, row)
    workbook.close()
    handle.seek(0)
    return handle
