"""The customer journey: one timeline of every touchpoint a contact had with the business, across all the
conversations (and so all the channels) the reader may see.

Read from the conversations' append-only events (the same sentences as a conversation's own timeline, from
``web.timeline``), the articles the bot offered, and the survey answers, in a fixed number of queries however
many conversations the contact had. Messages are counted per conversation, never listed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.text import Truncator

from ruamchat.accounts.selectors import all_teams, profile_for
from ruamchat.bot.models import BotAnswer
from ruamchat.contacts.models import Contact, Identity
from ruamchat.inbox.models import Conversation, Event, Message
from ruamchat.inbox.selectors import AnyUser, visible_conversations
from ruamchat.surveys.models import Response, Survey
from ruamchat.web.timeline import channel_label, describe

K = Event.Kind
Status = Conversation.Status

#: the events that are touchpoints, and the group each is shown in (its marker on the page)
GROUPS: dict[str, str] = {
    K.CREATED: "start", K.TRANSFERRED: "transfer", K.ASSIGNED: "assign",
    K.BOT_ANSWERED: "bot", K.BOT_HANDOFF: "bot", K.BOT_RESOLVED: "resolve",
    K.STATUS_CHANGED: "resolve", K.REOPENED: "reopen",
    K.SURVEY_SENT: "survey", K.SURVEY_SKIPPED: "survey", K.SURVEY_ANSWERED: "survey",
    K.FOLLOW_UP_OPENED: "follow_up", K.FOLLOW_UP_CLOSED: "follow_up", K.SLA_BREACHED: "sla", K.ESCALATED: "sla",
    K.CONTACT_MERGED: "merge", K.CONTACT_UNMERGED: "merge",
}
#: a status change is a touchpoint only when it ends the conversation (resolved / closed)
ENDING_STATUSES = (Status.RESOLVED, Status.CLOSED)
PAGE_SIZE = 200
TOPIC_CHARS = 80
ANSWER_KINDS = (Survey.Kind.CSAT, Survey.Kind.NPS, Survey.Kind.CES)


@dataclass(frozen=True)
class ConversationBrief:
    id: int
    channel_kind: str
    channel_name: str
    channel_label: str
    status: str
    status_label: str
    team_name: str
    #: the subject, else the customer's first words
    topic: str
    created_at: datetime
    last_at: datetime
    customer_messages: int = 0
    agent_messages: int = 0
    bot_messages: int = 0


@dataclass(frozen=True)
class OfferedArticle:
    title: str
    url: str = ""
    #: the customer's answer to "did this help?" (None: they did not say)
    helped: bool | None = None


@dataclass(frozen=True)
class Touchpoint:
    id: int  # the event's
    kind: str
    group: str
    at: datetime
    sentence: str
    conversation: ConversationBrief
    #: "Service → Support" for a transfer between teams
    teams: tuple[str, str] | None = None
    #: a survey answer's score and comment
    score: int | None = None
    comment: str = ""
    articles: tuple[OfferedArticle, ...] = ()
    #: the other conversation of a follow-up (the follow-up itself, or what it was about), when visible
    related_id: int | None = None


@dataclass(frozen=True)
class SurveyAnswer:
    kind: str
    score: int
    comment: str
    answered_at: datetime
    conversation_id: int | None

    @property
    def label(self) -> str:
        return self.kind.upper()


@dataclass(frozen=True)
class ChannelUse:
    kind: str
    name: str
    label: str
    conversations: int


@dataclass(frozen=True)
class Summary:
    conversations: int
    channels: tuple[ChannelUse, ...]
    first_contact: datetime | None
    last_contact: datetime | None
    #: the newest answer of each survey kind (CSAT, NPS, CES) the contact gave
    answers: tuple[SurveyAnswer, ...]


@dataclass(frozen=True)
class Day:
    date: date
    touchpoints: list[Touchpoint]


@dataclass
class Journey:
    contact: Contact
    identities: list[Identity]
    summary: Summary
    #: the visible conversations, newest first
    conversations: list[ConversationBrief]
    #: newest first, at most one page
    touchpoints: list[Touchpoint]
    #: the ``before`` value of the next (older) page; None on the last page
    older: int | None = None
    before: int | None = None
    days: list[Day] = field(init=False)

    def __post_init__(self) -> None:
        self.days = by_day(self.touchpoints)


def by_day(touchpoints: list[Touchpoint]) -> list[Day]:
    """Touchpoints grouped by their day in the organisation's time zone, in the order given."""
    days: list[Day] = []
    for point in touchpoints:
        day = timezone.localtime(point.at).date()
        if not days or days[-1].date != day:
            days.append(Day(day, []))
        days[-1].touchpoints.append(point)
    return days


