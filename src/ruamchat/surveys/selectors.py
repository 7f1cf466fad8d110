"""Reads for surveys: the survey a conversation is asked, whether a customer's chat message answers one,
who a campaign reaches, and the numbers."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from ruamchat.accounts.models import Team
from ruamchat.connectors.base import InboundMessage
from ruamchat.connectors.models import Channel
from ruamchat.contacts.models import Contact, Identity
from ruamchat.inbox.models import Conversation, Message
from ruamchat.surveys import scores
from ruamchat.surveys.models import Campaign, FollowUp, Invitation, Response, Survey, Topic

Kind = Survey.Kind
#: postback data of the survey buttons: survey:<invitation id>:<score | skip>
POSTBACK = re.compile(r"^survey:(\d{1,12}):(\d{1,2}|skip)$")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_TYPED_SCORE = re.compile(r"^\s*(\d{1,2})\s*(?:/\s*\d{1,2})?\s*(?:ดาว|คะแนน|stars?|points?)?\s*[.!]*\s*$",
                          re.IGNORECASE)
GROUPS = ("team", "agent", "channel", "category", "day", "week", "month")


def csat_survey() -> Survey | None:
    return Survey.objects.filter(kind=Kind.CSAT).first()


def follow_up_team(survey: Survey) -> Team | None:
    """Where an unhappy answer to ``survey`` goes: its follow-up team, else the first Service team."""
    if survey.follow_up_team_id is not None:
        return Team.objects.filter(pk=survey.follow_up_team_id).first()
    return Team.objects.filter(kind=Team.Kind.SERVICE).order_by("pk").first()


def link(invitation: Invitation, *, score: int | None = None, step: str = "") -> str:
    """The invitation's personal page (``step``: "" the score, "why", "thanks", "opt-out")."""
    from django.conf import settings
    from django.urls import reverse

    name = {"": "surveys:answer", "why": "surveys:why", "thanks": "surveys:thanks", "opt-out": "surveys:opt_out"}
    url = settings.RUAMCHAT_PUBLIC_URL + reverse(name[step], args=[invitation.token])
    return f"{url}?score={score}" if score is not None else url


def by_token(token: str) -> Invitation | None:
    if not token or len(token) > 64:
        return None
    return (Invitation.objects.select_related("survey", "contact").filter(token=token)
            .exclude(status=Invitation.Status.SCHEDULED).first())


def response_of(invitation: Invitation) -> Response | None:
    return Response.objects.filter(invitation=invitation).first()


# ---------------------------------------------------------------- answers typed or pressed in a chat


@dataclass(frozen=True)
class ChatAnswer:
    invitation_id: int
    conversation_id: int
    #: "1" … "5", "skip", or "comment"
    value: str


def typed_score(text: str, low: int, high: int) -> int | None:
    """A score the customer typed instead of pressing a button ("5", "๕", "4 ดาว", "5/5", "⭐⭐⭐")."""
    stripped = unicodedata.normalize("NFKC", text or "").translate(_THAI_DIGITS).strip()
    if stripped and set(stripped) <= {"⭐", "★", " "}:
        stars = stripped.count("⭐") + stripped.count("★")
        return stars if low <= stars <= high else None
    match = _TYPED_SCORE.match(stripped)
    if match is None:
        return None
    value = int(match.group(1))
    return value if low <= value <= high else None


