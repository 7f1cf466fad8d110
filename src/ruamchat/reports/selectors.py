"""Reads for the reports: periods, the sums of the daily tables, percentiles, and each team's dashboard.

Every number is read from ``DailyStat`` (sums of the per-conversation facts, one row per day and team and
channel or agent), so a year costs a few thousand rows, not a million conversations. Live numbers (backlog)
are read from the conversations themselves, through the queue's indexes.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from ruamchat.accounts.models import Team
from ruamchat.bot.models import BotConversation
from ruamchat.connectors.models import Channel
from ruamchat.inbox.models import Conversation
from ruamchat.reports.facts import zone
from ruamchat.reports.models import DailyStat, ReportState
from ruamchat.surveys import scores
from ruamchat.surveys import selectors as surveys
from ruamchat.web.templatetags.ruamchat_ui import rc_day

COUNTERS = ("created", "needed", "replied", "transferred_support", "bot_involved", "bot_only", "sla_first_total",
            "sla_first_met", "received", "resolved", "fcr", "reopened", "sla_resolution_total",
            "sla_resolution_met")
HISTOGRAMS = ("frt", "frt_business", "resolution", "resolution_business", "handle")
BOARDS = {
    "service": gettext_lazy("Customer service"),
    "support": gettext_lazy("Customer support"),
    "agents": gettext_lazy("Agents"),
    "channels": gettext_lazy("Channels and bot"),
    "experience": gettext_lazy("Experience"),
}
PERIODS = {"today": gettext_lazy("Today"), "7": gettext_lazy("7 days"), "30": gettext_lazy("30 days"),
           "custom": gettext_lazy("Custom")}
MAX_DAYS = 731
#: backlog age groups: (key, label, lower bound in hours)
AGES = (("d0", gettext_lazy("Under 1 day"), 0), ("d1", gettext_lazy("1–3 days"), 24),
        ("d3", gettext_lazy("3–7 days"), 72), ("d7", gettext_lazy("Over 7 days"), 168))


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    key: str
    first: date
    last: date  # inclusive

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def previous(self) -> Period:
        return Period(self.key, self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=zone())

    @property
    def until(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=zone())

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]


class PeriodError(ValueError):
    pass


def period(key: str = "30", start: str | date | None = None, end: str | date | None = None,
           today: date | None = None) -> Period:
    """Today, the last 7 or 30 local days (today included), or a custom range of whole days."""
    today = today or timezone.localdate(timezone.now(), zone())
    if key == "today":
        return Period(key, today, today)
    if key in ("7", "30"):
        return Period(key, today - timedelta(days=int(key) - 1), today)
    if key != "custom":
        raise PeriodError(_("Unknown period."))
    try:
        first = start if isinstance(start, date) else date.fromisoformat(str(start or ""))
        last = end if isinstance(end, date) else date.fromisoformat(str(end or ""))
    except ValueError as error:
        raise PeriodError(_("Choose the first and last day of the period.")) from error
    if last < first:
        raise PeriodError(_("The period ends before it starts."))
    if (last - first).days >= MAX_DAYS:
        raise PeriodError(_("A period can be at most two years long."))
    return Period(key, first, last)


# ---------------------------------------------------------------- sums and percentiles


def percentile(histogram: Counter[int], p: float) -> float | None:
    """The p-th percentile (0–1) of the durations in ``histogram`` {seconds: count}, interpolated between the
    two nearest values like PostgreSQL's percentile_cont and numpy's default."""
    n = sum(histogram.values())
    if not n:
        return None
    position = p * (n - 1)
    below, above = math.floor(position), math.ceil(position)
    low = high = None
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if low is None and seen > below:
            low = value
        if seen > above:
            high = value
            break
    assert low is not None and high is not None
    return low + (high - low) * (position - below)


@dataclass
class Sums:
    counts: Counter[str] = field(default_factory=Counter)
    hist: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    handoffs: Counter[str] = field(default_factory=Counter)
    hours: list[int] = field(default_factory=lambda: [0] * 24)

    def __getitem__(self, name: str) -> int:
        return self.counts[name]

    def rate(self, part: str, whole: str) -> float | None:
        return 100.0 * self.counts[part] / self.counts[whole] if self.counts[whole] else None

    def median(self, name: str) -> float | None:
        return percentile(self.hist[name], 0.5)

    def p90(self, name: str) -> float | None:
        return percentile(self.hist[name], 0.9)


GROUPS = {"": None, "team": "team_id", "channel": "channel_id", "agent": "agent_id", "day": "day"}
#: the JSON columns summed key by key in the database: the duration histograms, hand-off reasons, hours of the day
KEYED = (*HISTOGRAMS, "handoffs", "hours")


def sums(grain: str, p: Period, *, team_ids: Iterable[int] | None = None,
         by: str = "", keyed: Iterable[str] = ()) -> dict[Any, Sums]:
    """The daily rows of ``p`` added up (``by``: "" for one total under the key None, or "team", "channel",
    "agent", "day"), with the JSON columns ``keyed`` (histograms, "handoffs", "hours") added up key by key: only
    those the caller shows, since expanding them is the costly part. The database adds them up: the counters
    with SUM, the JSON key by key through its JSON table function (json_each on SQLite, jsonb_each_text on
    PostgreSQL), so a year of rows never crosses into Python one by one."""
    column = GROUPS[by]
    rows = DailyStat.objects.filter(grain=grain, day__gte=p.first, day__lte=p.last)
    teams = list(team_ids) if team_ids is not None else None
    if teams is not None:
        rows = rows.filter(team_id__in=teams)
    result: dict[Any, Sums] = defaultdict(Sums)
    counters = {name: Sum(name) for name in COUNTERS}
    found = rows.values(column).annotate(**counters).order_by() if column else [rows.aggregate(**counters)]
    for row in found:
        if row[COUNTERS[0]] is None:
            continue  # no rows at all
        target = result[_key(row[column]) if column else None]
        target.counts.update({name: row[name] or 0 for name in COUNTERS})
    for group, name, key, n in _keyed_sums(grain, p, teams, column, [k for k in KEYED if k in set(keyed)]):
        target = result[_key(group) if column else None]
        if name == "handoffs":
            target.handoffs[key] += n
        elif name == "hours":
            target.hours[int(key)] += n
        else:
            target.hist[name][int(key)] += n
    return result


def _key(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _keyed_sums(grain: str, p: Period, teams: list[int] | None, column: str | None,
                names: list[str]) -> list[tuple[Any, str, str, int]]:
    table = DailyStat._meta.db_table
    each = "jsonb_each_text" if connection.vendor == "postgresql" else "json_each"
    where = "d.grain = %s AND d.day >= %s AND d.day <= %s"
    params: list[Any] = []
    if not names or (teams is not None and not teams):
        return []
    if teams is not None:
        where += " AND d.team_id IN (" + ", ".join(["%s"] * len(teams)) + ")"
    group, grouped = (f"d.{column}", f"d.{column}, j.key") if column else ("NULL", "j.key")
    parts = []
    for name in names:  # names and columns are this module's constants, never input
        parts.append(f"SELECT {group} AS g, '{name}' AS h, j.key AS k, SUM(CAST(j.value AS INTEGER)) AS n "  # noqa: S608
                     f"FROM {table} d, {each}(d.{name}) AS j WHERE {where} GROUP BY {grouped}")
        params += [grain, p.first, p.last, *(teams or [])]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return [(g, h, str(k), int(n)) for g, h, k, n in cursor.fetchall()]


def total(grain: str, p: Period, team_ids: Iterable[int] | None = None, keyed: Iterable[str] = ()) -> Sums:
    return sums(grain, p, team_ids=team_ids, keyed=keyed).get(None) or Sums()


# ---------------------------------------------------------------- what a dashboard shows


@dataclass
class Metric:
    """One number beside the previous period's. ``unit``: count, percent, seconds, score, nps, mean."""

    key: str
    label: str
    value: float | None
    previous: float | None
    unit: str = "count"
    better: str = "up"  # which way is good: up, down, or "" (neither)
    significant: bool | None = None  # for CSAT and NPS: is the change beyond chance (95%)?
    detail: str = ""

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def trend(self) -> str:
        """good, bad or flat, for the colour of the change."""
        change = self.change
        if not change or not self.better:
            return "flat"
        return "good" if (change > 0) == (self.better == "up") else "bad"


