"""Keeping the report tables up to date (the only writes of this app).

``catch_up`` (a periodic job) reads the events and messages added since it last ran, recomputes the facts of the
conversations they touched, and rebuilds the daily sums of every day those facts were or are counted on. It reads
the last ``LOOK_BACK`` ids before its mark again: ids are handed out before commit, so a transaction that committed
late may hold ids below the mark; recomputing a fact is idempotent.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from ruamchat.inbox.models import Conversation, Event, Message
from ruamchat.reports import facts
from ruamchat.reports.models import ConversationFact, DailyStat, ReportState

logger = logging.getLogger("ruamchat.reports")

BATCH = 2000
#: how many ids before the mark are read again: a transaction that took its ids before the last run and committed
#: after it (ids are handed out before commit) is still seen. Recomputing a fact is idempotent.
LOOK_BACK = 1000
FACT_FIELDS = [f.name for f in ConversationFact._meta.concrete_fields if not f.primary_key]


@dataclass
class Result:
    conversations: int = 0
    days: set[date] = field(default_factory=set)


def refresh(conversation_ids: Iterable[int]) -> Result:
    """Recompute the facts of these conversations and the daily sums of the days they touch."""
    ids = sorted(set(conversation_ids))
    result = Result()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        with transaction.atomic():
            old = ConversationFact.objects.filter(conversation_id__in=chunk)
            days = _days_of(old.values_list("created_day", "resolved_day", "received_day"))
            computed = facts.compute(chunk)
            gone = set(chunk) - {f.conversation_id for f in computed}
            ConversationFact.objects.filter(conversation_id__in=gone).delete()
            ConversationFact.objects.bulk_create(computed, batch_size=500, update_conflicts=True,
                                                 unique_fields=["conversation_id"], update_fields=FACT_FIELDS)
            days |= _days_of((f.created_day, f.resolved_day, f.received_day) for f in computed)
            result.conversations += len(computed)
            result.days |= days
    rebuild_days(result.days)
    return result


def _days_of(rows: Iterable[tuple[date | None, ...]]) -> set[date]:
    return {day for row in rows for day in row if day is not None}


def catch_up() -> Result:
    """Bring the facts and sums up to the latest events and messages (one runner at a time). The first run on an
    installation with history rebuilds everything instead."""
    if not ReportState.objects.exists():
        return rebuild_all()
    with transaction.atomic():
        state = ReportState.objects.select_for_update().first() or ReportState.objects.create()
        started = timezone.now()
        event_top = Event.objects.aggregate(n=Max("id"))["n"] or 0
        message_top = Message.objects.aggregate(n=Max("id"))["n"] or 0
        # ids below the mark may have committed after the last run: read the last LOOK_BACK ids again
        touched = set(Event.objects.filter(id__gt=max(state.event_id - LOOK_BACK, 0), id__lte=event_top)
                      .values_list("conversation_id", flat=True).distinct())
        touched |= set(Message.objects.filter(id__gt=max(state.message_id - LOOK_BACK, 0), id__lte=message_top)
                       .values_list("conversation_id", flat=True).distinct())
        result = refresh(touched)
        state.event_id, state.message_id, state.ran_at = event_top, message_top, started
        state.save()
    return result


def rebuild_all() -> Result:
    """Recompute every fact and every day (after an upgrade, or when the definitions changed)."""
    result = Result()
    last = 0
    while True:
        ids = list(Conversation.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            break
        with transaction.atomic():
            computed = facts.compute(ids)
            ConversationFact.objects.bulk_create(computed, batch_size=500, update_conflicts=True,
                                                 unique_fields=["conversation_id"], update_fields=FACT_FIELDS)
        result.conversations += len(computed)
        last = ids[-1]
    # an anti-join: NOT IN (subquery) is planned per row by PostgreSQL when a million ids exceed work_mem
    ConversationFact.objects.filter(~Exists(Conversation.objects.filter(pk=OuterRef("conversation_id")))).delete()
    days = _days_of(ConversationFact.objects.values_list("created_day", "resolved_day", "received_day").distinct())
    DailyStat.objects.exclude(day__in=days).delete()
    result.days = days
    rebuild_days(days)
    with transaction.atomic():
        state = ReportState.objects.select_for_update().first() or ReportState.objects.create()
        state.event_id = Event.objects.aggregate(n=Max("id"))["n"] or 0
        state.message_id = Message.objects.aggregate(n=Max("id"))["n"] or 0
        state.ran_at = timezone.now()
        state.save()
    return result


class _Sums:
    __slots__ = ("counts", "handoffs", "hist", "hours")

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.handoffs: Counter[str] = Counter()
        self.hours = [0] * 24
        self.hist: dict[str, Counter[int]] = defaultdict(Counter)

    def add(self, name: str, value: int | bool = 1) -> None:
        self.counts[name] += int(value)

    def duration(self, name: str, seconds: int | None) -> None:
        if seconds is not None:
            self.hist[name][facts.bucket(seconds)] += 1


def _created(s: _Sums, f: ConversationFact, *, hours: bool) -> None:
    s.add("created")
    s.add("needed", f.needed_reply)
    s.add("replied", f.replied)
    s.add("transferred_support", f.transferred_to_support)
    s.add("bot_involved", f.bot_involved)
    s.add("bot_only", f.bot_only)
    if f.handoff_reason:
        s.handoffs[f.handoff_reason] += 1
    if hours:
        s.hours[f.created_hour] += 1
    if f.sla_first_met is not None:
        s.add("sla_first_total")
        s.add("sla_first_met", f.sla_first_met)
    if f.replied:
        s.duration("frt", f.frt_seconds)
        s.duration("frt_business", f.frt_business_seconds)


def _resolved(s: _Sums, f: ConversationFact) -> None:
    s.add("resolved")
    s.add("fcr", f.fcr)
    s.add("reopened", f.reopened_count > 0)
    if f.sla_resolution_met is not None:
        s.add("sla_resolution_total")
        s.add("sla_resolution_met", f.sla_resolution_met)
    s.duration("resolution", f.resolution_seconds)
    s.duration("resolution_business", f.resolution_business_seconds)
    s.duration("handle", f.handle_seconds)


def rebuild_days(days: Iterable[date]) -> None:
    """Replace the daily sums of ``days`` with sums of the current facts."""
    days = sorted(set(days))
    for start in range(0, len(days), 31):
        chunk = days[start:start + 31]
        sums: dict[tuple[str, date, int, int, int], _Sums] = defaultdict(_Sums)
        wanted = set(chunk)
        found = ConversationFact.objects.filter(
            Q(created_day__in=chunk) | Q(resolved_day__in=chunk) | Q(received_day__in=chunk))
        for f in found.iterator(chunk_size=5000):
            if f.created_day in wanted:
                _created(sums["t", f.created_day, f.first_team_id, f.channel_id, 0], f, hours=True)
                _created(sums["a", f.created_day, f.first_team_id, 0, f.first_agent_id], f, hours=False)
            if f.resolved_day in wanted:
                _resolved(sums["t", f.resolved_day, f.team_id, f.channel_id, 0], f)
                _resolved(sums["a", f.resolved_day, f.team_id, 0, f.resolver_id], f)
            if f.received_day in wanted and not f.bot_only:
                sums["t", f.received_day, f.team_id, f.channel_id, 0].add("received")
        rows = [_row(key, s) for key, s in sums.items()]
        with transaction.atomic():
            DailyStat.objects.filter(day__in=chunk).delete()
            DailyStat.objects.bulk_create(rows, batch_size=1000)


def _row(key: tuple[str, date, int, int, int], s: _Sums) -> DailyStat:
    grain, day, team_id, channel_id, agent_id = key
    values: dict[str, Any] = {name: s.counts.get(name, 0) for name in (
        "created", "needed", "replied", "transferred_support", "bot_involved", "bot_only", "sla_first_total",
        "sla_first_met", "received", "resolved", "fcr", "reopened", "sla_resolution_total", "sla_resolution_met")}
    hists = {name: {str(k): v for k, v in s.hist[name].items()} for name in (
        "frt", "frt_business", "resolution", "resolution_business", "handle")}
    return DailyStat(grain=grain, day=day, team_id=team_id, channel_id=channel_id, agent_id=agent_id,
                     handoffs=dict(s.handoffs), hours={str(h): n for h, n in enumerate(s.hours) if n},
                     **values, **hists)
