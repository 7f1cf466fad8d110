"""Removing personal content while keeping the numbers: what an erasure and the retention policy share.

A redacted conversation keeps its row, its status, times, team, agent and the kinds of its events (the reports
read those), and loses everything a person wrote or sent: message text, HTML and details (email headers, group
member names, quoted text, edits), attachments (the stored files too), the subject, the preview, the triage
keywords, hand-over reasons, survey comments and the free text inside its events. Every function here runs in
the caller's transaction and returns the stored files to delete; ``delete_files`` removes them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import BinaryField, CharField, Func, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Concat
from django.db.models.sql.compiler import SQLCompiler

from ruamchat.connectors.models import InboundEvent
from ruamchat.inbox.models import Attachment, Conversation, Event, Message
from ruamchat.privacy.models import Redaction
from ruamchat.surveys.models import Invitation, Response

#: what a redacted raw provider event holds: the row stays, so a webhook delivered again is still a duplicate
ERASED_PAYLOAD = b'{"erased": true}'

#: message details that say what a message was, never who wrote what: kept so the inbox still shows a bot
#: answer as the bot's and a survey question as a survey
KEPT_METADATA = {"bot", "survey", "handover", "follow_up", "echo"}
#: the hand-over record a conversation shows on top of a queue: who moved it when, without the why
KEPT_HANDOVER = {"kind", "from_team_id", "about", "at", "by"}
#: the triage suggestion without the words of the customer that made it
KEPT_TRIAGE = {"team_kind", "category", "priority", "language", "angry"}
#: free text inside events, by event kind (codes such as a bot hand-off reason stay: the reports count them)
EVENT_TEXT: dict[str, set[str]] = {
    Event.Kind.TRANSFERRED: {"reason"},
    Event.Kind.FOLLOW_UP_OPENED: {"reason"},
    Event.Kind.SEND_FAILED: {"error"},
    Event.Kind.TRIAGED: {"reasons"},
}
#: free text whatever the event kind
EVENT_TEXT_ANY = {"note", "text", "comment", "name", "email", "phone", "subject", "quote"}
BATCH = 500


@dataclass
class Removed:
    """What a redaction removed (the counts go into the audit log) and the stored files still to delete."""

    conversations: int = 0
    messages: int = 0
    attachments: int = 0
    bytes: int = 0
    raw_events: int = 0
    files: list[str] = field(default_factory=list)

    def add(self, other: Removed) -> None:
        self.conversations += other.conversations
        self.messages += other.messages
        self.attachments += other.attachments
        self.bytes += other.bytes
        self.raw_events += other.raw_events
        self.files.extend(other.files)

    def counts(self) -> dict[str, int]:
        return {"conversations": self.conversations, "messages": self.messages, "attachments": self.attachments,
                "bytes": self.bytes, "raw_events": self.raw_events}


class BytesPosition(Func):
    """Where ``needle`` starts in a binary column (0: not there), found by the database without reading the
    rows into Python: SQLite's ``instr`` works on BLOBs, PostgreSQL has ``position(… in …)`` for bytea."""

    function = "instr"
    output_field = IntegerField()

    def __init__(self, column: str, needle: bytes) -> None:
        super().__init__(column, Value(needle, output_field=BinaryField()))

    def as_postgresql(self, compiler: SQLCompiler, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        haystack, needle = self.get_source_expressions()
        haystack_sql, haystack_params = compiler.compile(haystack)
        needle_sql, needle_params = compiler.compile(needle)
        return f"position({needle_sql} in {haystack_sql})", [*needle_params, *haystack_params]


def raw_events_mentioning(needles: Iterable[str], *, channel_ids: Iterable[int] | None = None
                          ) -> QuerySet[InboundEvent]:
    """The raw provider events (of these channels, or of all) whose payload contains any of ``needles``
    byte for byte, not redacted yet."""
    wanted = sorted({n.encode() for n in needles if n and len(n) >= 3})
    if not wanted:
        return InboundEvent.objects.none()
    condition = Q()
    for i in range(len(wanted)):
        condition |= Q(**{f"_hit{i}__gt": 0})
    found = InboundEvent.objects.annotate(
        **{f"_hit{i}": BytesPosition("payload", needle) for i, needle in enumerate(wanted)}).filter(condition)
    if channel_ids is not None:
        found = found.filter(channel_id__in=list(channel_ids))
    return found.exclude(payload=ERASED_PAYLOAD)


def redact_raw_events(ids: Sequence[int]) -> int:
    """Replace the payloads (and parse errors, which may quote them) of these raw events."""
    done = 0
    for start in range(0, len(ids), BATCH):
        done += InboundEvent.objects.filter(pk__in=ids[start:start + BATCH]).update(payload=ERASED_PAYLOAD,
                                                                                     error="")
    return done


def _grouped_update(model: Any, rows: Iterable[tuple[int, Any]], column: str) -> None:
    """Write each row's new JSON value with one UPDATE per distinct value (most rows share a few)."""
    by_value: dict[str, list[int]] = defaultdict(list)
    for pk, value in rows:
        by_value[json.dumps(value, sort_keys=True)].append(pk)
    for encoded, ids in by_value.items():
        value = json.loads(encoded)
        for start in range(0, len(ids), BATCH):
            model.objects.filter(pk__in=ids[start:start + BATCH]).update(**{column: value})


def _kept(data: Any, keys: set[str]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k in keys} if isinstance(data, dict) else {}


def event_data_without_text(kind: str, data: Any) -> dict[str, Any]:
    """An event's data with the free text emptied and the codes and ids kept. Group member ids (other people's
    accounts) become placeholders, so the timeline still counts them."""
    if not isinstance(data, dict):
        return {}
    cleaned = dict(data)
    for key in EVENT_TEXT.get(kind, set()) | EVENT_TEXT_ANY:
        if key in cleaned:
            cleaned[key] = [] if isinstance(cleaned[key], list) else ""
    if isinstance(cleaned.get("member_ids"), list):
        cleaned["member_ids"] = ["erased"] * len(cleaned["member_ids"])
    return cleaned


def remove_attachments(attachments: QuerySet[Attachment], *, delete_rows: bool) -> Removed:
    """Forget the files of these attachments (their names are returned to delete from storage); the rows are
    deleted, or kept as "there was an image here" without file name, address or details."""
    removed = Removed()
    for name, size in attachments.values_list("file", "size").iterator(chunk_size=2000):
        removed.attachments += 1
        if name:
            removed.files.append(name)
            removed.bytes += size or 0
    if delete_rows:
        attachments.delete()
    else:
        attachments.update(file="", filename="", data={}, external_url="")
    return removed


def redact_conversations(conversation_ids: Sequence[int], *, scope: str, reason: str, now: datetime) -> Removed:
    """Empty the content of these conversations (scope ``content``) or only their attachments (``attachments``),
    and mark them redacted. The caller deletes ``Removed.files`` once its transaction is safe."""
    ids = list(conversation_ids)
    removed = Removed(conversations=len(ids))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        removed.add(remove_attachments(Attachment.objects.filter(message__conversation_id__in=chunk),
                                       delete_rows=False))
        if scope == Redaction.Scope.CONTENT:
            removed.messages += _redact_messages(chunk)
            _redact_events(chunk)
            _redact_conversation_fields(chunk)
            clear_survey_text(Q(conversation_id__in=chunk) | Q(invitation__conversation_id__in=chunk),
                              Q(conversation_id__in=chunk))
        marks = [Redaction(conversation_id=pk, scope=scope, reason=reason, at=now) for pk in chunk]
        Redaction.objects.bulk_create(marks, update_conflicts=True, unique_fields=["conversation_id"],
                                      update_fields=["scope", "reason", "at"])
    return removed


def _redact_messages(conversation_ids: list[int]) -> int:
    messages = Message.objects.filter(conversation_id__in=conversation_ids)
    rows = [(pk, {**_kept(metadata, KEPT_METADATA), "erased": True})
            for pk, metadata in messages.values_list("pk", "metadata").iterator(chunk_size=2000)]
    messages.update(text="", html="", error="")
    # a mail's Message-ID may name its sender ("<20260512.somchai@example.com>"); LINE and Meta ids are numbers
    messages.filter(provider_message_id__contains="@").update(
        provider_message_id=Concat(Value("erased-"), Cast("pk", CharField())))
    # a message still waiting to go out must not go out empty
    messages.filter(status=Message.Status.PENDING).update(status=Message.Status.FAILED)
    _grouped_update(Message, rows, "metadata")
    return len(rows)


def _redact_events(conversation_ids: list[int]) -> None:
    """Events are append-only for the application (``Event.save`` refuses); a redaction updates the rows."""
    rows = []
    for pk, kind, data in (Event.objects.filter(conversation_id__in=conversation_ids)
                           .values_list("pk", "kind", "data").iterator(chunk_size=2000)):
        cleaned = event_data_without_text(kind, data)
        if cleaned != data:
            rows.append((pk, cleaned))
    _grouped_update(Event, rows, "data")


def _redact_conversation_fields(conversation_ids: list[int]) -> None:
    rows = list(Conversation.objects.filter(pk__in=conversation_ids).values_list("pk", "triage", "handover"))
    Conversation.objects.filter(pk__in=conversation_ids).update(subject="", last_message_preview="")
    _grouped_update(Conversation, [(pk, _kept(triage, KEPT_TRIAGE)) for pk, triage, _h in rows if triage], "triage")
    _grouped_update(Conversation, [(pk, _kept(handover, KEPT_HANDOVER)) for pk, _t, handover in rows if handover],
                    "handover")


def clear_survey_text(responses: Q, invitations: Q) -> None:
    """Survey comments go (the scores stay: the numbers without the person), and so do delivery errors, which
    may quote an address."""
    Response.objects.filter(responses).exclude(comment="").update(comment="")
    Invitation.objects.filter(invitations).exclude(error="").update(error="")


def stored_bytes(attachments: QuerySet[Attachment]) -> int:
    return int(attachments.exclude(file="").aggregate(n=Sum("size"))["n"] or 0)


def delete_files(names: Iterable[str]) -> None:
    """Delete stored attachment files (a file already gone is fine: a redaction may run twice)."""
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        if name:
            storage.delete(name)