@dataclass
class Chart:
    """What the browser draws with Chart.js: labels already in the reader's language."""

    key: str
    title: str
    kind: str  # bar, line, doughnut
    labels: list[str]
    datasets: list[dict[str, Any]]
    unit: str = "count"
    stacked: bool = False
    horizontal: bool = False

    @property
    def rows(self) -> list[tuple[str, list[Any]]]:
        """The chart as a table (label, one value per dataset): shown beside it, for screen readers and export."""
        return [(label, [d["data"][n] if n < len(d["data"]) else None for d in self.datasets])
                for n, label in enumerate(self.labels)]

    def spec(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "kind": self.kind, "labels": self.labels,
                "datasets": self.datasets, "unit": self.unit, "stacked": self.stacked,
                "horizontal": self.horizontal}


@dataclass
class Table:
    key: str
    title: str
    columns: list[tuple[str, str]]  # (key, heading)
    rows: list[dict[str, Any]]
    units: dict[str, str] = field(default_factory=dict)

    @property
    def cells(self) -> list[tuple[Any, list[tuple[Any, str]]]]:
        """Each row as its first column, then (value, unit) for the others."""
        first, *others = self.columns
        return [(row.get(first[0], ""), [(row.get(key), self.units.get(key, "count")) for key, _h in others])
                for row in self.rows]


