"""Writes for contacts and their identities: the profile, notes, tags, custom attributes, consent, and merges."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from ruamchat.accounts.selectors import profile_for
from ruamchat.connectors.models import Channel
from ruamchat.contacts.models import AttributeDefinition, Consent, Contact, ContactNote, Identity, Merge
from ruamchat.contacts.phones import phone_key


def identify(
    *, channel: Channel, external_id: str, name: str = "", email: str = "", language: str = ""
) -> Identity:
    """The identity for this channel account, created with a new contact on first contact.

    What the channel tells us (name, email, language) fills blanks; it never overwrites what an
    agent has typed.
    """
    identity = Identity.objects.select_related("contact").filter(channel=channel, external_id=external_id).first()
    if identity is None:
        try:
            with transaction.atomic():
                contact = Contact.objects.create(name=name[:200], email=email.strip().lower(), language=language)
                identity = Identity.objects.create(
                    contact=contact, channel=channel, external_id=external_id, display_name=name[:200]
                )
        except IntegrityError:  # created concurrently by another request
            identity = Identity.objects.select_related("contact").get(channel=channel, external_id=external_id)
    contact = identity.contact
    changed: list[str] = []
    for field, value in (("name", name[:200]), ("email", email.strip().lower()), ("language", language)):
        if value and not getattr(contact, field):
            setattr(contact, field, value)
            changed.append(field)
    contact.last_seen_at = timezone.now()
    contact.save(update_fields=[*changed, "last_seen_at"])
    if name and identity.display_name != name[:200]:
        identity.display_name = name[:200]
        identity.save(update_fields=["display_name"])
    return identity


def update_contact(
    *, contact: Contact, name: str | None = None, email: str | None = None, phone: str | None = None,
    language: str | None = None,
) -> Contact:
    for field, value in (("name", name), ("email", email), ("phone", phone), ("language", language)):
        if value is not None:
            setattr(contact, field, value.strip())
    contact.email = contact.email.lower()
    if phone is not None and contact.phone and not phone_key(contact.phone):
        raise ValidationError({"phone": [_("This is not a phone number.")]})
    contact.phone_key = phone_key(contact.phone)
    contact.full_clean()
    contact.save()
    return contact


# ---------------------------------------------------------------- profile: notes, tags, custom attributes

#: a profile opened again by the same person within this time is one view in the audit log
VIEW_RECORD_SECONDS = 600


def check_can_edit(actor: User, contact: Contact) -> None:
    """Agents edit the contacts of conversations they can see; nobody edits a merged-away or erased one."""
    from ruamchat.inbox.selectors import visible_contacts

    if not visible_contacts(actor).filter(pk=contact.pk).exists():
        raise PermissionDenied(_("You do not have access to this customer."))
    if contact.merged_into_id or contact.erased_at:
        raise ValidationError(_("This customer's profile can no longer be changed."))


def edit_profile(*, actor: User, contact: Contact, name: str, email: str, phone: str, language: str,
                 request: HttpRequest | None = None) -> Contact:
    """An agent corrects the customer's details (audit-logged: they are personal data)."""
    from ruamchat.privacy.actions import record_access

    check_can_edit(actor, contact)
    before = {field: getattr(contact, field) for field in ("name", "email", "phone", "language")}
    with transaction.atomic():
        update_contact(contact=contact, name=name, email=email, phone=phone, language=language)
        changed = sorted(field for field, value in before.items() if getattr(contact, field) != value)
        if changed:
            record_access(actor=actor, action="edited", contact_id=contact.pk, request=request,
                          detail={"fields": changed})
    return contact


def record_profile_view(*, actor: User, contact: Contact, request: HttpRequest | None = None) -> None:
    """The audit log's "viewed": once per person and customer every few minutes, not once per page load."""
    from ruamchat.privacy.actions import record_access
    from ruamchat.privacy.models import AuditRecord

    recent = timezone.now() - timedelta(seconds=VIEW_RECORD_SECONDS)
    if not AuditRecord.objects.filter(actor=actor, contact_id=contact.pk, action=AuditRecord.Action.VIEWED,
                                      at__gte=recent).exists():
        record_access(actor=actor, action="viewed", contact_id=contact.pk, request=request)


