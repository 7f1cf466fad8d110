"""Writes for routing: rules (admin), routing a new conversation (triage, rules), and automatic assignment.

``route_new_conversation`` runs inside the transaction that created the conversation, so it appears in
the right queue, with its priority and assignee, the moment it appears at all.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import lru_cache
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from ruamchat.accounts.actions import check_admin
from ruamchat.accounts.models import AgentProfile, Team
from ruamchat.accounts.selectors import ONLINE_WITHIN, online_agents
from ruamchat.inbox.models import Conversation, Event, Message, Tag
from ruamchat.jobs import queue
from ruamchat.realtime import events as rt
from ruamchat.routing import rules
from ruamchat.routing.models import RoutingRule

logger = logging.getLogger("ruamchat.routing")

LOAD_STATUSES = (Conversation.Status.OPEN, Conversation.Status.PENDING)
DISTRIBUTE_BATCH = 200


# ---------------------------------------------------------------- rules (administrators)


def _check_rule(conditions: Any, actions: Any) -> None:
    errors = rules.validate(conditions, actions)
    if errors:
        raise ValidationError(errors)


def create_rule(*, actor: User | None, name: str, conditions: list[Any], actions: list[Any],
                position: int | None = None, match_any: bool = False, stop: bool = False,
                is_active: bool = True) -> RoutingRule:
    check_admin(actor)
    _check_rule(conditions, actions)
    if position is None:
        last = RoutingRule.objects.order_by("-position").values_list("position", flat=True).first()
        position = (last or 0) + 10
    rule = RoutingRule(name=name.strip(), conditions=conditions, actions=actions, position=position,
                       match_any=match_any, stop=stop, is_active=is_active)
    rule.full_clean()
    rule.save()
    return rule


def update_rule(*, actor: User | None, rule: RoutingRule, **changes: Any) -> RoutingRule:
    check_admin(actor)
    for key in ("name", "conditions", "actions", "position", "match_any", "stop", "is_active"):
        if changes.get(key) is not None:
            setattr(rule, key, changes[key].strip() if key == "name" else changes[key])
    _check_rule(rule.conditions, rule.actions)
    rule.full_clean()
    rule.save()
    return rule


def delete_rule(*, actor: User | None, rule: RoutingRule) -> None:
    check_admin(actor)
    rule.delete()


# ---------------------------------------------------------------- routing a new conversation


@lru_cache(maxsize=1)
def _triage_engine(version: str) -> Any:
    from ruamchat.triage.engine import Triage
    from ruamchat.triage.selectors import extra_keywords

    return Triage(extra=extra_keywords())


def triage_engine() -> Any:
    """The triage engine with the admins' extra keywords (rebuilt when they change)."""
    from ruamchat.triage.selectors import keywords_version

    return _triage_engine(keywords_version())


def tokenize(text: str) -> list[str]:
    from ruamchat.triage.engine import tokens

    return [t.lower() for t in tokens(text) if t.strip()]


def _event(conversation: Conversation, kind: str, **data: Any) -> None:
    Event.objects.create(conversation=conversation, kind=kind, actor=None, data=data)


