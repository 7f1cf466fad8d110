"""Reads for personal data: the audit log, what an erasure would remove, what the retention policy would touch."""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from ruamchat.connectors.models import InboundEvent
from ruamchat.contacts.models import Contact, ContactNote, Identity
from ruamchat.inbox.models import Attachment, Conversation, Message
from ruamchat.privacy.models import AuditRecord, Redaction, RetentionPolicy
from ruamchat.privacy.redaction import ERASED_PAYLOAD, raw_events_mentioning, stored_bytes

#: a conversation still going: someone (a person or the bot) may write in it any moment
ACTIVE = (Conversation.Status.OPEN, Conversation.Status.PENDING, Conversation.Status.SNOOZED,
          Conversation.Status.BOT)
ENDED = (Conversation.Status.RESOLVED, Conversation.Status.CLOSED)


# ---------------------------------------------------------------- the audit log


def audit_records(*, contact_id: int | None = None, action: str = "") -> QuerySet[AuditRecord]:
    """Newest first, optionally of one contact and of one kind."""
    records = AuditRecord.objects.select_related("actor").order_by("-at", "-id")
    if contact_id is not None:
        records = records.filter(contact_id=contact_id)
    if action:
        records = records.filter(action=action)
    return records


# ---------------------------------------------------------------- one contact


def merged_group(contact_id: int) -> list[int]:
    """The contact and every contact merged into it (directly or through another), first the contact."""
    group = [contact_id]
    frontier = [contact_id]
    while frontier:
        frontier = [pk for pk in Contact.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True)
                    if pk not in group]
        group.extend(frontier)
    return group


@dataclass(frozen=True)
class Identifiers:
    """How the provider's raw events name the contact: account ids per channel, and email addresses."""

    by_channel: dict[int, set[str]]
    emails: set[str]


def identifiers(contact_ids: list[int]) -> Identifiers:
    by_channel: dict[int, set[str]] = defaultdict(set)
    emails: set[str] = set()
    for channel_id, external_id in Identity.objects.filter(contact_id__in=contact_ids).values_list(
            "channel_id", "external_id"):
        if not external_id.startswith("erased-"):
            by_channel[channel_id].add(external_id)
            if "@" in external_id:
                emails.update((external_id, external_id.lower()))
    for email in Contact.objects.filter(pk__in=contact_ids).exclude(email="").values_list("email", flat=True):
        emails.update((email, email.lower()))
    return Identifiers(dict(by_channel), emails)


def raw_events_of(found: Identifiers) -> list[int]:
    """Ids of the raw provider events that mention the contact: on each of its channels, the events naming one
    of its accounts there; on any channel, the events naming one of its email addresses."""
    ids: set[int] = set()
    for channel_id, needles in found.by_channel.items():
        ids.update(raw_events_mentioning(needles, channel_ids=[channel_id]).values_list("pk", flat=True))
    if found.emails:
        ids.update(raw_events_mentioning(found.emails).values_list("pk", flat=True))
    return sorted(ids)


@dataclass(frozen=True)
class ErasurePreview:
    """What erasing a contact removes, counted, for the confirmation page and the audit log."""

    contact: Contact
    merged_ids: list[int]
    conversations: int
    active: int
    messages: int
    attachments: int
    files: int
    bytes: int
    notes: int
    identities: int
    raw_events: int
    comments: int


def erasure_preview(contact: Contact) -> ErasurePreview:
    from ruamchat.surveys.models import Response

    group = merged_group(contact.pk)
    conversations = Conversation.objects.filter(contact_id__in=group)
    attachments = Attachment.objects.filter(message__conversation__contact_id__in=group)
    return ErasurePreview(
        contact=contact, merged_ids=group[1:],
        conversations=conversations.count(), active=conversations.filter(status__in=ACTIVE).count(),
        messages=Message.objects.filter(conversation__contact_id__in=group).count(),
        attachments=attachments.count(), files=attachments.exclude(file="").count(),
        bytes=stored_bytes(attachments),
        notes=ContactNote.objects.filter(contact_id__in=group).count(),
        identities=Identity.objects.filter(contact_id__in=group).count(),
        raw_events=len(raw_events_of(identifiers(group))),
        comments=Response.objects.filter(Q(contact_id__in=group) | Q(conversation__contact_id__in=group))
        .exclude(comment="").count(),
    )


# ---------------------------------------------------------------- the retention policy


def policy() -> RetentionPolicy:
    """The retention policy (switched off until an administrator saves one)."""
    return RetentionPolicy.objects.filter(pk=1).first() or RetentionPolicy(pk=1)


def months_before(moment: datetime, months: int) -> datetime:
    """The same local day and time ``months`` calendar months earlier (the 31st becomes the month's last day)."""
    local = timezone.localtime(moment)
    index = local.year * 12 + (local.month - 1) - months
    year, month = divmod(index, 12)
    day = min(local.day, calendar.monthrange(year, month + 1)[1])
    return local.replace(year=year, month=month + 1, day=day)


def cutoff(rule: RetentionPolicy, now: datetime | None = None) -> datetime:
    return months_before(now or timezone.now(), rule.months)


def retention_due(rule: RetentionPolicy, before: datetime) -> QuerySet[Conversation]:
    """The conversations the policy would touch now: resolved or closed before ``before`` (never one still
    going), not yet redacted as far as the policy goes since they ended, and, for attachments only, with
    attachments left."""
    ended = Conversation.objects.filter(status__in=ENDED).annotate(
        ended=Coalesce("resolved_at", "last_message_at", "created_at")).filter(ended__lt=before)
    with_attachments = Exists(Attachment.objects.filter(message__conversation_id=OuterRef("pk")))
    if rule.action == RetentionPolicy.Action.DELETE:
        return ended.filter(with_attachments) if rule.attachments_only else ended
    scopes = [Redaction.Scope.CONTENT]
    if rule.attachments_only:
        scopes.append(Redaction.Scope.ATTACHMENTS)
    done = Exists(Redaction.objects.filter(conversation_id=OuterRef("pk"), scope__in=scopes,
                                           at__gte=OuterRef("ended")))
    due = ended.exclude(done)
    return due.filter(with_attachments) if rule.attachments_only else due


def raw_events_due(before: datetime, after_id: int = 0) -> QuerySet[InboundEvent]:
    """Raw provider events received before ``before`` and not redacted yet."""
    return InboundEvent.objects.filter(pk__gt=after_id, received_at__lt=before).exclude(payload=ERASED_PAYLOAD)


@dataclass(frozen=True)
class RetentionReport:
    """What the policy would touch now (the dry run)."""

    cutoff: datetime
    conversations: int
    messages: int
    attachments: int
    files: int
    bytes: int
    raw_events: int
    oldest: datetime | None


def retention_report(rule: RetentionPolicy, now: datetime | None = None) -> RetentionReport:
    before = cutoff(rule, now)
    due = retention_due(rule, before)
    figures = due.aggregate(n=Count("pk"), oldest=Min("ended"))
    ids = due.values("pk")
    attachments = Attachment.objects.filter(message__conversation_id__in=ids)
    messages = 0 if rule.attachments_only else Message.objects.filter(conversation_id__in=ids).count()
    return RetentionReport(
        cutoff=before, conversations=figures["n"] or 0, messages=messages, attachments=attachments.count(),
        files=attachments.exclude(file="").count(), bytes=stored_bytes(attachments),
        raw_events=raw_events_due(before, rule.events_done_id).count(), oldest=figures["oldest"],
    )