def chat_answer(identity: Identity, conversation: Conversation | None, inbound: InboundMessage) -> ChatAnswer | None:
    """Whether the customer's message answers a survey we asked in the chat: a press of one of its buttons (any
    of this customer's invitations), or — while we wait for it in their current conversation — a typed score
    or the optional comment. Read while the message is being stored, so an answer never reopens the
    conversation or puts the customer in the queue."""
    postback = inbound.metadata.get("postback") if isinstance(inbound.metadata, dict) else None
    data = str(postback.get("data") or "") if isinstance(postback, dict) else ""
    match = POSTBACK.match(data)
    if match is not None:
        found = (Invitation.objects.filter(pk=int(match.group(1)), identity=identity, conversation__isnull=False,
                                           status=Invitation.Status.SENT)
                 .values_list("pk", "conversation_id", "kind").first())
        if found is None:
            return None
        low, high = Survey.SCALES[Kind(found[2])]
        value = match.group(2)
        if value != "skip" and not low <= int(value) <= high:
            return None
        return ChatAnswer(found[0], found[1], value)
    if inbound.attachments:
        return None
    waiting = (Invitation.objects.filter(identity=identity, status=Invitation.Status.SENT, conversation__isnull=False,
                                         awaiting__in=("score", "comment"), awaiting_until__gt=timezone.now())
               .order_by("-id").values_list("pk", "awaiting", "kind", "conversation_id").first())
    if waiting is None:
        return None
    invitation_id, awaiting, kind, about_id = waiting
    # typed words answer the survey only where they can be meant for it: in the conversation it is about, in the
    # follow-up it opened, or when the customer has no other case going (never inside a new, active case)
    elsewhere = conversation is not None and conversation.pk != about_id and conversation.is_active
    if elsewhere and not FollowUp.objects.filter(conversation=conversation,
                                                 response__invitation_id=invitation_id).exists():
        return None
    if awaiting == "score":
        low, high = Survey.SCALES[Kind(kind)]
        score = typed_score(inbound.text, low, high)
        return ChatAnswer(invitation_id, about_id, str(score)) if score is not None else None
    if any(ch.isalnum() for ch in inbound.text or ""):
        return ChatAnswer(invitation_id, about_id, "comment")
    return None


# ---------------------------------------------------------------- who is asked


def last_agent(conversation: Conversation) -> int | None:
    """The agent an answer about this conversation is credited to: its assignee, else the last person who
    replied."""
    if conversation.assignee_id is not None:
        return int(conversation.assignee_id)
    return (Message.objects.filter(conversation=conversation, sender_type=Message.Sender.AGENT, is_private=False,
                                   sender_user__isnull=False)
            .order_by("-id").values_list("sender_user_id", flat=True).first())


def surveyed_recently(invitation: Invitation, now: datetime) -> bool:
    """The contact was sent a survey of the same kind within the survey's quiet period."""
    days = invitation.survey.quiet_days
    if not days:
        return False
    return (Invitation.objects.filter(contact_id=invitation.contact_id, kind=invitation.kind,
                                      status=Invitation.Status.SENT, sent_at__gte=now - timedelta(days=days))
            .exclude(pk=invitation.pk).exists())


def _local_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def segment(campaign: Campaign) -> QuerySet[Contact]:
    """The contacts a campaign is for: every condition that is set holds."""
    contacts = Contact.objects.all()
    channel_ids = list(campaign.segment_channels.values_list("pk", flat=True))
    if channel_ids:
        contacts = contacts.filter(identities__channel_id__in=channel_ids)
    tag_ids = list(campaign.segment_tags.values_list("pk", flat=True))
    if tag_ids:
        contacts = contacts.filter(conversations__tags__in=tag_ids)
    if campaign.last_contact_after:
        contacts = contacts.filter(last_seen_at__gte=_local_start(campaign.last_contact_after))
    if campaign.last_contact_before:
        contacts = contacts.filter(last_seen_at__lt=_local_start(campaign.last_contact_before + timedelta(days=1)))
    if campaign.had_support_case:
        contacts = contacts.filter(conversations__team__kind=Team.Kind.SUPPORT)
    if campaign.attribute_name:
        contacts = contacts.filter(**{f"attributes__{campaign.attribute_name}": campaign.attribute_value})
    return contacts.distinct().order_by("pk")


def campaign_counts(campaign_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per campaign: invitations by status and skip reason, and answers."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (Invitation.objects.filter(campaign_id__in=campaign_ids)
            .values("campaign_id", "status", "skip_reason")
            .annotate(n=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False))).order_by())
    for row in rows:
        bucket = counts[row["campaign_id"]]
        bucket["total"] += row["n"]
        bucket[row["status"]] += row["n"]
        if row["skip_reason"]:
            bucket[f"skipped_{row['skip_reason']}"] += row["n"]
        bucket["answered"] += row["answered"]
    return {key: dict(value) for key, value in counts.items()}


# ---------------------------------------------------------------- the numbers