@dataclass
class Dashboard:
    board: str
    title: str
    period: Period
    team_id: int | None
    teams: list[Team]
    metrics: list[Metric]
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None


def team_id_of(raw: str) -> int | None:
    """The team a report is narrowed to, from a query parameter (None: every team, also for an unknown one)."""
    return int(raw) if raw.isdigit() and Team.objects.filter(pk=int(raw)).exists() else None


def teams_of_kind(kind: str) -> list[Team]:
    return list(Team.objects.filter(kind=kind).order_by("name"))


def _team_ids(kind: str, team_id: int | None) -> tuple[list[Team], list[int]]:
    teams = teams_of_kind(kind) if kind else list(Team.objects.order_by("name"))
    if team_id is not None:
        return teams, [team_id]
    return teams, [t.pk for t in teams]


def _metric(key: str, label: str, now: Sums, before: Sums, how: str, *args: str, **kw: Any) -> Metric:
    if how == "count":
        return Metric(key, label, now[args[0]], before[args[0]], "count", **kw)
    if how == "rate":
        return Metric(key, label, now.rate(*args), before.rate(*args), "percent", **kw)
    if how == "median":
        return Metric(key, label, now.median(args[0]), before.median(args[0]), "seconds", better="down", **kw)
    if how == "p90":
        return Metric(key, label, now.p90(args[0]), before.p90(args[0]), "seconds", better="down", **kw)
    raise ValueError(how)


def _csat_metric(now: surveys.Figures, before: surveys.Figures) -> Metric:
    return Metric("csat", "CSAT", now.csat.percent, before.csat.percent, "percent",
                  significant=scores.csat_difference_significant(now.csat, before.csat),
                  detail=_("%(n)s answers") % {"n": now.csat.answers})


def _survey_figures(p: Period, team_ids: list[int] | None, group: str = "") -> surveys.Figures:
    """The survey figures of the period for these teams (None: everyone)."""
    filters = surveys.Filters(since=p.since, until=p.until)
    if team_ids is None:
        return surveys.figures(filters)[0]
    rows = surveys.figures(filters, group="team")
    return surveys.total_of([r for r in rows if r.key in team_ids])


def channel_names() -> dict[int, str]:
    return dict(Channel.objects.values_list("pk", "name"))


def agent_names(ids: Iterable[int]) -> dict[int, str]:
    return {int(k): v for k, v in surveys.group_labels("agent", [i for i in ids if i]).items()}


def _daily_series(p: Period, by_day: dict[Any, Sums], value: Any) -> list[float | None]:
    return [value(by_day[d]) if d in by_day else None for d in p.dates()]


def day_labels(p: Period) -> list[str]:
    return [rc_day(d) for d in p.dates()]


