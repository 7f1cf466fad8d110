"""Reads for SLAs: which calendar and policy apply to a conversation (cached per process, refreshed when an
administrator changes them)."""

from __future__ import annotations

import time
from datetime import date, timedelta
from functools import lru_cache

from django.db.models import Max

from ruamchat.sla.calendar import BusinessCalendar, Period
from ruamchat.sla.models import Calendar, SlaPolicy

#: how long a process trusts its copy of the calendars and policies before asking whether they changed
RECHECK_SECONDS = 5.0
_checked: dict[str, tuple[float, str]] = {}


def _version() -> str:
    """A fingerprint of calendars and policies, looked up at most every few seconds (an admin's change
    applies within RECHECK_SECONDS; a sweep over a thousand conversations asks once)."""
    now = time.monotonic()
    cached = _checked.get("v")
    if cached is not None and now - cached[0] < RECHECK_SECONDS:
        return cached[1]
    version = _read_version()
    _checked["v"] = (now, version)
    return version


def forget() -> None:
    """Drop the cached fingerprint (after a change in this process, so it applies at once)."""
    _checked.clear()


def _read_version() -> str:
    calendars = Calendar.objects.aggregate(n=Max("updated_at"))
    policies = SlaPolicy.objects.aggregate(n=Max("updated_at"))
    return f"{calendars['n']}:{policies['n']}:{SlaPolicy.objects.count()}:{Calendar.teams.through.objects.count()}"


def _to_engine(calendar: Calendar) -> BusinessCalendar:
    open_days: dict = {}
    for day in calendar.special_days.all():
        if not day.closed and day.opens is not None and day.closes is not None:
            open_days.setdefault(day.date, []).append((day.opens, day.closes))
    # a date both closed and open by the admin's rows: the opening hours win (they are the more specific)
    closed = frozenset(d.date for d in calendar.special_days.all() if d.closed and d.date not in open_days)
    return BusinessCalendar(
        time_zone=calendar.time_zone,
        periods=tuple(Period(p.weekday, p.opens, p.closes) for p in calendar.periods.all()),
        holiday_country=calendar.holiday_country or None,
        closed_days=closed,
        open_days={d: tuple(v) for d, v in open_days.items()},
    )


@lru_cache(maxsize=4)
def _snapshot(version: str) -> tuple[dict[int, BusinessCalendar], BusinessCalendar, dict[int, int],
                                     dict[tuple[int, int | None], SlaPolicy]]:
    calendars = {c.pk: _to_engine(c) for c in Calendar.objects.prefetch_related("periods", "special_days")}
    default_row = Calendar.objects.filter(is_default=True).first()
    default = calendars[default_row.pk] if default_row else BusinessCalendar.always_open()
    team_calendar = dict(Calendar.teams.through.objects.values_list("team_id", "calendar_id"))
    policies = {(p.team_id, p.priority): p for p in SlaPolicy.objects.all()}
    return calendars, default, team_calendar, policies


def snapshot() -> tuple[dict[int, BusinessCalendar], BusinessCalendar, dict[int, int],
                        dict[tuple[int, int | None], SlaPolicy]]:
    return _snapshot(_version())


def calendar_for_team(team_id: int | None) -> BusinessCalendar:
    calendars, default, team_calendar, _policies = snapshot()
    if team_id is not None and team_id in team_calendar:
        return calendars[team_calendar[team_id]]
    return default


def policy_for(team_id: int | None, priority: int) -> tuple[SlaPolicy, BusinessCalendar] | None:
    if team_id is None:
        return None
    calendars, _default, _team_calendar, policies = snapshot()
    policy = policies.get((team_id, priority)) or policies.get((team_id, None))
    if policy is None:
        return None
    calendar = calendars[policy.calendar_id] if policy.calendar_id else calendar_for_team(team_id)
    return policy, calendar




def upcoming_holidays(calendar: Calendar, start: date, days: int) -> list[tuple[date, str]]:
    engine = _to_engine(calendar)
    found = []
    for n in range(days):
        day = start + timedelta(days=n)
        name = engine.holiday_name(day, "th")
        if name:
            found.append((day, name))
    return found