def add_note(*, actor: User, contact: Contact, text: str) -> ContactNote:
    check_can_edit(actor, contact)
    text = text.strip()
    if not text:
        raise ValidationError(_("Write the note first."))
    note = ContactNote(contact=contact, author=actor, text=text)
    note.full_clean()
    note.save()
    return note


def delete_note(*, actor: User, note: ContactNote) -> None:
    check_can_edit(actor, note.contact)
    if note.author_id != actor.pk and not profile_for(actor).sees_everything:
        raise PermissionDenied(_("Only its author or a supervisor can delete a note."))
    note.delete()


def add_contact_tag(*, actor: User, contact: Contact, name: str) -> None:
    from ruamchat.inbox.models import Tag

    check_can_edit(actor, contact)
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the tag a name."))
    if len(name) > 50:
        raise ValidationError(_("A tag has at most 50 characters."))
    tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
    contact.tags.add(tag)


def remove_contact_tag(*, actor: User, contact: Contact, name: str) -> None:
    check_can_edit(actor, contact)
    contact.tags.remove(*contact.tags.filter(name=name))


def clean_attribute(definition: AttributeDefinition, raw: str) -> Any:
    """A typed value from what was typed in the form; ``None`` clears it. ValidationError explains a bad one."""
    text = raw.strip()
    if not text:
        return None
    kind = definition.kind
    if kind == AttributeDefinition.Kind.NUMBER:
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            raise ValidationError(_("“%(value)s” is not a number.") % {"value": text[:40]}) from None
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == AttributeDefinition.Kind.DATE:
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValidationError(_("Give the date as YYYY-MM-DD.")) from None
    if kind == AttributeDefinition.Kind.BOOLEAN:
        if text.lower() in ("1", "true", "yes", "on", "ใช่"):
            return True
        if text.lower() in ("0", "false", "no", "off", "ไม่ใช่"):
            return False
        raise ValidationError(_("Choose yes or no."))
    if kind == AttributeDefinition.Kind.LIST:
        if text not in definition.choice_list:
            raise ValidationError(_("Choose one of the listed values."))
        return text
    if kind == AttributeDefinition.Kind.LINK:
        try:
            URLValidator(schemes=["http", "https"])(text)
        except ValidationError:
            raise ValidationError(_("Give a web address starting with http:// or https://.")) from None
        return text[:1000]
    return text[:1000]


def set_attributes(*, actor: User, contact: Contact, values: dict[str, str]) -> Contact:
    """Set the custom attributes named in ``values`` (key → what was typed); all or nothing."""
    check_can_edit(actor, contact)
    definitions = {d.key: d for d in AttributeDefinition.objects.filter(active=True, key__in=list(values))}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for key, raw in values.items():
        definition = definitions.get(key)
        if definition is None:
            errors[key] = [_("There is no such attribute.")]
            continue
        try:
            cleaned[key] = clean_attribute(definition, raw)
        except ValidationError as exc:
            errors[key] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        attributes = dict(locked.attributes or {})
        for key, value in cleaned.items():
            if value is None:
                attributes.pop(key, None)
            else:
                attributes[key] = value
        locked.attributes = attributes
        locked.save(update_fields=["attributes"])
    contact.attributes = attributes
    return contact


def record_consent_by_agent(*, actor: User, contact: Contact, purpose: str, granted: bool, note: str = "",
                            request: HttpRequest | None = None) -> Consent:
    """What the customer told an agent they agree to or refuse; kept with who wrote it down (PDPA)."""
    from ruamchat.privacy.actions import record_access

    check_can_edit(actor, contact)
    if purpose not in Consent.Purpose.values:
        raise ValidationError(_("Unknown purpose."))
    with transaction.atomic():
        consent = record_consent(contact=contact, purpose=purpose, granted=granted, source=Consent.Source.AGENT,
                                 note=note, actor=actor)
        record_access(actor=actor, action="consent", contact_id=contact.pk, request=request,
                      detail={"purpose": purpose, "granted": granted})
    return consent


def apply_profile(*, identity: Identity, display_name: str = "", picture_url: str = "", language: str = "") -> Identity:
    """What the provider says about the customer: refreshes the identity, fills the contact's blanks."""
    identity.display_name = display_name[:200] or identity.display_name
    identity.profile = {**identity.profile, "picture_url": picture_url, "language": language}
    identity.profile_refreshed_at = timezone.now()
    identity.save(update_fields=["display_name", "profile", "profile_refreshed_at"])
    contact = identity.contact
    changed = []
    for field, value in (("name", display_name[:200]), ("avatar_url", picture_url[:500]), ("language", language[:8])):
        if value and not getattr(contact, field):
            setattr(contact, field, value)
            changed.append(field)
    if changed:
        contact.save(update_fields=changed)
    return identity