def service(p: Period, team_id: int | None = None) -> Dashboard:
    teams, ids = _team_ids(Team.Kind.SERVICE, team_id)
    frt = ("frt", "frt_business")
    now, before = total("t", p, ids, frt), total("t", p.previous, ids, frt)
    csat_now, csat_before = _survey_figures(p, ids), _survey_figures(p.previous, ids)
    metrics = [
        _metric("conversations", _("Conversations"), now, before, "count", "created", better=""),
        _metric("response_rate", _("Response rate"), now, before, "rate", "replied", "needed"),
        _metric("frt_median", _("First response, median (business hours)"), now, before, "median", "frt_business"),
        _metric("frt_p90", _("First response, p90 (business hours)"), now, before, "p90", "frt_business"),
        _metric("frt_median_calendar", _("First response, median (calendar)"), now, before, "median", "frt"),
        _metric("frt_p90_calendar", _("First response, p90 (calendar)"), now, before, "p90", "frt"),
        _csat_metric(csat_now, csat_before),
        _metric("sla_first", _("First-response SLA met"), now, before, "rate", "sla_first_met", "sla_first_total"),
        _metric("to_support", _("Transferred to Support"), now, before, "count", "transferred_support",
                better=""),
    ]
    by_channel = sums("t", p, team_ids=ids, by="channel", keyed=("hours",))
    names = channel_names()
    hours = [f"{h:02d}" for h in range(24)]
    charts = [
        Chart("by_hour", _("Conversations by hour of the day and channel"), "bar", hours,
              [{"label": names.get(cid, "?"), "data": s.hours} for cid, s in sorted(by_channel.items())],
              stacked=True),
        Chart("by_channel", _("Conversations by channel"), "bar",
              [names.get(cid, "?") for cid in sorted(by_channel)],
              [{"label": _("Conversations"), "data": [by_channel[c]["created"] for c in sorted(by_channel)]}]),
    ]
    by_day = sums("t", p, team_ids=ids, by="day", keyed=("frt_business",))
    if p.days > 1:
        charts.append(Chart("frt_trend", _("First response by day (business hours)"), "line", day_labels(p), [
            {"label": _("Median"), "data": _daily_series(p, by_day, lambda s: s.median("frt_business"))},
            {"label": "p90", "data": _daily_series(p, by_day, lambda s: s.p90("frt_business"))}], unit="seconds"))
        charts.append(Chart("rate_trend", _("Response rate by day"), "line", day_labels(p), [
            {"label": _("Response rate"), "data": _daily_series(p, by_day, lambda s: s.rate("replied", "needed"))}],
            unit="percent"))
    return Dashboard("service", str(BOARDS["service"]), p, team_id, teams, metrics, charts)


def backlog(team_ids: list[int]) -> tuple[list[str], list[tuple[str, str]], dict[str, dict[str, int]]]:
    """Open, pending and snoozed conversations of these teams now, by age and category:
    (category keys, age groups, {category: {age: count}})."""
    from ruamchat.triage.engine import CATEGORY_LABELS

    now = timezone.now()
    active = (Conversation.Status.OPEN, Conversation.Status.PENDING, Conversation.Status.SNOOZED)
    buckets: dict[str, Any] = {}
    for n, (key, _label, hours) in enumerate(AGES):
        upper = AGES[n + 1][2] if n + 1 < len(AGES) else None
        condition = Q(created_at__lte=now - timedelta(hours=hours))
        if upper is not None:
            condition &= Q(created_at__gt=now - timedelta(hours=upper))
        buckets[key] = Count("pk", filter=condition)
    rows = (Conversation.objects.filter(status__in=active, team_id__in=team_ids).values("category")
            .annotate(**buckets).order_by("category"))
    merged: dict[str, dict[str, int]] = {}
    for row in rows:
        target = merged.setdefault(row["category"] or "other", {key: 0 for key, _l, _h in AGES})
        for key, _label, _hours in AGES:
            target[key] += row[key]
    labels = [(key, str(CATEGORY_LABELS.get(key, key))) for key in sorted(merged)]
    return [k for k, _l in labels], [(k, str(label)) for k, label, _h in AGES], merged


