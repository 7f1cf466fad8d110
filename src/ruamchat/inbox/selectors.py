"""Reads for the inbox: who may see what, the queues, a conversation's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from ruamchat.accounts.selectors import open_team_ids, profile_for, team_ids_of, visible_team_ids
from ruamchat.connectors.base import ReplyWindow
from ruamchat.contacts.models import Contact
from ruamchat.inbox.models import Attachment, CannedResponse, Conversation, Event, Message

AnyUser = User | AnonymousUser

ACTIVE_STATUSES = (Conversation.Status.OPEN, Conversation.Status.PENDING, Conversation.Status.SNOOZED)
# Breached SLAs first, then the nearest due time, then priority, then who has waited longest.
QUEUE_ORDER = (F("sla_state").asc(), F("sla_due_at").asc(nulls_last=True), F("priority").asc(),
               F("waiting_since").asc(nulls_last=True), F("id").asc())


def visibility_filter(user: AnyUser) -> Q | None:
    """None means everything is visible (administrators and supervisors)."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if profile_for(user).sees_everything:
        return None
    return Q(team_id__in=visible_team_ids(user)) | Q(assignee_id=user.pk)


def visible_conversations(user: AnyUser) -> QuerySet[Conversation]:
    qs = Conversation.objects.all()
    condition = visibility_filter(user)
    return qs if condition is None else qs.filter(condition)


def can_view(user: AnyUser, conversation: Conversation) -> bool:
    if not user.is_authenticated:
        return False
    if profile_for(user).sees_everything or conversation.assignee_id == user.pk:
        return True
    if conversation.team_id is None:
        return False
    return conversation.team_id in team_ids_of(user) or conversation.team_id in open_team_ids()


def can_be_assigned(user: AnyUser, conversation: Conversation) -> bool:
    """Whether ``user`` could work on ``conversation`` if it were given to them."""
    if not user.is_authenticated or not user.is_active:
        return False
    profile = profile_for(user)
    if profile.sees_everything:
        return True
    return conversation.team_id is not None and (
        conversation.team_id in team_ids_of(user) or conversation.team_id in open_team_ids()
    )


@dataclass(frozen=True)
class QueueFilter:
    queue: str = "mine"  # mine | unassigned | team:<id> | all
    status: str = "open"  # a Conversation.Status value, "active" or "any"
    priority: int | None = None
    channel_id: int | None = None
    tag: str = ""
    search: str = ""
    page: int = 1


def queue_conversations(
    user: AnyUser, flt: QueueFilter, visible: QuerySet[Conversation] | None = None
) -> QuerySet[Conversation]:
    """``visible`` lets a page that also counts the queues work out visibility once."""
    qs = visible_conversations(user) if visible is None else visible
    if flt.queue == "mine":
        qs = qs.filter(assignee_id=user.pk)
    elif flt.queue == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif flt.queue.startswith("team:"):
        try:
            qs = qs.filter(team_id=int(flt.queue.split(":", 1)[1]))
        except ValueError:
            qs = qs.none()
    elif flt.queue != "all":
        qs = qs.none()
    if flt.status == "active":
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    elif flt.status != "any":
        qs = qs.filter(status=flt.status)
    if flt.priority is not None:
        qs = qs.filter(priority=flt.priority)
    if flt.channel_id is not None:
        qs = qs.filter(channel_id=flt.channel_id)
    if flt.tag:
        qs = qs.filter(tags__name=flt.tag)
    if flt.search:
        term = flt.search.strip()
        if term.lstrip("#").isdigit():
            qs = qs.filter(pk=int(term.lstrip("#")))
        else:
            qs = qs.filter(
                Q(contact__name__icontains=term) | Q(contact__email__icontains=term) | Q(subject__icontains=term)
            )
    if flt.status == "any":
        # every conversation ever: urgency means nothing for most of them, so the newest first (the primary
        # key's order, which stays fast at millions of rows where the urgency order would sort them all)
        return qs.order_by("-id")
    return qs.order_by(*QUEUE_ORDER)