def record_consent(*, contact: Contact, purpose: str, granted: bool, source: str, note: str = "",
                   actor: User | None = None) -> Consent:
    """Record the contact's choice for a purpose (the newest record is their current choice)."""
    if purpose not in Consent.Purpose.values or source not in Consent.Source.values:
        raise ValueError(f"unknown consent purpose or source: {purpose!r}, {source!r}")
    return Consent.objects.create(contact=contact, purpose=purpose, granted=granted, source=source,
                                  note=note[:255], recorded_by=actor)


# ---------------------------------------------------------------- merging two records of one customer

#: the contact's own fields a merge fills in on the kept contact when it has none
MERGED_FIELDS = ("name", "email", "phone", "phone_key", "language", "avatar_url")


def check_can_merge(actor: User, target: Contact, source: Contact) -> None:
    """Supervisors and administrators merge: a merge moves conversations between teams' customers."""
    if not profile_for(actor).sees_everything:
        raise PermissionDenied(_("Only supervisors and administrators merge customers."))
    if target.pk == source.pk:
        raise ValidationError(_("A customer cannot be merged with itself."))
    for contact in (target, source):
        if contact.merged_into_id:
            raise ValidationError(_("Customer #%(id)s was already merged into another.") % {"id": contact.pk})
        if contact.erased_at:
            raise ValidationError(_("Customer #%(id)s was erased.") % {"id": contact.pk})


def _move(qs: QuerySet[Any], contact: Contact) -> list[int]:
    ids = list(qs.values_list("pk", flat=True))
    if ids:
        qs.model.objects.filter(pk__in=ids).update(contact=contact)
    return ids


def _record_on_conversations(conversation_ids: list[int], kind: str, actor: User, data: dict[str, Any]) -> None:
    from ruamchat.inbox.models import Event

    Event.objects.bulk_create([Event(conversation_id=pk, kind=kind, actor=actor, data=data)
                               for pk in conversation_ids])


def merge_contacts(*, actor: User, target: Contact, source: Contact, request: HttpRequest | None = None) -> Merge:
    """Merge ``source`` into ``target``: its identities, conversations, notes, consents and survey answers move
    to ``target``, blanks of ``target`` are filled from ``source``, and ``source`` is kept, empty-handed, with
    ``merged_into`` set so the merge can be undone."""
    from ruamchat.inbox.models import Conversation, Event
    from ruamchat.privacy.actions import record_access
    from ruamchat.surveys.models import Invitation, Response

    check_can_merge(actor, target, source)
    with transaction.atomic():
        first, second = sorted((target.pk, source.pk))
        locked = {c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=[first, second])}
        target, source = locked[target.pk], locked[source.pk]
        check_can_merge(actor, target, source)
        before = {field: getattr(target, field) for field in MERGED_FIELDS}
        filled = {field: getattr(source, field) for field in MERGED_FIELDS
                  if not getattr(target, field) and getattr(source, field)}
        added_attributes = {key: value for key, value in (source.attributes or {}).items()
                            if key not in (target.attributes or {})}
        target_tags = set(target.tags.values_list("pk", flat=True))
        added_tags = [pk for pk in source.tags.values_list("pk", flat=True) if pk not in target_tags]
        # a campaign is sent once per contact: an invitation of a campaign both were in stays with the source
        both_campaigns = Invitation.objects.filter(contact=target, campaign__isnull=False).values("campaign_id")
        moved: dict[str, Any] = {
            "identities": _move(Identity.objects.filter(contact=source), target),
            "conversations": _move(Conversation.objects.filter(contact=source), target),
            "notes": _move(ContactNote.objects.filter(contact=source), target),
            "consents": _move(Consent.objects.filter(contact=source), target),
            "invitations": _move(Invitation.objects.filter(contact=source).exclude(campaign_id__in=both_campaigns),
                                 target),
            "responses": _move(Response.objects.filter(contact=source), target),
            "tags": added_tags,
            "filled": filled,
            "target_before": before,
            "attributes": added_attributes,
        }
        for field, value in filled.items():
            setattr(target, field, value)
        target.attributes = {**added_attributes, **(target.attributes or {})}
        if source.last_seen_at and (not target.last_seen_at or source.last_seen_at > target.last_seen_at):
            target.last_seen_at = source.last_seen_at
        target.save(update_fields=[*MERGED_FIELDS, "attributes", "last_seen_at"])
        target.tags.add(*added_tags)
        source.merged_into = target
        source.save(update_fields=["merged_into"])
        merge = Merge.objects.create(target=target, source=source, actor=actor, moved=moved)
        data = {"source_id": source.pk, "target_id": target.pk, "merge_id": merge.pk}
        latest = Conversation.objects.filter(contact=target).exclude(pk__in=moved["conversations"]).order_by("-pk")
        _record_on_conversations([*moved["conversations"], *latest.values_list("pk", flat=True)[:1]],
                                 Event.Kind.CONTACT_MERGED, actor, data)
        record_access(actor=actor, action="merged", contact_id=target.pk, request=request,
                      detail={"source_id": source.pk, "merge_id": merge.pk,
                              **{kind: len(moved[kind]) for kind in ("identities", "conversations", "notes")}})
        transaction.on_commit(lambda: _reindex(target.pk, source.pk))
    return merge


