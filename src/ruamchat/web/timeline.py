"""A conversation's events as sentences an agent can read ("Somchai transferred to Support: refund")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ruamchat.accounts.selectors import agent_names, all_teams
from ruamchat.connectors import registry
from ruamchat.inbox.models import Conversation, Event
from ruamchat.web.templatetags.ruamchat_ui import rc_full


@dataclass(frozen=True)
class TimelineEntry:
    id: int
    kind: str
    created_at: datetime
    sentence: str


def _status_label(value: Any) -> str:
    try:
        return str(Conversation.Status(value).label)
    except ValueError:
        return str(value)


def channel_label(kind: Any) -> str:
    try:
        return _(registry.get(str(kind)).label)  # "แชทบนเว็บไซต์", not "website"
    except LookupError:
        return str(kind or "-")


def _priority_label(value: Any) -> str:
    try:
        return str(Conversation.Priority(int(value)).label)
    except (TypeError, ValueError):
        return str(value)


class _Names:
    def __init__(self, events: list[Event]) -> None:
        user_ids: set[int] = set()
        for event in events:
            if event.actor_id:
                user_ids.add(event.actor_id)
            for key in ("assignee_id", "previous_id", "from_agent_id", "to_agent_id"):
                if isinstance(event.data.get(key), int):
                    user_ids.add(event.data[key])
        self.agents = agent_names(user_ids)
        self.teams = {t.pk: t.name for t in all_teams()} if events else {}

    def agent(self, user_id: Any) -> str:
        if not user_id:
            return _("nobody")
        return self.agents.get(user_id) or _("a former agent")

    def team(self, team_id: Any) -> str:
        if not team_id:
            return _("no team")
        return self.teams.get(team_id) or _("a deleted team")


def _sentence(event: Event, names: _Names) -> str:
    data = event.data or {}
    actor = names.agent(event.actor_id) if event.actor_id else _("The system")
    kind = event.kind
    if kind == Event.Kind.CREATED:
        return _("Conversation started on %(channel)s, for %(team)s") % {
            "channel": channel_label(data.get("channel")), "team": names.team(data.get("team_id"))}
    if kind == Event.Kind.REOPENED:
        if event.actor_id:
            return _("%(actor)s reopened the conversation") % {"actor": actor}
        return _("The customer wrote again: the conversation was reopened")
    if kind == Event.Kind.ASSIGNED:
        assignee = data.get("assignee_id")
        if data.get("reason") == "auto":
            return _("Assigned automatically to %(agent)s") % {"agent": names.agent(assignee)}
        if data.get("reason") == "replied":
            return _("%(agent)s took the conversation by replying") % {"agent": names.agent(assignee)}
        if assignee == event.actor_id:
            return _("%(actor)s took the conversation") % {"actor": actor}
        return _("%(actor)s assigned the conversation to %(agent)s") % {
            "actor": actor, "agent": names.agent(assignee)}
    if kind == Event.Kind.UNASSIGNED:
        return _("%(actor)s removed %(agent)s from the conversation") % {
            "actor": actor, "agent": names.agent(data.get("previous_id"))}
    if kind == Event.Kind.TRANSFERRED:
        to_team, to_agent = data.get("to_team_id"), data.get("to_agent_id")
        if to_agent and to_team != data.get("from_team_id"):
            target = _("%(team)s (%(agent)s)") % {"team": names.team(to_team), "agent": names.agent(to_agent)}
        elif to_agent:
            target = names.agent(to_agent)
        else:
            target = names.team(to_team)
        return _("%(actor)s transferred to %(target)s: %(reason)s") % {
            "actor": actor, "target": target, "reason": data.get("reason", "")}
    if kind == Event.Kind.STATUS_CHANGED:
        new = data.get("new")
        if new == Conversation.Status.SNOOZED and data.get("snoozed_until"):
            until = parse_datetime(str(data["snoozed_until"]))
            return _("%(actor)s snoozed the conversation until %(time)s") % {
                "actor": actor, "time": rc_full(until) if until else data["snoozed_until"]}
        if data.get("reason") == "customer_replied":
            return _("The customer replied: the conversation is %(status)s again") % {"status": _status_label(new)}
        return _("%(actor)s changed the status from %(old)s to %(new)s") % {
            "actor": actor, "old": _status_label(data.get("old")), "new": _status_label(new)}
    if kind == Event.Kind.PRIORITY_CHANGED:
        return _("%(actor)s changed the priority from %(old)s to %(new)s") % {
            "actor": actor, "old": _priority_label(data.get("old")), "new": _priority_label(data.get("new"))}
    if kind == Event.Kind.TAGGED:
        return _("%(actor)s added the tag “%(tag)s”") % {"actor": actor, "tag": data.get("tag", "")}
    if kind == Event.Kind.UNTAGGED:
        return _("%(actor)s removed the tag “%(tag)s”") % {"actor": actor, "tag": data.get("tag", "")}
    if kind == Event.Kind.FIRST_REPLY:
        return _("%(actor)s sent the first reply") % {"actor": actor}
    if kind == Event.Kind.SEND_FAILED:
        return _("A message could not be sent: %(error)s") % {"error": data.get("error") or _("unknown error")}
    if kind == Event.Kind.CONTACT_FOLLOWED:
        if data.get("status") == "unblocked":
            return _("The customer unblocked the account: messages reach them again")
        return _("The customer followed the account")
    if kind == Event.Kind.CONTACT_UNFOLLOWED:
        return _("The customer blocked the account: replies will not reach them")
    if kind == Event.Kind.MESSAGE_WITHDRAWN:
        return _("The customer withdrew a message")
    if kind == Event.Kind.THREAD_CHANGED:
        count = len(data.get("member_ids") or [])
        change = data.get("change")
        if change == "joined":
            return _("The account was added to the group")
        if change == "left":
            return _("The account left the group")
        if change == "member_left":
            return ngettext("%(count)d member left the group", "%(count)d members left the group", count) % {
                "count": count}
        return ngettext("%(count)d member joined the group", "%(count)d members joined the group", count) % {
            "count": count}
    if kind == Event.Kind.TRIAGED:
        from ruamchat.triage.engine import CATEGORY_LABELS, TEAM_LABELS, Reason, _explain

        reasons = [_explain(Reason(**{k: str(r.get(k, "")) for k in ("field", "value", "keyword", "rule")}))
                   for r in data.get("reasons", []) if isinstance(r, dict)]
        summary = _("Triage suggests %(team)s, %(category)s, %(priority)s") % {
            "team": TEAM_LABELS.get(str(data.get("team_kind")), data.get("team_kind", "")),
            "category": CATEGORY_LABELS.get(str(data.get("category")), data.get("category", "")),
            "priority": _priority_label(data.get("priority"))}
        return summary + (": " + "; ".join(reasons) if reasons else "")
    if kind == Event.Kind.RULE_APPLIED:
        done = ", ".join(str(a.get("label") or a.get("value")) for a in data.get("actions", []) if isinstance(a, dict))
        return _("Routing rule “%(rule)s” applied: %(actions)s") % {"rule": data.get("rule", ""), "actions": done}
    if kind in (Event.Kind.SLA_WARNING, Event.Kind.SLA_BREACHED):
        clocks = {"first_response": _("first response"), "next_response": _("next response"),
                  "resolution": _("resolution")}
        due = parse_datetime(str(data.get("due_at") or ""))
        values = {"clock": clocks.get(str(data.get("clock")), data.get("clock", "")),
                  "time": rc_full(due) if due else "-"}
        if kind == Event.Kind.SLA_WARNING:
            return _("SLA at risk: %(clock)s due %(time)s") % values
        return _("SLA breached: %(clock)s was due %(time)s") % values
    if kind == Event.Kind.ESCALATED:
        parts = []
        if "priority" in data:
            parts.append(_("priority raised to %(priority)s") % {"priority": _priority_label(data["priority"]["new"])})
        if "team" in data:
            parts.append(_("moved to %(team)s") % {"team": names.team(data["team"]["new"])})
        if "assignee" in data:
            parts.append(_("given back to the team's queue"))
        return _("Escalated after the SLA breach: %(changes)s") % {"changes": ", ".join(str(p) for p in parts)}
    if kind in (Event.Kind.BOT_ANSWERED, Event.Kind.BOT_HANDOFF, Event.Kind.BOT_RESOLVED, Event.Kind.BOT_PAUSED,
                Event.Kind.BOT_RESUMED):
        return _bot_sentence(event, actor)
    if kind in (Event.Kind.SURVEY_SENT, Event.Kind.SURVEY_SKIPPED, Event.Kind.SURVEY_ANSWERED,
                Event.Kind.FOLLOW_UP_OPENED, Event.Kind.FOLLOW_UP_CLOSED):
        return _survey_sentence(event, actor)
    if kind == Event.Kind.CONTACT_MERGED:
        return _("%(actor)s merged customer #%(source)s into customer #%(target)s") % {
            "actor": actor, "source": data.get("source_id", ""), "target": data.get("target_id", "")}
    if kind == Event.Kind.CONTACT_UNMERGED:
        return _("%(actor)s undid the merge of customer #%(source)s into customer #%(target)s") % {
            "actor": actor, "source": data.get("source_id", ""), "target": data.get("target_id", "")}
    return str(event.get_kind_display())


def _survey_sentence(event: Event, actor: str) -> str:
    from ruamchat.surveys.models import FollowUp, Invitation

    data = event.data or {}
    survey = str(data.get("survey", "")).upper()
    if event.kind == Event.Kind.SURVEY_SENT:
        return _("%(survey)s survey sent to the customer") % {"survey": survey}
    if event.kind == Event.Kind.SURVEY_SKIPPED:
        reason = dict(Invitation.Skip.choices).get(str(data.get("reason")), data.get("reason", ""))
        return _("%(survey)s survey not sent: %(reason)s") % {"survey": survey, "reason": reason}
    if event.kind == Event.Kind.SURVEY_ANSWERED:
        return _("The customer answered the %(survey)s survey: %(score)s") % {"survey": survey,
                                                                            "score": data.get("score", "")}
    if event.kind == Event.Kind.FOLLOW_UP_OPENED:
        if data.get("follow_up_conversation_id"):
            return _("An unhappy answer (%(survey)s %(score)s) opened follow-up #%(number)s") % {
                "survey": survey, "score": data.get("score", ""), "number": data["follow_up_conversation_id"]}
        return _("Follow-up of an unhappy answer: contact the customer")
    outcome = dict(FollowUp.Outcome.choices).get(str(data.get("outcome")), data.get("outcome", ""))
    return _("%(actor)s closed the follow-up: %(outcome)s") % {"actor": actor, "outcome": outcome}


def _bot_sentence(event: Event, actor: str) -> str:
    from ruamchat.bot.models import BotConversation

    data = event.data or {}
    titles = ", ".join(f"“{a.get('title', '')}”" for a in data.get("articles", []) if isinstance(a, dict))
    if event.kind == Event.Kind.BOT_ANSWERED:
        if data.get("answer") == "choices":
            return _("The bot offered a choice of articles: %(titles)s") % {"titles": titles}
        if data.get("answer") == "acknowledgement":
            if titles:
                return _("The bot acknowledged the email and suggested %(titles)s") % {"titles": titles}
            return _("The bot acknowledged the email")
        return _("The bot answered with %(titles)s") % {"titles": titles}
    if event.kind == Event.Kind.BOT_HANDOFF:
        if data.get("reason") == "agent" and data.get("action") == "replied_outside":
            return _("Someone answered in the channel's own app: the bot stopped")
        if data.get("reason") == "agent":
            return _("%(actor)s stepped in: the bot stopped") % {"actor": actor}
        reason = dict(BotConversation.Reason.choices).get(str(data.get("reason")), data.get("reason", ""))
        if titles:
            return _("The bot handed the conversation to the team (%(reason)s) after offering %(titles)s") % {
                "reason": reason, "titles": titles}
        return _("The bot handed the conversation to the team (%(reason)s)") % {"reason": reason}
    if event.kind == Event.Kind.BOT_RESOLVED:
        outcome = dict(BotConversation.Outcome.choices).get(str(data.get("outcome")), data.get("outcome", ""))
        return _("Resolved by the bot: %(outcome)s") % {"outcome": outcome}
    if event.kind == Event.Kind.BOT_PAUSED:
        return _("%(actor)s paused the bot") % {"actor": actor}
    return _("%(actor)s gave the conversation back to the bot") % {"actor": actor}


def describe(events: Iterable[Event]) -> list[TimelineEntry]:
    """Sentences for ``events``; plain text (the template escapes it), newest last."""
    rows = list(events)
    names = _Names(rows)
    return [TimelineEntry(e.pk, e.kind, e.created_at, _sentence(e, names)) for e in rows]
