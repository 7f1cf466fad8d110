"""The measures of a conversation, computed from its messages and events as DESIGN.md defines them.

- First response time: first customer message → first human reply (bot replies and private notes never set
  ``first_reply_at``), in calendar time and in business time of the answering team's calendar.
- Response rate: a conversation *needed* a reply when the customer wrote in it and a person was meant to
  answer (not one the bot resolved alone); it was *replied* when a person answered.
- Resolution time: conversation start → its final resolution (a reopened conversation counts once), calendar
  and business time of the resolving team's calendar. A pending pause stops the SLA resolution clock, not
  the resolution time.
- First-contact resolution: resolved with exactly one agent reply and never reopened.
- Attribution: created-day measures belong to the team that held the conversation at its first human reply
  (else the team holding it), resolved-day measures to the team and agent that resolved it.

``compute(ids)`` reads everything for a batch of conversations in a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Min, Q

from ruamchat.accounts.models import Team
from ruamchat.bot.models import BotConversation
from ruamchat.inbox.models import Conversation, Event, Message
from ruamchat.inbox.selectors import TEAM_EVENTS, periods_from
from ruamchat.reports.models import ConversationFact
from ruamchat.sla.selectors import calendar_for_team, policy_for

RESOLVED = (Conversation.Status.RESOLVED, Conversation.Status.CLOSED)
EVENT_KINDS = (*TEAM_EVENTS, "status_changed", "first_reply", "assigned", "sla_breached", "bot_resolved")


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day(moment: datetime) -> date:
    return moment.astimezone(zone()).date()


#: (below, step): a duration is rounded to ``step`` seconds in the first range it is below — about 1% or better
BUCKETS = ((60, 1), (600, 5), (3600, 30), (6 * 3600, 60), (86400, 300))
BEYOND = 1800


def bucket(seconds: int) -> int:
    """A duration rounded to what a report needs (exact under a minute, then steps of about 1%: 5 s under ten
    minutes, 30 s under an hour, a minute under six hours, five minutes under a day, half an hour beyond), so a
    day's histogram holds tens of values, not thousands, and any period's median is still right to the minute."""
    seconds = max(seconds, 0)
    for below, step in BUCKETS:
        if seconds < below:
            return round(seconds / step) * step
    return round(seconds / BEYOND) * BEYOND


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None or end < start:
        return None
    return int((end - start).total_seconds())


def _business(team_id: int, start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None or end < start:
        return None
    return int(calendar_for_team(team_id or None).between(start, end).total_seconds())


def compute(ids: Iterable[int]) -> list[ConversationFact]:
    """Facts (unsaved) for the conversations ``ids`` that exist."""
    ids = list(ids)
    conversations = list(Conversation.objects.filter(pk__in=ids).select_related("channel").only(
        "id", "channel_id", "channel__kind", "contact_id", "team_id", "assignee_id", "status", "priority",
        "category", "created_at", "first_reply_at", "resolved_at", "reopened_count"))
    if not conversations:
        return []
    found = [c.pk for c in conversations]
    counts = {row["conversation_id"]: row for row in Message.objects.filter(conversation_id__in=found)
              .values("conversation_id").annotate(
                  first_customer=Min("created_at", filter=Q(direction="in", sender_type="contact")),
                  customers=Count("id", filter=Q(direction="in", sender_type="contact")),
                  replies=Count("id", filter=Q(direction="out", sender_type="agent", is_private=False)))}
    events: dict[int, list[tuple[str, int | None, dict, datetime]]] = defaultdict(list)
    for cid, kind, actor, data, at in (Event.objects.filter(conversation_id__in=found, kind__in=EVENT_KINDS)
                                       .order_by("conversation_id", "id")
                                       .values_list("conversation_id", "kind", "actor_id", "data", "created_at")):
        events[cid].append((kind, actor, data or {}, at))
    bots = {row[0]: row[1:] for row in BotConversation.objects.filter(conversation_id__in=found)
            .values_list("conversation_id", "state", "reason")}
    kinds = dict(Team.objects.values_list("pk", "kind"))
    return [_fact(c, counts.get(c.pk, {}), events.get(c.pk, []), bots.get(c.pk), kinds) for c in conversations]


def _fact(c: Conversation, counts: dict[str, Any], events: list[tuple[str, int | None, dict, datetime]],
          bot: tuple[str, str] | None, kinds: dict[int, str]) -> ConversationFact:
    resolved_at = c.resolved_at if c.status in RESOLVED else None
    end = resolved_at or datetime.max.replace(tzinfo=c.created_at.tzinfo)
    periods = periods_from(c.created_at, [(k, d, at) for k, _a, d, at in events if k in TEAM_EVENTS],
                           end)
    final_team = c.team_id or 0
    received_at = periods[-1][1] if periods[-1][0] == c.team_id else c.created_at

    def team_at(moment: datetime) -> int:
        held = [team for team, since, _until in periods if since <= moment]
        return (held[-1] if held else periods[0][0]) or 0

    first_reply_event = next(((actor, at) for k, actor, _d, at in events if k == "first_reply"), None)
    first_team = team_at(c.first_reply_at) if c.first_reply_at else final_team
    bot_state, bot_reason = bot if bot else ("", "")
    bot_only = bot_state == BotConversation.State.RESOLVED and c.first_reply_at is None
    if bot_only:
        first_team = final_team = 0
    customers = int(counts.get("customers") or 0)
    first_customer = counts.get("first_customer")
    needed = customers > 0 and not bot_only
    frt = _seconds(first_customer, c.first_reply_at)
    transfers = [d for k, _a, d, _at in events if k == "transferred"]
    to_support = any(kinds.get(d.get("to_team_id") or 0) == Team.Kind.SUPPORT
                     and kinds.get(d.get("from_team_id") or 0) == Team.Kind.SERVICE for d in transfers)
    resolver = 0
    if resolved_at is not None and not bot_only:
        closers = [actor for k, actor, d, _at in events
                   if k == "status_changed" and d.get("new") in RESOLVED and actor is not None]
        resolver = closers[-1] if closers else (c.assignee_id or 0)
    took = [at for k, actor, d, at in events if resolver and (
        (k == "assigned" and d.get("assignee_id") == resolver) or (k == "first_reply" and actor == resolver))]
    breached = {d.get("clock") for k, _a, d, _at in events if k == "sla_breached"}
    first_policy = policy_for(first_team or None, c.priority)
    sla_first = None
    if first_policy is not None and first_policy[0].first_response_minutes:
        sla_first = False if "first_response" in breached else (True if c.first_reply_at else None)
    final_policy = policy_for(final_team or None, c.priority)
    sla_resolution = None
    if final_policy is not None and final_policy[0].resolution_minutes:
        sla_resolution = False if "resolution" in breached else (True if resolved_at else None)
    created_local = c.created_at.astimezone(zone())
    replies = int(counts.get("replies") or 0)
    return ConversationFact(
        conversation_id=c.pk, channel_id=c.channel_id, channel_kind=c.channel.kind, contact_id=c.contact_id,
        status=c.status, priority=c.priority, category=c.category or "",
        first_team_id=first_team, team_id=final_team, received_at=received_at, received_day=local_day(received_at),
        first_agent_id=(first_reply_event[0] or 0) if first_reply_event and not bot_only else 0,
        resolver_id=resolver, created_at=c.created_at, created_day=created_local.date(),
        created_hour=created_local.hour, first_customer_at=first_customer, first_reply_at=c.first_reply_at,
        needed_reply=needed, replied=needed and c.first_reply_at is not None,
        frt_seconds=frt, frt_business_seconds=_business(first_team, first_customer, c.first_reply_at),
        customer_messages=customers, agent_replies=replies,
        resolved_at=resolved_at, resolved_day=local_day(resolved_at) if resolved_at else None,
        resolution_seconds=_seconds(c.created_at, resolved_at),
        resolution_business_seconds=_business(final_team, c.created_at, resolved_at),
        handle_seconds=_seconds(min(took), resolved_at) if took and resolved_at else None,
        reopened_count=c.reopened_count,
        fcr=resolved_at is not None and replies == 1 and c.reopened_count == 0,
        transfers=len(transfers), transferred_to_support=to_support,
        bot_involved=bot is not None, bot_only=bot_only,
        handoff_reason=bot_reason if bot_state == BotConversation.State.HANDED_OFF else "",
        sla_first_met=sla_first, sla_resolution_met=sla_resolution,
    )