def route_new_conversation(conversation: Conversation, message: Message, *, assign: bool = True) -> None:
    """Triage, then the routing rules in order, then automatic assignment (not while the chatbot has the
    conversation: ``assign=False``; it assigns when it hands off). Call inside the transaction that created
    ``conversation`` (locked); it is saved here."""
    # "repeated angry complaints": how often this customer was angry in earlier conversations
    angry_before = (Conversation.objects.filter(contact_id=conversation.contact_id, triage__angry=True)
                    .exclude(pk=conversation.pk).count())
    suggestion = triage_engine().suggest(message.text or "", angry_before=angry_before)
    triage = {
        "team_kind": suggestion.team_kind, "category": suggestion.category, "priority": suggestion.priority,
        "language": suggestion.language, "angry": bool(getattr(suggestion, "angry", False)),
        "reasons": [{"field": r.field, "value": r.value, "keyword": r.keyword, "rule": r.rule}
                    for r in suggestion.reasons],
    }
    conversation.triage = triage
    conversation.priority = suggestion.priority
    conversation.category = suggestion.category if suggestion.category != "other" else conversation.category
    _event(conversation, Event.Kind.TRIAGED, **triage)

    ctx = rules.Context(
        channel_id=conversation.channel_id, channel_kind=conversation.channel.kind, text=message.text or "",
        language=suggestion.language, triage=triage,
        contact_attributes=dict(conversation.contact.attributes or {}),
        tags=set(), open_now=lambda: _open_now(conversation), tokenize=tokenize,
    )
    assigned_by_rule = False
    for rule in RoutingRule.objects.filter(is_active=True).order_by("position", "id"):
        ctx.tags = set(conversation.tags.values_list("name", flat=True)) if conversation.pk else set()
        try:
            applies = rules.matches(rule.conditions, ctx, match_any=rule.match_any)
        except Exception:  # a rule that cannot be evaluated must never lose the message
            logger.exception("routing rule %s could not be evaluated", rule.pk)
            continue
        if not applies:
            continue
        done = [_apply(conversation, action) for action in rule.actions]
        assigned_by_rule = assigned_by_rule or any(a.get("type") == "assign" for a in rule.actions)
        _event(conversation, Event.Kind.RULE_APPLIED, rule_id=rule.pk, rule=rule.name,
               actions=[d for d in done if d])
        if rule.stop:
            break
    conversation.save()
    if assign and not assigned_by_rule and conversation.assignee_id is None:
        auto_assign(conversation)


def _open_now(conversation: Conversation) -> bool:
    from ruamchat.sla.selectors import calendar_for_team

    calendar = calendar_for_team(conversation.team_id)
    return calendar.is_open(timezone.now())


def _apply(conversation: Conversation, action: dict[str, Any]) -> dict[str, Any] | None:
    kind, value = action.get("type"), action.get("value")
    if kind == "set_team":
        team = Team.objects.filter(pk=rules._int(value)).first()
        if team is None:
            return None
        conversation.team = team
        return {"type": kind, "value": team.pk, "label": team.name}
    if kind == "set_priority":
        conversation.priority = int(value)  # type: ignore[arg-type]
        return {"type": kind, "value": int(value)}  # type: ignore[arg-type]
    if kind == "set_category":
        conversation.category = str(value)
        return {"type": kind, "value": value}
    if kind == "add_tag":
        from ruamchat.inbox.actions import normalize_tag

        try:
            name = normalize_tag(str(value))
        except ValidationError:
            return None
        tag, _created = Tag.objects.get_or_create(name=name)
        conversation.save()
        conversation.tags.add(tag)
        return {"type": kind, "value": tag.name}
    if kind == "assign":
        profile = (AgentProfile.objects.select_related("user")
                   .filter(user_id=rules._int(value), user__is_active=True).first())
        if profile is None:
            return None
        conversation.assignee = profile.user
        return {"type": kind, "value": profile.user_id, "label": profile.name}
    if kind == "auto_reply":
        conversation.save()
        queue.enqueue("routing.auto_reply", conversation_id=conversation.pk, text=str(value))
        return {"type": kind, "value": str(value)[:200]}
    return None


def auto_reply(*, conversation_id: int, text: str) -> None:
    from ruamchat.inbox.actions import send_automatic

    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        return
    try:
        send_automatic(conversation=conversation, text=text)
    except ValidationError as exc:  # the channel refuses automatic mail here (e.g. to an auto-replier)
        logger.info("automatic reply to %s not sent: %s", conversation_id, exc)


# ---------------------------------------------------------------- assignment