def support(p: Period, team_id: int | None = None) -> Dashboard:
    from ruamchat.triage.engine import CATEGORY_LABELS

    teams, ids = _team_ids(Team.Kind.SUPPORT, team_id)
    resolution = ("resolution", "resolution_business")
    now, before = total("t", p, ids, resolution), total("t", p.previous, ids, resolution)
    metrics = [
        _metric("received", _("Cases received"), now, before, "count", "received", better=""),
        _metric("resolved", _("Cases resolved"), now, before, "count", "resolved"),
        _metric("resolution_rate", _("Resolution rate"), now, before, "rate", "resolved", "received"),
        _metric("fcr", _("First-contact resolution"), now, before, "rate", "fcr", "resolved"),
        _metric("resolution_median", _("Resolution time, median (business hours)"), now, before, "median",
                "resolution_business"),
        _metric("resolution_p90", _("Resolution time, p90 (business hours)"), now, before, "p90",
                "resolution_business"),
        _metric("resolution_median_calendar", _("Resolution time, median (calendar)"), now, before, "median",
                "resolution"),
        _metric("resolution_p90_calendar", _("Resolution time, p90 (calendar)"), now, before, "p90", "resolution"),
        _metric("reopen_rate", _("Reopen rate"), now, before, "rate", "reopened", "resolved", better="down"),
        _metric("sla_resolution", _("Resolution SLA met"), now, before, "rate", "sla_resolution_met",
                "sla_resolution_total"),
    ]
    categories, ages, table = backlog(ids)
    charts = [Chart("backlog", _("Backlog now, by age and category"), "bar", [label for _k, label in ages], [
        {"label": str(CATEGORY_LABELS.get(c, c)), "data": [table[c][a] for a, _l in ages]} for c in categories],
        stacked=True)]
    by_day = sums("t", p, team_ids=ids, by="day", keyed=("resolution_business",))
    if p.days > 1:
        charts.append(Chart("resolved_trend", _("Cases received and resolved by day"), "line", day_labels(p), [
            {"label": _("Received"), "data": _daily_series(p, by_day, lambda s: s["received"])},
            {"label": _("Resolved"), "data": _daily_series(p, by_day, lambda s: s["resolved"])}]))
        charts.append(Chart("resolution_trend", _("Resolution time by day (business hours)"), "line", day_labels(p), [
            {"label": _("Median"), "data": _daily_series(p, by_day, lambda s: s.median("resolution_business"))},
            {"label": "p90", "data": _daily_series(p, by_day, lambda s: s.p90("resolution_business"))}],
            unit="seconds"))
    backlog_table = Table("backlog", _("Backlog now"), [("category", _("Category")), *ages,
                                                        ("total", _("Total"))],
                          [{"category": str(CATEGORY_LABELS.get(c, c)), **table[c], "total": sum(table[c].values())}
                           for c in categories])
    return Dashboard("support", str(BOARDS["support"]), p, team_id, teams, metrics, charts, [backlog_table])


AGENT_COLUMNS = (
    ("agent", gettext_lazy("Agent"), ""), ("first_replies", gettext_lazy("First replies"), "count"),
    ("frt_median", gettext_lazy("First response, median"), "seconds"),
    ("resolved", gettext_lazy("Conversations handled"), "count"),
    ("handle_median", gettext_lazy("Time per conversation, median"), "seconds"),
    ("resolution_median", gettext_lazy("Resolution time, median"), "seconds"),
    ("fcr", gettext_lazy("First-contact resolution"), "percent"),
    ("reopen_rate", gettext_lazy("Reopen rate"), "percent"),
    ("sla", gettext_lazy("SLA met"), "percent"),
    ("csat", gettext_lazy("CSAT"), "percent"),
)


