"""Everything held about a customer, as one zip (the PDPA's right of access): ``contact.json`` and the files.

``contact.json`` (UTF-8, Thai as it is, times in ISO 8601 in the organisation's time zone) holds the profile,
custom attributes, tags, notes, the accounts on each channel, the consent history, every conversation with its
messages (internal notes marked), attachments, what happened (the timeline's sentences, without other
customers' details) and the articles the bot offered, the survey invitations and answers, and the follow-ups.
``attachments/<conversation>/<message>/<file name>`` are the stored files. The zip is written into a temporary
file (in memory while small) entry by entry, and the JSON message by message, so a customer with years of
history does not fill the memory.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from ruamchat.accounts.actions import check_admin
from ruamchat.accounts.selectors import agent_names
from ruamchat.bot.models import BotAnswer
from ruamchat.contacts.models import AttributeDefinition, Consent, Contact, ContactNote, Identity
from ruamchat.inbox.models import Attachment, Conversation, Event, Message
from ruamchat.privacy import selectors
from ruamchat.privacy.actions import record_access
from ruamchat.privacy.models import AuditRecord
from ruamchat.surveys.models import FollowUp, Invitation, Response

FORMAT = "ruamchat-contact-export/1"
#: an export smaller than this stays in memory; a larger one goes on to a temporary file
SPOOL_BYTES = 8 * 1024 * 1024
CHUNK = 1000


@dataclass
class Exported:
    conversations: int = 0
    messages: int = 0
    attachments: int = 0
    bytes: int = 0
    #: (path in the zip, stored name) of the files to add after contact.json
    files: list[tuple[str, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"conversations": self.conversations, "messages": self.messages, "attachments": self.attachments,
                "bytes": self.bytes}


def _when(value: datetime | None) -> str | None:
    return value.astimezone(ZoneInfo(settings.TIME_ZONE)).isoformat() if value is not None else None


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=None, default=str)


def export_contact(*, actor: User | None, contact_id: int, request: HttpRequest | None = None
                   ) -> tuple[IO[bytes], Exported]:
    """The zip of everything held about the contact, rewound, and what it holds; audit-logged."""
    check_admin(actor)
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise ValidationError(_("There is no customer #%(id)s.") % {"id": contact_id})
    target: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (returned open)
    try:
        exported = write_export(contact, target)
    except BaseException:
        target.close()
        raise
    record_access(actor=actor, action=AuditRecord.Action.EXPORTED, contact_id=contact.pk, request=request,
                  detail=exported.counts())
    target.seek(0)
    return target, exported


def write_export(contact: Contact, target: IO[bytes]) -> Exported:
    """Write the zip of ``contact`` (and the contacts merged into it) into ``target``."""
    group = selectors.merged_group(contact.pk)
    exported = Exported()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("contact.json", "w", force_zip64=True) as raw:
            for piece in _json_pieces(contact, group, exported):
                raw.write(piece.encode())
        storage = Attachment._meta.get_field("file").storage
        for path, name in exported.files:
            with storage.open(name, "rb") as source, archive.open(path, "w", force_zip64=True) as entry:
                shutil.copyfileobj(source, entry, 1024 * 1024)
    return exported


def _json_pieces(contact: Contact, group: list[int], exported: Exported) -> Iterator[str]:
    """contact.json as pieces: the small parts whole, the conversations one message at a time."""
    head = {
        "format": FORMAT,
        "exported_at": _when(timezone.now()),
        "contact": _profile(contact),
        "merged_contacts": [_profile(c) for c in Contact.objects.filter(pk__in=group[1:]).order_by("pk")],
        "notes": [{"text": n.text, "author": n.author.get_username() if n.author else None,
                   "created_at": _when(n.created_at)}
                  for n in ContactNote.objects.filter(contact_id__in=group).select_related("author").order_by("pk")],
        "identities": [_identity(i) for i in Identity.objects.filter(contact_id__in=group)
                       .select_related("channel").order_by("pk")],
        "consents": [{"purpose": c.purpose, "granted": c.granted, "source": c.source, "note": c.note,
                      "recorded_by": c.recorded_by.get_username() if c.recorded_by else None,
                      "recorded_at": _when(c.recorded_at)}
                     for c in Consent.objects.filter(contact_id__in=group).select_related("recorded_by")
                     .order_by("pk")],
        "survey_invitations": _surveys(group),
        "follow_ups": [{"conversation": f.conversation_id, "about": f.about_id, "created_at": _when(f.created_at),
                        "outcome": f.outcome, "closed_at": _when(f.closed_at)}
                       for f in FollowUp.objects.filter(conversation__contact_id__in=group).order_by("pk")],
    }
    yield _dumps(head)[:-1] + ', "conversations": ['
    conversations = (Conversation.objects.filter(contact_id__in=group).select_related("channel", "team")
                     .prefetch_related("tags").order_by("created_at", "pk"))
    for n, conversation in enumerate(conversations.iterator(chunk_size=100)):
        exported.conversations += 1
        yield ("," if n else "") + "\n" + _dumps(_conversation(conversation))[:-1] + ', "messages": ['
        yield from _messages(conversation, exported)
        yield '], "events": ' + _dumps(_events(conversation)) + ', "bot_answers": ' + _dumps(
            _bot_answers(conversation)) + "}"
    yield "\n]}\n"


def _profile(contact: Contact) -> dict[str, Any]:
    labels = {d.key: d.label(settings.LANGUAGE_CODE) for d in AttributeDefinition.objects.all()}
    return {
        "id": contact.pk, "name": contact.name, "email": contact.email, "phone": contact.phone,
        "language": contact.language, "avatar_url": contact.avatar_url,
        "attributes": [{"key": key, "label": labels.get(key, key), "value": value}
                       for key, value in sorted((contact.attributes or {}).items())],
        "tags": sorted(contact.tags.values_list("name", flat=True)),
        "created_at": _when(contact.created_at), "last_seen_at": _when(contact.last_seen_at),
        "merged_into": contact.merged_into_id, "erased_at": _when(contact.erased_at),
    }


def _identity(identity: Identity) -> dict[str, Any]:
    return {"channel": {"kind": identity.channel.kind, "name": identity.channel.name},
            "external_id": identity.external_id, "display_name": identity.display_name,
            "profile": identity.profile, "created_at": _when(identity.created_at),
            "blocked_at": _when(identity.blocked_at)}


def _surveys(group: list[int]) -> list[dict[str, Any]]:
    responses = {r.invitation_id: r for r in Response.objects.filter(invitation__contact_id__in=group)}
    rows = []
    for invitation in Invitation.objects.filter(contact_id__in=group).select_related("survey").order_by("pk"):
        response = responses.get(invitation.pk)
        rows.append({
            "survey": {"kind": invitation.kind, "name": invitation.survey.name},
            "conversation": invitation.conversation_id, "status": invitation.status,
            "skip_reason": invitation.skip_reason, "sent_at": _when(invitation.sent_at),
            "opened_at": _when(invitation.opened_at), "answered_at": _when(invitation.answered_at),
            "response": None if response is None else {
                "score": response.score, "comment": response.comment, "sentiment": response.sentiment,
                "via": response.via, "answered_at": _when(response.answered_at)},
        })
    return rows


def _conversation(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.pk,
        "channel": {"kind": conversation.channel.kind, "name": conversation.channel.name},
        "status": conversation.status, "priority": conversation.priority, "category": conversation.category,
        "subject": conversation.subject, "team": conversation.team.name if conversation.team else None,
        "tags": sorted(t.name for t in conversation.tags.all()),
        "created_at": _when(conversation.created_at), "resolved_at": _when(conversation.resolved_at),
    }


def _messages(conversation: Conversation, exported: Exported) -> Iterator[str]:
    last = 0
    first = True
    while True:
        chunk = list(Message.objects.filter(conversation=conversation, pk__gt=last).order_by("pk")
                     .prefetch_related("attachments")[:CHUNK])
        if not chunk:
            return
        names = agent_names({m.sender_user_id for m in chunk if m.sender_user_id})
        for message in chunk:
            exported.messages += 1
            row = {
                "id": message.pk, "direction": message.direction, "sender": message.sender_type,
                "agent": names.get(message.sender_user_id) if message.sender_user_id else None,
                "internal_note": message.is_private, "time": _when(message.sent_at or message.created_at),
                "status": message.status, "text": message.text, "html": message.html,
                "attachments": _attachments(conversation.pk, message, exported),
            }
            yield ("" if first else ",") + "\n" + _dumps(row)
            first = False
        last = chunk[-1].pk


def _attachments(conversation_id: int, message: Message, exported: Exported) -> list[dict[str, Any]]:
    rows = []
    used: set[str] = set()
    for attachment in message.attachments.all():
        exported.attachments += 1
        path = None
        if attachment.file and attachment.file.storage.exists(attachment.file.name):
            name = _safe_name(attachment.filename or attachment.file.name, attachment.pk)
            while name in used:
                name = f"{attachment.pk}-{name}"
            used.add(name)
            path = f"attachments/{conversation_id}/{message.pk}/{name}"
            exported.files.append((path, attachment.file.name))
            exported.bytes += attachment.size or 0
        rows.append({"kind": attachment.kind, "filename": attachment.filename,
                     "content_type": attachment.content_type, "size": attachment.size, "file": path,
                     "external_url": attachment.external_url or None})
    return rows


def _safe_name(name: str, pk: int) -> str:
    """A file name without folders (a name from a customer's mail must not climb out of its folder)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".")
    return base[:150] or f"attachment-{pk}"


def _events(conversation: Conversation) -> list[dict[str, Any]]:
    """What happened, as the timeline tells it (its sentences name agents and teams, never another customer)."""
    from ruamchat.web.timeline import describe

    events = Event.objects.filter(conversation=conversation).order_by("pk")
    return [{"kind": e.kind, "time": _when(e.created_at), "description": e.sentence} for e in describe(events)]


def _bot_answers(conversation: Conversation) -> list[dict[str, Any]]:
    return [{"title": a.title, "url": a.url, "kind": a.kind, "helped": a.helped, "time": _when(a.created_at)}
            for a in BotAnswer.objects.filter(conversation=conversation).order_by("pk")]