def journey(user: AnyUser, contact_id: int, *, before: int | None = None,
            limit: int | None = None) -> Journey | None:
    """The journey of contact ``contact_id`` as ``user`` may see it: only the conversations they may see
    (supervisors and administrators see all). None when they may see none of the contact's conversations.

    ``before``: an event id; the page holds the ``limit`` (default PAGE_SIZE) touchpoints older than it."""
    visible = visible_conversations(user).filter(contact_id=contact_id)
    first_words = (Message.objects.filter(conversation=OuterRef("pk"), sender_type=Message.Sender.CONTACT)
                   .order_by("id").annotate(head=Substr("text", 1, 200)).values("head")[:1])
    rows = list(
        visible.select_related("channel", "team")
        .only("id", "status", "subject", "created_at", "last_message_at", "contact_id", "channel__kind",
              "channel__name", "team__name")
        .annotate(first_words=Subquery(first_words))
        .order_by("-created_at", "-id")
    )
    if not rows:
        return None
    contact = Contact.objects.get(pk=contact_id)
    identities = list(Identity.objects.filter(contact_id=contact_id).select_related("channel").order_by("id"))
    ids = [c.pk for c in rows]
    counts = _message_counts(ids)
    briefs = {c.pk: _brief(c, counts.get(c.pk, {})) for c in rows}
    responses = _responses(user, contact_id, ids)
    touchpoints, older = _touchpoints(ids, briefs, responses, before=before, limit=max(1, limit or PAGE_SIZE))
    return Journey(
        contact=contact, identities=identities, summary=_summary(list(briefs.values()), responses),
        conversations=list(briefs.values()), touchpoints=touchpoints, older=older, before=before,
    )


def _message_counts(conversation_ids: list[int]) -> dict[int, dict[str, int]]:
    """Messages per conversation and sender, in one grouped query (private notes are not messages to the
    customer and are not counted)."""
    Sender = Message.Sender
    rows = (
        Message.objects.filter(conversation_id__in=conversation_ids).order_by().values("conversation_id")
        .annotate(customer=Count("id", filter=Q(sender_type=Sender.CONTACT)),
                  agent=Count("id", filter=Q(sender_type=Sender.AGENT, is_private=False)),
                  bot=Count("id", filter=Q(sender_type=Sender.BOT)))
    )
    return {row["conversation_id"]: row for row in rows}


def _brief(c: Any, counts: dict[str, int]) -> ConversationBrief:
    topic = c.subject or " ".join((c.first_words or "").split())
    return ConversationBrief(
        id=c.pk, channel_kind=c.channel.kind, channel_name=c.channel.name, channel_label=channel_label(c.channel.kind),
        status=c.status, status_label=str(c.get_status_display()), team_name=c.team.name if c.team else "",
        topic=Truncator(topic).chars(TOPIC_CHARS), created_at=c.created_at,
        last_at=max(c.created_at, c.last_message_at or c.created_at),
        customer_messages=counts.get("customer", 0), agent_messages=counts.get("agent", 0),
        bot_messages=counts.get("bot", 0),
    )


def _responses(user: AnyUser, contact_id: int, conversation_ids: list[int]) -> list[Response]:
    """The contact's survey answers about the visible conversations, newest first; for supervisors and
    administrators (who see the survey results) also the answers to campaigns, about no conversation."""
    about = Q(conversation_id__in=conversation_ids)
    if profile_for(user).sees_everything:
        about |= Q(conversation__isnull=True)
    return list(
        Response.objects.filter(about, contact_id=contact_id)
        .only("invitation_id", "kind", "score", "comment", "answered_at", "conversation_id")
        .order_by("-answered_at", "-id")
    )