@dataclass
class Figures:
    """The survey numbers of one group (a team, an agent, a day …) or of everything."""

    key: Any = None
    label: str = ""
    csat: scores.Csat = field(default_factory=lambda: scores.csat([]))
    nps: scores.Nps = field(default_factory=lambda: scores.nps([]))
    ces: scores.Ces = field(default_factory=lambda: scores.ces([]))
    delivered: int = 0
    answered: int = 0

    @property
    def response_rate(self) -> float | None:
        return scores.response_rate(self.answered, self.delivered)


def group_labels(group: str, keys: list[Any]) -> dict[Any, str]:
    """The names a group's keys are shown by: teams, agents, channels, categories; dates as they are."""
    from django.contrib.auth.models import User

    from ruamchat.triage.engine import CATEGORY_LABELS

    if group == "team":
        return {t.pk: t.name for t in Team.objects.filter(pk__in=[k for k in keys if k])}
    if group == "agent":
        return {u.pk: str(getattr(u, "agent", None) or u.get_username())
                for u in User.objects.filter(pk__in=[k for k in keys if k]).select_related("agent")}
    if group == "channel":
        return {c.pk: c.name for c in Channel.objects.filter(pk__in=[k for k in keys if k])}
    if group == "category":
        return {k: str(CATEGORY_LABELS.get(str(k), k)) for k in keys if k}
    return {k: str(k) for k in keys if k}


def total_of(rows: list[Figures]) -> Figures:
    """The figures of everything from those of its groups (every answer and invitation is in exactly one group,
    "none" included): the page shows both without a second pass over the data."""
    total = Figures()
    for row in rows:
        total.csat, total.nps, total.ces = total.csat + row.csat, total.nps + row.nps, total.ces + row.ces
        total.delivered += row.delivered
        total.answered += row.answered
    return total


@dataclass(frozen=True)
class Filters:
    since: datetime
    until: datetime
    team_id: int | None = None
    agent_id: int | None = None
    channel_id: int | None = None
    category: str = ""


def filtered(queryset: QuerySet[Any], filters: Filters, time_field: str) -> QuerySet[Any]:
    queryset = queryset.filter(**{f"{time_field}__gte": filters.since, f"{time_field}__lt": filters.until})
    if filters.team_id is not None:
        queryset = queryset.filter(team_id=filters.team_id)
    if filters.agent_id is not None:
        queryset = queryset.filter(agent_id=filters.agent_id)
    if filters.channel_id is not None:
        queryset = queryset.filter(channel_id=filters.channel_id)
    if filters.category:
        queryset = queryset.filter(category=filters.category)
    return queryset


def _group_expression(group: str, time_field: str) -> Any:
    tz = timezone.get_current_timezone()
    return {
        "team": F("team_id"), "agent": F("agent_id"), "channel": F("channel_id"), "category": F("category"),
        "day": TruncDay(time_field, tzinfo=tz), "week": TruncWeek(time_field, tzinfo=tz),
        "month": TruncMonth(time_field, tzinfo=tz),
    }[group]


def _group_key(value: Any) -> Any:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def figures(filters: Filters, group: str = "") -> list[Figures]:
    """CSAT, NPS (with its margin of error), CES and the response rate, for everything (``group`` empty: one
    row) or by team, agent, channel, category, day, week or month. Scores count answers given in the period;
    the response rate is the answers to the invitations delivered in the period ÷ those invitations
    (invitations whose message failed are not delivered)."""
    if group and group not in GROUPS:
        raise ValueError(f"unknown group {group!r}")
    rows: dict[Any, Figures] = {}

    def row(key: Any) -> Figures:
        return rows.setdefault(key, Figures(key=key))

    answers = filtered(Response.objects.all(), filters, "answered_at")
    score_rows: dict[tuple[Any, str], dict[int, int]] = defaultdict(dict)
    values = ("g", "kind", "score") if group else ("kind", "score")
    if group:
        answers = answers.annotate(g=_group_expression(group, "answered_at"))
    for item in answers.values(*values).annotate(n=Count("pk")).order_by():
        key = _group_key(item["g"]) if group else None
        score_rows[(key, item["kind"])][item["score"]] = item["n"]
    for (key, kind), histogram in score_rows.items():
        expanded = [score for score, n in histogram.items() for _i in range(n)]
        target = row(key)
        if kind == Kind.CSAT:
            target.csat = scores.csat(expanded)
        elif kind == Kind.NPS:
            target.nps = scores.nps(expanded)
        elif kind == Kind.CES:
            target.ces = scores.ces(expanded)
    # an invitation whose message failed is FAILED (actions.message_failed): only SENT ones were delivered
    delivered = filtered(Invitation.objects.filter(status=Invitation.Status.SENT), filters, "sent_at")
    answered = Count("pk", filter=Q(answered_at__isnull=False))
    if group:
        delivered = delivered.annotate(g=_group_expression(group, "sent_at"))
        counted = delivered.values("g").annotate(n=Count("pk"), answered=answered).order_by()
    else:
        counted = delivered.values("status").annotate(n=Count("pk"), answered=answered).order_by()
    for item in counted:
        target = row(_group_key(item["g"]) if group else None)
        target.delivered += item["n"]
        target.answered += item["answered"]
    if not group:
        return [rows.get(None) or Figures()]
    return sorted(rows.values(), key=lambda f: (f.key in (None, ""), 0 if f.key in (None, "") else f.key))