def undo_merge(*, actor: User, merge: Merge, request: HttpRequest | None = None) -> Merge:
    """Put back what the merge moved (what is still on the kept contact) and the kept contact's own fields
    (those nobody changed since)."""
    from ruamchat.inbox.models import Conversation, Event, Tag
    from ruamchat.privacy.actions import record_access
    from ruamchat.surveys.models import Invitation, Response

    if not profile_for(actor).sees_everything:
        raise PermissionDenied(_("Only supervisors and administrators merge customers."))
    with transaction.atomic():
        merge = Merge.objects.select_for_update().get(pk=merge.pk)
        first, second = sorted((merge.target_id, merge.source_id))
        locked = {c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=[first, second])}
        target, source = locked[merge.target_id], locked[merge.source_id]
        if merge.undone_at is not None:
            raise ValidationError(_("This merge was already undone."))
        if source.merged_into_id != target.pk or target.merged_into_id or target.erased_at:
            raise ValidationError(_("This merge can no longer be undone: the customer changed since."))
        moved = merge.moved or {}
        models: dict[str, type[Model]] = {"identities": Identity, "conversations": Conversation,
                                          "notes": ContactNote, "consents": Consent, "invitations": Invitation,
                                          "responses": Response}
        for kind, model in models.items():
            model._default_manager.filter(pk__in=moved.get(kind, []), contact=target).update(contact=source)
        for field, value in (moved.get("filled") or {}).items():
            if getattr(target, field) == value:
                setattr(target, field, (moved.get("target_before") or {}).get(field, ""))
        attributes = dict(target.attributes or {})
        for key, value in (moved.get("attributes") or {}).items():
            if attributes.get(key) == value:
                attributes.pop(key)
        target.attributes = attributes
        target.save(update_fields=[*MERGED_FIELDS, "attributes"])
        target.tags.remove(*Tag.objects.filter(pk__in=moved.get("tags", [])))
        source.merged_into = None
        source.save(update_fields=["merged_into"])
        merge.undone_at = timezone.now()
        merge.undone_by = actor
        merge.save(update_fields=["undone_at", "undone_by"])
        back = list(Conversation.objects.filter(pk__in=moved.get("conversations", []), contact=source)
                    .values_list("pk", flat=True))
        latest = Conversation.objects.filter(contact=target).order_by("-pk").values_list("pk", flat=True)[:1]
        _record_on_conversations([*back, *latest], Event.Kind.CONTACT_UNMERGED, actor,
                                 {"source_id": source.pk, "target_id": target.pk, "merge_id": merge.pk})
        record_access(actor=actor, action="unmerged", contact_id=target.pk, request=request,
                      detail={"source_id": source.pk, "merge_id": merge.pk})
        transaction.on_commit(lambda: _reindex(target.pk, source.pk))
    return merge


def _reindex(*contact_ids: int) -> None:
    """The global search shows contacts by their identities and conversations: those changed hands."""
    from ruamchat.search.actions import reindex_contact

    for contact_id in contact_ids:
        reindex_contact(contact_id=contact_id)