LIST_FIELDS = (
    "id", "status", "priority", "sla_state", "sla_due_at", "handover", "waiting_since", "last_message_at",
    "last_message_preview", "assignee_id",
    "team_id", "contact__id", "contact__name", "contact__email", "contact__phone", "channel__id", "channel__name",
    "channel__kind",
)


PAGE_SIZE = 25


def queue_rows(
    user: AnyUser, flt: QueueFilter, limit: int = PAGE_SIZE, visible: QuerySet[Conversation] | None = None
) -> list[Conversation]:
    """Page ``flt.page`` of the queue as the agent's list shows it, with only the columns a row needs
    (the page is read all day). Asks for one row more than ``limit`` so the caller knows a next page exists."""
    start = (max(flt.page, 1) - 1) * limit
    return list(
        queue_conversations(user, flt, visible)
        .select_related("contact", "channel")
        .only(*LIST_FIELDS)
        .prefetch_related("tags")[start:start + limit + 1]
    )


COUNT_CAP = 1000


def queue_counts(
    user: AnyUser, teams: list[Any], status: str = "open", visible: QuerySet[Conversation] | None = None
) -> dict[str, int]:
    """Conversations per queue, for the sidebar: one index-only query per queue, counting at most
    COUNT_CAP (shown as "999+"), so a busy sale day does not slow every page down."""
    base = (visible_conversations(user) if visible is None else visible).order_by()
    if status == "active":
        base = base.filter(status__in=ACTIVE_STATUSES)
    elif status != "any":
        base = base.filter(status=status)
    queues = {"mine": base.filter(assignee_id=user.pk), "unassigned": base.filter(assignee__isnull=True)}
    for team in teams:
        queues[f"team:{team.pk}"] = base.filter(team_id=team.pk)
    if profile_for(user).sees_everything:
        queues["all"] = base
    return _capped_counts(queues)