def period(days: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last ``days`` whole local days up to the end of today."""
    today = timezone.localdate(now or timezone.now())
    return _local_start(today - timedelta(days=days - 1)), _local_start(today + timedelta(days=1))


def comments(filters: Filters, *, kind: str = "", sentiment: str = "", topic: str = "",
             limit: int = 50) -> list[Response]:
    found = filtered(Response.objects.exclude(comment=""), filters, "answered_at")
    if kind:
        found = found.filter(kind=kind)
    if sentiment:
        found = found.filter(sentiment=sentiment)
    if topic:
        found = found.filter(topics__contains=[topic]) if _json_contains_supported() else \
            found.filter(topics__icontains=f'"{topic}"')
    return list(found.select_related("contact", "team", "agent__agent", "conversation")
                .order_by("-answered_at")[:limit])


def _json_contains_supported() -> bool:
    from django.db import connection

    return bool(connection.features.supports_json_field_contains)


def topics() -> list[Topic]:
    return list(Topic.objects.filter(active=True).order_by("key"))


def follow_ups(*, open_only: bool = False, limit: int = 50) -> list[FollowUp]:
    found = FollowUp.objects.select_related("response", "conversation", "about", "team", "response__contact")
    if open_only:
        found = found.filter(closed_at__isnull=True)
    return list(found.order_by("-created_at")[:limit])


@dataclass(frozen=True)
class FollowUpFigures:
    opened: int
    closed: int
    contacted: int
    #: median hours from opening to the first reply to the customer (of those contacted)
    median_hours_to_contact: float | None
    outcomes: dict[str, int]


def follow_up_figures(since: datetime, until: datetime) -> FollowUpFigures:
    found = FollowUp.objects.filter(created_at__gte=since, created_at__lt=until)
    waits = sorted((contacted - created).total_seconds() / 3600 for created, contacted in
                   found.filter(first_contact_at__isnull=False).values_list("created_at", "first_contact_at")
                   if contacted is not None)
    median = None
    if waits:
        middle = len(waits) // 2
        median = waits[middle] if len(waits) % 2 else (waits[middle - 1] + waits[middle]) / 2
    outcomes = dict(found.exclude(outcome="").values_list("outcome").annotate(n=Count("pk")).order_by())
    return FollowUpFigures(opened=found.count(), closed=found.filter(closed_at__isnull=False).count(),
                           contacted=len(waits), median_hours_to_contact=median, outcomes=outcomes)


def for_conversation(conversation: Conversation) -> dict[str, Any]:
    """The side panel: the surveys about this conversation and the follow-up it is (if it is one)."""
    invitations = list(Invitation.objects.filter(conversation=conversation).select_related("survey", "response")
                       .order_by("id"))
    follow_up = (FollowUp.objects.filter(conversation=conversation).select_related("response", "about")
                 .order_by("-id").first())
    return {"invitations": invitations, "follow_up": follow_up}


def open_follow_up_ids(conversation_ids: list[int]) -> set[int]:
    return set(FollowUp.objects.filter(conversation_id__in=conversation_ids, closed_at__isnull=True)
               .values_list("conversation_id", flat=True))


def unhappy_filter() -> Q:
    return Q(kind=Kind.NPS, score__lte=6) | Q(kind=Kind.CSAT, score__lte=2)
