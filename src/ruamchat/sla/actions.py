"""SLA clocks: due times computed in business time, kept on the conversation, announced when at risk or
breached, with optional escalation.

``recompute`` is the one place the clocks are set: actions call it (inside their transaction) whenever the
team, priority, status, first reply or customer's waiting changes. The sweep looks only at conversations
whose ``sla_check_at`` has come (an indexed column), so its cost follows the number of clocks that move,
not the number of open conversations.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from ruamchat.inbox.models import Conversation, Event
from ruamchat.realtime import events as rt
from ruamchat.sla.calendar import BusinessCalendar
from ruamchat.sla.selectors import policy_for

logger = logging.getLogger("ruamchat.sla")

BREACHED, AT_RISK, OK, NONE = 0, 1, 2, 9
ACTIVE = (Conversation.Status.OPEN, Conversation.Status.PENDING, Conversation.Status.SNOOZED)
SWEEP_BATCH = 500
FIELDS = ["first_response_due_at", "next_response_due_at", "resolution_due_at", "sla_due_at", "sla_state",
          "sla_check_at", "sla_paused_at", "sla_paused_seconds", "sla_flags"]


@dataclass(frozen=True)
class Clock:
    name: str  # first_response | next_response | resolution
    started: datetime
    due: datetime
    warn: datetime

    @property
    def key(self) -> str:
        """One announcement per clock run (each wait of the customer is a new next-response clock)."""
        return f"{self.name}@{self.started.isoformat()}"


def _clock(calendar: BusinessCalendar, name: str, started: datetime, minutes: int | None, warn_percent: int,
           extra: timedelta = timedelta(0)) -> Clock | None:
    if not minutes:
        return None
    target = timedelta(minutes=minutes)
    due = calendar.add(started, target + extra)
    warn = calendar.add(started, target * min(max(warn_percent, 1), 100) / 100 + extra)
    return Clock(name, started, due, warn)


def clocks(conversation: Conversation, now: datetime) -> list[Clock]:
    """The clocks running for the conversation now (pending pauses the resolution clock)."""
    found = policy_for(conversation.team_id, conversation.priority)
    if found is None or conversation.status not in ACTIVE:
        return []
    policy, calendar = found
    running: list[Clock] = []
    start = conversation.created_at or now
    first = None if conversation.first_reply_at else _clock(
        calendar, "first_response", start, policy.first_response_minutes, policy.warn_percent)
    if first:
        running.append(first)
    if conversation.first_reply_at and conversation.waiting_since and conversation.status != "pending":
        nxt = _clock(calendar, "next_response", conversation.waiting_since, policy.next_response_minutes,
                     policy.warn_percent)
        if nxt:
            running.append(nxt)
    if conversation.sla_paused_at is None:
        res = _clock(calendar, "resolution", start, policy.resolution_minutes, policy.warn_percent,
                     extra=timedelta(seconds=conversation.sla_paused_seconds))
        if res:
            running.append(res)
    return running


def recompute(conversation: Conversation, *, now: datetime | None = None) -> list[tuple[Clock, str]]:
    """Set the conversation's SLA fields from its state (saves them). Returns the announcements now due:
    (clock, "warning" | "breached") not made before."""
    now = now or timezone.now()
    _pause_or_resume(conversation, now)
    running = clocks(conversation, now)
    by_name = {c.name: c for c in running}
    conversation.first_response_due_at = by_name["first_response"].due if "first_response" in by_name else None
    conversation.next_response_due_at = by_name["next_response"].due if "next_response" in by_name else None
    if "resolution" in by_name:
        conversation.resolution_due_at = by_name["resolution"].due
    elif conversation.status not in ACTIVE or policy_for(conversation.team_id, conversation.priority) is None:
        conversation.resolution_due_at = None
    flags = dict(conversation.sla_flags or {})
    announced: list[tuple[Clock, str]] = []
    state = NONE
    upcoming: list[datetime] = []
    for clock in running:
        if now >= clock.due:
            state = min(state, BREACHED)
            if flags.get(clock.key) != "breached":
                flags[clock.key] = "breached"
                announced.append((clock, "breached"))
        elif now >= clock.warn:
            state = min(state, AT_RISK)
            upcoming.append(clock.due)
            if flags.get(clock.key) not in ("warning", "breached"):
                flags[clock.key] = "warning"
                announced.append((clock, "warning"))
        else:
            state = min(state, OK)
            upcoming.append(clock.warn)
    conversation.sla_flags = dict(list(flags.items())[-20:])
    conversation.sla_state = state
    conversation.sla_due_at = min((c.due for c in running), default=None)
    conversation.sla_check_at = min(upcoming, default=None)
    Conversation.objects.filter(pk=conversation.pk).update(**{f: getattr(conversation, f) for f in FIELDS})
    return announced


def _pause_or_resume(conversation: Conversation, now: datetime) -> None:
    pending = conversation.status == Conversation.Status.PENDING
    if pending and conversation.sla_paused_at is None:
        conversation.sla_paused_at = now
    elif not pending and conversation.sla_paused_at is not None:
        found = policy_for(conversation.team_id, conversation.priority)
        if found is not None:
            paused = found[1].between(conversation.sla_paused_at, now)
            conversation.sla_paused_seconds += int(paused.total_seconds())
        conversation.sla_paused_at = None


def announce(conversation: Conversation, announcements: list[tuple[Clock, str]]) -> None:
    """Timeline events and live alerts for newly at-risk / breached clocks, and escalation on breach."""
    for clock, level in announcements:
        Event.objects.create(conversation=conversation, actor=None,
                             kind=Event.Kind.SLA_BREACHED if level == "breached" else Event.Kind.SLA_WARNING,
                             data={"clock": clock.name, "due_at": clock.due.isoformat()})
        groups = {rt.SUPERVISORS_GROUP}
        if conversation.team_id:
            groups.add(rt.team_group(conversation.team_id))
        if conversation.assignee_id:
            groups.add(rt.user_group(conversation.assignee_id))
        rt.publish(groups, "sla.alert", {
            "conversation_id": conversation.pk, "team_id": conversation.team_id,
            "assignee_id": conversation.assignee_id, "clock": clock.name, "level": level,
            "due_at": clock.due.isoformat()})
    if any(level == "breached" for _clock, level in announcements):
        _escalate(conversation)


def _escalate(conversation: Conversation) -> None:
    from ruamchat.inbox.actions import publish_assignment
    from ruamchat.routing.actions import schedule_distribution

    found = policy_for(conversation.team_id, conversation.priority)
    if found is None:
        return
    policy = found[0]
    changes: dict[str, Any] = {}
    if policy.escalate_priority and conversation.priority > Conversation.Priority.URGENT:
        changes["priority"] = {"old": conversation.priority, "new": conversation.priority - 1}
        conversation.priority -= 1
    if policy.escalate_to_team_id and policy.escalate_to_team_id != conversation.team_id:
        changes["team"] = {"old": conversation.team_id, "new": policy.escalate_to_team_id}
        conversation.team_id = policy.escalate_to_team_id
        conversation.assignee_id = None
    elif policy.escalate_unassign and conversation.assignee_id is not None:
        changes["assignee"] = {"old": conversation.assignee_id, "new": None}
        conversation.assignee_id = None
    if not changes:
        return
    conversation.save(update_fields=["priority", "team", "assignee", "updated_at"])
    Event.objects.create(conversation=conversation, kind=Event.Kind.ESCALATED, actor=None,
                         data={"reason": "sla_breached", **changes})
    recompute(conversation)
    publish_assignment(conversation)
    schedule_distribution(conversation.team_id)


def sweep(now: datetime | None = None) -> int:
    """Look at the conversations whose next SLA moment has come. Returns how many were looked at."""
    now = now or timezone.now()
    ids = list(Conversation.objects.filter(sla_check_at__lte=now, status__in=ACTIVE)
               .order_by("sla_check_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    for conversation_id in ids:
        with transaction.atomic():
            conversation = Conversation.objects.select_for_update().filter(pk=conversation_id).first()
            if conversation is None:
                continue
            announce(conversation, recompute(conversation, now=now))
    return len(ids)


def sweep_all(now: datetime | None = None) -> int:
    """Sweep in batches until nothing due is left (the periodic job)."""
    total = 0
    while True:
        done = sweep(now)
        total += done
        if done < SWEEP_BATCH:
            return total