def online_members(team_id: int) -> list[AgentProfile]:
    """Members of the team who are online now and below their capacity, least loaded first, with their load."""
    members: list[AgentProfile] = list(
        online_agents().select_related("user").filter(teams=team_id)
        .annotate(load=Count("user__assigned_conversations",
                             filter=Q(user__assigned_conversations__status__in=LOAD_STATUSES)))
        .filter(load__lt=F("capacity"))
    )
    return members


def _pick(team: Team, candidates: list[AgentProfile]) -> AgentProfile | None:
    if not candidates:
        return None
    never = timezone.now() - timedelta(days=36500)
    if team.assignment == Team.Assignment.LEAST_BUSY:
        return min(candidates, key=lambda p: (p.load, p.last_assigned_at or never, p.pk))  # type: ignore[attr-defined]
    return min(candidates, key=lambda p: (p.last_assigned_at or never, p.pk))


def auto_assign(conversation: Conversation) -> bool:
    """Give the conversation to an online agent of its team with room, by the team's strategy. False when
    the team assigns by hand or everyone is full: it waits in the team's unassigned queue."""
    if conversation.team_id is None:
        return False
    team = Team.objects.filter(pk=conversation.team_id).first()  # fresh: its settings may just have changed
    if team is None or team.assignment == Team.Assignment.MANUAL or not conversation.is_active:
        return False
    agent = _pick(team, online_members(team.pk))
    if agent is None:
        return False
    now = timezone.now()
    conversation.assignee_id = agent.user_id
    conversation.save(update_fields=["assignee", "updated_at"])
    AgentProfile.objects.filter(pk=agent.pk).update(last_assigned_at=now)
    Event.objects.create(conversation=conversation, kind=Event.Kind.ASSIGNED, actor=None,
                         data={"assignee_id": agent.user_id, "reason": "auto", "strategy": team.assignment})
    return True


def distribute(*, team_id: int) -> int:
    """Hand waiting conversations of the team to agents with room, most urgent and longest waiting first."""
    from ruamchat.inbox.actions import publish_assignment

    team = Team.objects.filter(pk=team_id).first()
    if team is None or team.assignment == Team.Assignment.MANUAL:
        return 0
    handed = 0
    while handed < DISTRIBUTE_BATCH:
        with transaction.atomic():
            waiting = (Conversation.objects.select_for_update().select_related("team")
                       .filter(team_id=team_id, assignee__isnull=True, status=Conversation.Status.OPEN)
                       .order_by("priority", F("waiting_since").asc(nulls_last=True), "id").first())
            if waiting is None or not auto_assign(waiting):
                break
            publish_assignment(waiting)
        handed += 1
    return handed


def schedule_distribution(team_id: int | None) -> None:
    """Capacity may have freed in this team: hand out what waits (in a job, after this transaction)."""
    if team_id is not None:
        queue.enqueue("routing.distribute", team_id=team_id)


def sweep_presence() -> int:
    """Agents whose heartbeat stopped are offline; teams that say so take their open conversations back."""
    from ruamchat.inbox.actions import release_conversations

    stale = list(AgentProfile.objects.filter(presence=AgentProfile.Presence.ONLINE)
                 .filter(Q(last_seen_at__lt=timezone.now() - ONLINE_WITHIN) | Q(last_seen_at__isnull=True))
                 .values_list("pk", "user_id"))
    for profile_id, user_id in stale:
        if AgentProfile.objects.filter(pk=profile_id, presence=AgentProfile.Presence.ONLINE).update(
                presence=AgentProfile.Presence.OFFLINE):
            rt.publish([rt.SUPERVISORS_GROUP], "presence.changed",
                       {"user_id": user_id, "presence": AgentProfile.Presence.OFFLINE})  # the wallboard
            release_conversations(user_id=user_id, reason="offline")
    return len(stale)


def distribute_all() -> int:
    return sum(distribute(team_id=t) for t in Team.objects.exclude(
        assignment=Team.Assignment.MANUAL).values_list("pk", flat=True))