def agents(p: Period, team_id: int | None = None) -> Dashboard:
    teams, ids = _team_ids("", team_id)
    per_agent = sums("a", p, team_ids=ids if team_id is not None else None, by="agent",
                     keyed=("frt_business", "handle", "resolution_business"))
    per_agent.pop(0, None)  # nobody: unanswered, or resolved by the system
    before = sums("a", p.previous, team_ids=ids if team_id is not None else None, by="agent",
                  keyed=("frt_business", "handle"))
    csat_rows = {r.key: r for r in surveys.figures(surveys.Filters(since=p.since, until=p.until), group="agent")}
    names = agent_names(per_agent)
    rows = []
    for agent_id, s in per_agent.items():
        sla_total = s["sla_first_total"] + s["sla_resolution_total"]
        figures = csat_rows.get(agent_id)
        rows.append({
            "agent_id": agent_id, "agent": names.get(agent_id, "?"), "first_replies": s["replied"],
            "frt_median": s.median("frt_business"), "resolved": s["resolved"],
            "handle_median": s.median("handle"), "resolution_median": s.median("resolution_business"),
            "fcr": s.rate("fcr", "resolved"), "reopen_rate": s.rate("reopened", "resolved"),
            "sla": 100.0 * (s["sla_first_met"] + s["sla_resolution_met"]) / sla_total if sla_total else None,
            "csat": figures.csat.percent if figures else None,
            "previous_resolved": before[agent_id]["resolved"] if agent_id in before else 0,
        })
    rows.sort(key=lambda r: (-r["resolved"], -r["first_replies"], r["agent"]))
    everyone_now, everyone_before = Sums(), Sums()
    for s in per_agent.values():
        _merge(everyone_now, s)
    for agent_id, s in before.items():
        if agent_id:
            _merge(everyone_before, s)
    metrics = [
        Metric("agents", _("Agents who answered"), len(rows), len([a for a in before if a]), better=""),
        _metric("handled", _("Conversations handled"), everyone_now, everyone_before, "count", "resolved"),
        _metric("handle_median", _("Time per conversation, median"), everyone_now, everyone_before, "median",
                "handle"),
        _metric("frt_median", _("First response, median (business hours)"), everyone_now, everyone_before,
                "median", "frt_business"),
    ]
    top = rows[:20]
    charts = [
        Chart("handled", _("Conversations handled per agent"), "bar", [r["agent"] for r in top],
              [{"label": _("This period"), "data": [r["resolved"] for r in top]},
               {"label": _("Previous period"), "data": [r["previous_resolved"] for r in top]}], horizontal=True),
        Chart("frt_agents", _("First response per agent, median (business hours)"), "bar",
              [r["agent"] for r in top], [{"label": _("Median"), "data": [r["frt_median"] for r in top]}],
              unit="seconds", horizontal=True),
    ]
    table = Table("agents", _("Per agent"), [(k, str(label)) for k, label, _u in AGENT_COLUMNS], rows,
                  {k: u for k, _l, u in AGENT_COLUMNS})
    return Dashboard("agents", str(BOARDS["agents"]), p, team_id, teams, metrics, charts, [table])


def _merge(target: Sums, source: Sums) -> None:
    target.counts.update(source.counts)
    for name, hist in source.hist.items():
        target.hist[name].update(hist)
    target.handoffs.update(source.handoffs)


def channels(p: Period, team_id: int | None = None) -> Dashboard:
    by_channel = sums("t", p, by="channel", keyed=("handoffs",))
    before = total("t", p.previous, keyed=("handoffs",))
    now = Sums()
    for s in by_channel.values():
        _merge(now, s)
    names = channel_names()
    reasons = dict(BotConversation.Reason.choices)
    metrics = [
        _metric("volume", _("Conversations"), now, before, "count", "created", better=""),
        _metric("bot_involved", _("Answered by the bot first"), now, before, "count", "bot_involved", better=""),
        _metric("deflection", _("Deflection (resolved by the bot alone)"), now, before, "rate", "bot_only",
                "bot_involved"),
        Metric("handoffs", _("Handed to a person"), sum(now.handoffs.values()), sum(before.handoffs.values()),
               better=""),
    ]
    ordered = sorted(by_channel, key=lambda c: names.get(c, ""))
    rows: list[dict[str, Any]] = [{"channel": names.get(c, "?"), "created": by_channel[c]["created"],
             "bot_involved": by_channel[c]["bot_involved"], "bot_only": by_channel[c]["bot_only"],
             "deflection": by_channel[c].rate("bot_only", "bot_involved"),
             "handoffs": sum(by_channel[c].handoffs.values())} for c in ordered]
    common = now.handoffs.most_common()
    charts = [
        Chart("volume", _("Conversations by channel"), "bar", [r["channel"] for r in rows], [
            {"label": _("With people"), "data": [r["created"] - r["bot_only"] for r in rows]},
            {"label": _("Resolved by the bot alone"), "data": [r["bot_only"] for r in rows]}], stacked=True),
        Chart("handoff_reasons", _("Why the bot handed over"), "bar", [str(reasons.get(k, k)) for k, _n in common],
              [{"label": _("Hand-offs"), "data": [n for _k, n in common]}], horizontal=True),
    ]
    table = Table("channels", _("Per channel"), [
        ("channel", _("Channel")), ("created", _("Conversations")), ("bot_involved", _("Answered by the bot first")),
        ("bot_only", _("Resolved by the bot alone")), ("deflection", _("Deflection")),
        ("handoffs", _("Handed to a person"))], rows, {"deflection": "percent"})
    return Dashboard("channels", str(BOARDS["channels"]), p, team_id, [], metrics, charts, [table])


