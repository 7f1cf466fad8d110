"""Erasing a customer's personal data (the PDPA's right to erasure), keeping the numbers without the person.

One transaction: the contact (and every contact merged into it) loses its name, email, phone, picture,
language, custom attributes, tags and notes and is marked erased; its accounts keep only their channel (the
account id becomes ``erased-<id>``, so the same LINE user or address writing again starts a new customer);
every conversation of it is redacted (``redaction.redact_conversations``); the raw provider events that name
it are redacted; survey comments and delivery errors go, scores stay; the merge records forget the fields
they kept; the global search forgets it. Then the audit log records who did it, when, from where, and the counts
(never the name). The stored files go last, still inside the transaction: if deleting one fails, nothing is
erased and the administrator can try again.

A conversation still going (open, pending, snoozed, with the bot) is refused unless ``force``: then it is
resolved first, as an administrator would, and its survey invitations are cancelled.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, JSONField, Q, TextField, Value
from django.db.models.functions import Cast, Concat
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ruamchat.accounts.actions import check_admin
from ruamchat.connectors.line.models import MemberName
from ruamchat.contacts.models import Consent, Contact, ContactNote, Identity, Merge
from ruamchat.inbox.models import Conversation
from ruamchat.privacy import selectors
from ruamchat.privacy.actions import record_access
from ruamchat.privacy.models import AuditRecord, Redaction
from ruamchat.privacy.redaction import Removed, clear_survey_text, delete_files, redact_conversations, redact_raw_events
from ruamchat.surveys.models import Invitation


def check_can_erase(contact: Contact, *, active: int, force: bool) -> None:
    if contact.merged_into_id:
        raise ValidationError(_("Customer #%(id)s was merged into customer #%(target)s: erase that one.")
                              % {"id": contact.pk, "target": contact.merged_into_id})
    if contact.erased_at:
        raise ValidationError(_("Customer #%(id)s was erased already.") % {"id": contact.pk})
    if active and not force:
        raise ValidationError(ngettext(
            "Customer #%(id)s has %(count)s conversation still going. Resolve it first, or choose to have it "
            "resolved as part of the erasure.",
            "Customer #%(id)s has %(count)s conversations still going. Resolve them first, or choose to have them "
            "resolved as part of the erasure.", active) % {"id": contact.pk, "count": active})


def erase_contact(*, actor: User | None, contact_id: int, force: bool = False,
                  request: HttpRequest | None = None) -> AuditRecord:
    """Erase the contact's personal data (see the module's description). ``actor`` None: the command line."""
    check_admin(actor)
    now = timezone.now()
    with transaction.atomic():
        contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
        if contact is None:
            raise ValidationError(_("There is no customer #%(id)s.") % {"id": contact_id})
        group = selectors.merged_group(contact.pk)
        active = list(Conversation.objects.select_for_update().filter(contact_id__in=group,
                                                                      status__in=selectors.ACTIVE))
        check_can_erase(contact, active=len(active), force=force)
        resolved = _resolve(active, actor)
        found = selectors.identifiers(group)
        raw_ids = selectors.raw_events_of(found)
        conversation_ids = list(Conversation.objects.filter(contact_id__in=group).order_by("pk")
                                .values_list("pk", flat=True))
        removed: Removed = redact_conversations(conversation_ids, scope=Redaction.Scope.CONTENT,
                                                reason=Redaction.Reason.ERASURE, now=now)
        removed.raw_events = redact_raw_events(raw_ids)
        profile = _erase_profiles(group, now)
        _forget_elsewhere(group, found)
        detail: dict[str, Any] = {**removed.counts(), **profile, "resolved": len(resolved),
                                  "merged_contacts": group[1:]}
        record = record_access(actor=actor, action=AuditRecord.Action.ERASED, contact_id=contact.pk,
                               request=request, detail=detail)
        delete_files(removed.files)
    return record


def _resolve(active: list[Conversation], actor: User | None) -> list[int]:
    """Resolve the conversations still going, as an administrator would, before their content goes."""
    from ruamchat.inbox.actions import change_status

    for conversation in active:
        change_status(conversation=conversation, actor=actor, status=Conversation.Status.RESOLVED)
    return [c.pk for c in active]


def _blank_fields(model: type[Contact] | type[Identity]) -> dict[str, Any]:
    """Every text and JSON field of the model, emptied (a field added later is personal until shown otherwise)."""
    blank: dict[str, Any] = {}
    for f in model._meta.concrete_fields:
        if isinstance(f, JSONField):
            blank[f.name] = f.get_default()
        elif isinstance(f, CharField | TextField) and not f.primary_key:
            blank[f.name] = ""
    return blank


def _erase_profiles(group: list[int], now: Any) -> dict[str, int]:
    notes, _by_kind = ContactNote.objects.filter(contact_id__in=group).delete()
    Contact.tags.through.objects.filter(contact_id__in=group).delete()
    Contact.objects.filter(pk__in=group).update(**_blank_fields(Contact), erased_at=now)
    identities = Identity.objects.filter(contact_id__in=group)
    count = identities.update(**{**_blank_fields(Identity),
                                 "external_id": Concat(Value("erased-"), Cast("pk", CharField()))})
    Consent.objects.filter(contact_id__in=group).exclude(note="").update(note="")
    # survey links not answered yet stop working; invitations not sent yet are not sent
    invitations = Q(contact_id__in=group) | Q(conversation__contact_id__in=group)
    Invitation.objects.filter(invitations, status=Invitation.Status.SCHEDULED).update(
        status=Invitation.Status.SKIPPED, skip_reason=Invitation.Skip.NO_ADDRESS)
    Invitation.objects.filter(invitations, answered_at__isnull=True).update(expires_at=now)
    clear_survey_text(Q(contact_id__in=group) | Q(conversation__contact_id__in=group), invitations)
    return {"notes": notes, "identities": count}


def _ids_only(moved: Any) -> dict[str, Any]:
    """A merge record without the fields it kept of either contact: only the lists of moved ids remain."""
    if not isinstance(moved, dict):
        return {}
    return {key: value for key, value in moved.items()
            if isinstance(value, list) and all(isinstance(v, int) for v in value)}


def _forget_elsewhere(group: list[int], found: selectors.Identifiers) -> None:
    """The other places the contact's details were copied to: merge records, LINE group member names, the Django
    admin's history, the global search."""
    from ruamchat.search.actions import forget_contact

    for merge in Merge.objects.filter(Q(target_id__in=group) | Q(source_id__in=group)).only("pk", "moved"):
        Merge.objects.filter(pk=merge.pk).update(moved=_ids_only(merge.moved))
    for channel_id, external_ids in found.by_channel.items():
        MemberName.objects.filter(Q(user_id__in=external_ids) | Q(chat_id__in=external_ids),
                                  channel_id=channel_id).delete()
    contact_type = ContentType.objects.get_for_model(Contact)
    LogEntry.objects.filter(content_type=contact_type, object_id__in=[str(pk) for pk in group]).update(
        object_repr=Concat(Value("#"), "object_id"), change_message="")
    for contact_id in group:
        forget_contact(contact_id=contact_id)
