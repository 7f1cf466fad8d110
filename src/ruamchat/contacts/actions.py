"""Writes for contacts and their identities."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from ruamchat.connectors.models import Channel
from ruamchat.contacts.models import Consent, Contact, Identity


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
                contact = Contact.objects.create(name=name[:200], email=email, language=language)
                identity = Identity.objects.create(
                    contact=contact, channel=channel, external_id=external_id, display_name=name[:200]
                )
        except IntegrityError:  # created concurrently by another request
            identity = Identity.objects.select_related("contact").get(channel=channel, external_id=external_id)
    contact = identity.contact
    changed: list[str] = []
    for field, value in (("name", name[:200]), ("email", email), ("language", language)):
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
    contact.full_clean()
    contact.save()
    return contact


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