def _summary(briefs: list[ConversationBrief], responses: list[Response]) -> Summary:
    channels: dict[tuple[str, str], int] = defaultdict(int)
    for brief in sorted(briefs, key=lambda b: (b.created_at, b.id)):
        channels[(brief.channel_kind, brief.channel_name)] += 1
    newest: dict[str, Response] = {}
    for response in responses:
        newest.setdefault(response.kind, response)
    return Summary(
        conversations=len(briefs),
        channels=tuple(ChannelUse(kind, name, channel_label(kind), n) for (kind, name), n in channels.items()),
        first_contact=min((b.created_at for b in briefs), default=None),
        last_contact=max((b.last_at for b in briefs), default=None),
        answers=tuple(SurveyAnswer(r.kind, r.score, r.comment, r.answered_at, r.conversation_id)
                      for kind in ANSWER_KINDS if (r := newest.get(kind)) is not None),
    )


def _touchpoints(
    conversation_ids: list[int], briefs: dict[int, ConversationBrief], responses: list[Response], *,
    before: int | None, limit: int,
) -> tuple[list[Touchpoint], int | None]:
    kinds = [kind for kind in GROUPS if kind != K.STATUS_CHANGED]
    qs = Event.objects.filter(conversation_id__in=conversation_ids).filter(
        Q(kind__in=kinds) | Q(kind=K.STATUS_CHANGED, data__new__in=list(ENDING_STATUSES)))
    if before is not None:
        qs = qs.filter(id__lt=before)
    events = list(qs.only("id", "conversation_id", "kind", "actor_id", "data", "created_at")
                  .order_by("-id")[:limit + 1])
    older = events[limit - 1].pk if len(events) > limit else None
    events = events[:limit]
    if not events:
        return [], None
    kinds_seen = {e.kind for e in events}
    team_names = {t.pk: t.name for t in all_teams()} if K.TRANSFERRED in kinds_seen else {}
    offered = _offered(conversation_ids) if K.BOT_ANSWERED in kinds_seen else {}
    by_invitation = {r.invitation_id: r for r in responses}
    points = []
    for event, entry in zip(events, describe(events), strict=True):
        data = event.data or {}
        point = Touchpoint(id=event.pk, kind=event.kind, group=GROUPS[event.kind], at=event.created_at,
                           sentence=entry.sentence, conversation=briefs[event.conversation_id])
        if event.kind == K.TRANSFERRED and data.get("from_team_id") != data.get("to_team_id"):
            point = replace(point, teams=(_team(team_names, data.get("from_team_id")),
                                          _team(team_names, data.get("to_team_id"))))
        elif event.kind in (K.BOT_ANSWERED, K.BOT_HANDOFF):
            point = replace(point, articles=tuple(_article(a, event, offered) for a in data.get("articles") or []
                                                  if isinstance(a, dict)))
        elif event.kind == K.SURVEY_ANSWERED:
            response = by_invitation.get(int(data.get("invitation_id") or 0))
            point = replace(point, score=response.score if response else data.get("score"),
                            comment=response.comment if response else "")
        elif event.kind == K.FOLLOW_UP_OPENED:
            other = data.get("follow_up_conversation_id") or data.get("about")
            point = replace(point, related_id=other if other in briefs else None)
        points.append(point)
    return points, older


def _team(names: dict[int, str], team_id: Any) -> str:
    if not team_id:
        return "—"
    return names.get(team_id, "—")


def _offered(conversation_ids: list[int]) -> dict[tuple[int, Any], list[BotAnswer]]:
    """The articles the bot offered in these conversations, by (conversation, article), oldest first."""
    found: dict[tuple[int, Any], list[BotAnswer]] = defaultdict(list)
    for answer in (BotAnswer.objects.filter(conversation_id__in=conversation_ids)
                   .only("conversation_id", "article_id", "title", "url", "helped", "created_at").order_by("id")):
        found[(answer.conversation_id, answer.article_id or answer.title)].append(answer)
    return found


def _article(data: dict[str, Any], event: Event, offered: dict[tuple[int, Any], list[BotAnswer]]) -> OfferedArticle:
    """An article named in an event, with its address and whether it helped: from the event (a hand-off keeps
    them), else from the bot's record of that offer (the last one made by the time of the event)."""
    title = str(data.get("title") or "")
    if "url" in data:
        return OfferedArticle(title, str(data.get("url") or ""), data.get("helped"))
    made = [a for a in offered.get((event.conversation_id, data.get("article_id") or title), [])
            if a.created_at <= event.created_at]
    if not made:
        return OfferedArticle(title)
    return OfferedArticle(title, made[-1].url, made[-1].helped)