def _capped_counts(queues: dict[str, QuerySet[Conversation]]) -> dict[str, int]:
    """Every queue's capped count in one round trip: SELECT (SELECT COUNT(*) FROM (… LIMIT n)), …"""
    parts: list[str] = []
    params: list[Any] = []
    for qs in queues.values():
        sql, qs_params = qs.values("pk")[:COUNT_CAP].query.sql_with_params()
        # the SQL is Django's own compiled query; every value stays a bound parameter
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS q{len(parts)})")  # noqa: S608
        params.extend(qs_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {key: int(value) for key, value in zip(queues, row, strict=True)}


def get_conversation(user: AnyUser, conversation_id: int) -> Conversation | None:
    conversation = (
        Conversation.objects.select_related("contact", "channel", "team", "assignee", "identity")
        .prefetch_related("tags")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None or not can_view(user, conversation):
        return None
    return conversation


def messages_of(conversation: Conversation, after_id: int = 0) -> QuerySet[Message]:
    return (
        conversation.messages.filter(id__gt=after_id)
        .select_related("sender_user", "sender_user__agent")
        .prefetch_related("attachments")
        .order_by("id")
    )


def contact_history(user: AnyUser, conversation: Conversation, after_id: int = 0, limit: int = 500) -> list[Message]:
    """The contact's messages across every channel and conversation this user may see, oldest first.

    Conversations of teams the user cannot see stay out, private notes included."""
    qs = (
        Message.objects.filter(
            conversation__contact_id=conversation.contact_id, id__gt=after_id,
            conversation__in=visible_conversations(user).filter(contact_id=conversation.contact_id),
        )
        .select_related("sender_user", "sender_user__agent", "channel", "conversation")
        .prefetch_related("attachments")
        .order_by("-id")[:limit]
    )
    return list(reversed(list(qs)))


def timeline_of(conversation: Conversation, after_id: int = 0) -> QuerySet[Event]:
    return conversation.events.filter(id__gt=after_id).select_related("actor").order_by("id")


def earlier_conversations(conversation: Conversation, limit: int = 10) -> QuerySet[Conversation]:
    return (
        Conversation.objects.filter(contact_id=conversation.contact_id)
        .exclude(pk=conversation.pk)
        .select_related("channel")
        .order_by("-created_at")[:limit]
    )


def canned_responses_for(user: AnyUser, prefix: str = "") -> QuerySet[CannedResponse]:
    qs = CannedResponse.objects.all()
    if not profile_for(user).sees_everything:
        qs = qs.filter(Q(team__isnull=True) | Q(team_id__in=team_ids_of(user)))
    if prefix:
        qs = qs.filter(Q(shortcut__istartswith=prefix) | Q(title__icontains=prefix))
    return qs.order_by("shortcut")


# ---------------------------------------------------------------- for the REST API


def visible_contacts(user: AnyUser, search: str = "", *, include_merged: bool = False) -> QuerySet[Contact]:
    """Contacts of the conversations ``user`` can see (every contact for supervisors and admins). A contact merged
    into another is left out unless ``include_merged`` (its page sends the reader on to the one it became)."""
    qs = Contact.objects.all() if include_merged else Contact.objects.filter(merged_into__isnull=True)
    condition = visibility_filter(user)
    if condition is not None:
        qs = qs.filter(pk__in=Conversation.objects.filter(condition).values("contact_id"))
    term = search.strip()
    if term:
        qs = qs.filter(Q(name__icontains=term) | Q(email__icontains=term) | Q(phone__icontains=term))
    return qs.order_by("-id")


def get_visible_contact(user: AnyUser, contact_id: int) -> Contact | None:
    return visible_contacts(user).prefetch_related("identities__channel").filter(pk=contact_id).first()


def get_attachment(user: AnyUser, attachment_id: int) -> Attachment | None:
    attachment = Attachment.objects.select_related("message__conversation").filter(pk=attachment_id).first()
    if attachment is None or not can_view(user, attachment.message.conversation):
        return None
    return attachment


def get_canned_response(user: AnyUser, canned_id: int) -> CannedResponse | None:
    return canned_responses_for(user).filter(pk=canned_id).first()


def is_group_chat(conversation: Conversation) -> bool:
    """A group chat (LINE group or room): its messages name the member who wrote."""
    return Message.objects.filter(conversation=conversation, metadata__has_key="member").exists()


def reply_window(conversation: Conversation, *, human: bool = True) -> ReplyWindow:
    """Whether the conversation's channel lets a reply go out now (Meta's 24-hour and 7-day windows …)."""
    from ruamchat.connectors import registry

    return registry.get(conversation.channel.kind).reply_window(conversation.channel, conversation, human=human)


def team_periods(conversation: Conversation,
                 now: datetime | None = None) -> list[tuple[int | None, datetime, datetime]]:
    """Which team held the conversation when: (team id, from, until), from its creation and hand-overs, so
    metrics can attribute time to each team. The last period runs until resolution (or now)."""
    now = now or timezone.now()
    end = conversation.resolved_at if conversation.resolved_at and not conversation.is_active else now
    events = (Event.objects.filter(conversation=conversation, kind__in=TEAM_EVENTS)
              .order_by("id").values_list("kind", "data", "created_at"))
    return periods_from(conversation.created_at, list(events), end)


#: the events that move a conversation between teams: created, a transfer, a routing rule, an SLA escalation
TEAM_EVENTS = ("created", "transferred", "rule_applied", "escalated")


def _moved_to(kind: str, data: dict[str, Any]) -> tuple[bool, int | None]:
    if kind == "transferred":
        return True, data.get("to_team_id")
    if kind == "escalated" and isinstance(data.get("team"), dict):
        return True, data["team"].get("new")
    if kind == "rule_applied":
        teams = [a.get("value") for a in data.get("actions") or [] if a.get("type") == "set_team"]
        if teams:
            return True, teams[-1]
    return False, None


def periods_from(created_at: datetime, events: list[tuple[str, dict, datetime]],
                 end: datetime) -> list[tuple[int | None, datetime, datetime]]:
    """``team_periods`` from already-read (kind, data, at) events in order (reports read them in bulk)."""
    periods: list[tuple[int | None, datetime, datetime]] = []
    current: int | None = None
    since = created_at
    for kind, data, at in events:
        if kind == "created":
            current, since = data.get("team_id"), at
            continue
        moved, team = _moved_to(kind, data)
        if not moved or team == current:
            continue
        periods.append((current, since, at))
        current, since = team, at
    periods.append((current, since, max(end, since)))
    return periods