def experience(p: Period, team_id: int | None = None) -> Dashboard:
    filters = surveys.Filters(since=p.since, until=p.until, team_id=team_id)
    previous = surveys.Filters(since=p.previous.since, until=p.previous.until, team_id=team_id)
    now, before = surveys.figures(filters)[0], surveys.figures(previous)[0]
    nps_detail = ""
    if now.nps.answers:
        nps_detail = _("±%(margin).1f · %(p)s promoters, %(a)s passives, %(d)s detractors") % {
            "margin": now.nps.margin or 0, "p": now.nps.promoters, "a": now.nps.passives, "d": now.nps.detractors}
    metrics = [
        Metric("nps", "NPS", now.nps.score, before.nps.score, "nps",
               significant=scores.nps_difference_significant(now.nps, before.nps), detail=nps_detail),
        _csat_metric(now, before),
        Metric("ces", _("CES, mean (1–7)"), now.ces.mean, before.ces.mean, "mean",
               detail=_("%(n)s answers") % {"n": now.ces.answers}),
        Metric("ces_easy", _("CES, share easy (5–7)"), now.ces.easy_percent, before.ces.easy_percent, "percent"),
        Metric("response_rate", _("Survey response rate"), now.response_rate, before.response_rate, "percent"),
    ]
    group = "day" if p.days <= 31 else ("week" if p.days <= 190 else "month")
    trend = [f for f in surveys.figures(filters, group=group) if f.nps.answers]
    labels = [_trend_label(f.key, group) for f in trend]
    charts = [
        Chart("nps_trend", _("NPS with its 95% margin of error"), "line", labels, [
            {"label": "NPS", "data": [f.nps.score for f in trend]},
            {"label": _("Upper bound"), "data": [_bound(f.nps, 1) for f in trend], "band": True},
            {"label": _("Lower bound"), "data": [_bound(f.nps, -1) for f in trend], "band": True}], unit="nps"),
        Chart("nps_split", _("Promoters, passives and detractors"), "doughnut",
              [_("Promoters"), _("Passives"), _("Detractors")],
              [{"label": "NPS", "data": [now.nps.promoters, now.nps.passives, now.nps.detractors]}]),
    ]
    comments = surveys.comments(filters, limit=500)
    sentiments = Counter(c.sentiment for c in comments if c.sentiment)
    topics = Counter(t for c in comments for t in (c.topics or []))
    language = get_language() or "th"
    topic_names = {t.key: t.name(language[:2]) for t in surveys.topics()}
    charts.append(Chart("comment_topics", _("What the comments are about"), "bar",
                        [str(topic_names.get(k, k)) for k, _n in topics.most_common(10)],
                        [{"label": _("Comments"), "data": [n for _k, n in topics.most_common(10)]}], horizontal=True))
    follow_ups = surveys.follow_up_figures(p.since, p.until)
    return Dashboard("experience", str(BOARDS["experience"]), p, team_id, list(Team.objects.order_by("name")),
                     metrics, charts, extra={"comments": comments[:20], "follow_ups": follow_ups,
                                             "topic_names": topic_names, "sentiments": dict(sentiments.most_common())})


def _bound(nps: scores.Nps, sign: int) -> float | None:
    if nps.score is None or nps.margin is None:
        return None
    return max(-100.0, min(100.0, nps.score + sign * nps.margin))


def _trend_label(key: Any, group: str) -> str:
    if isinstance(key, date):
        return rc_day(key) if group != "month" else rc_day(key).split(" ", 1)[1]  # "ต.ค. 2569"
    return str(key)


BUILDERS = {"service": service, "support": support, "agents": agents, "channels": channels,
            "experience": experience}


def dashboard(board: str, p: Period, team_id: int | None = None) -> Dashboard:
    built = BUILDERS[board](p, team_id)
    built.updated_at = ReportState.objects.values_list("ran_at", flat=True).first()
    return built
