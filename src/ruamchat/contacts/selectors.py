"""Reads about contacts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, Max, Min, OuterRef, Q, QuerySet, Subquery

from ruamchat.contacts.models import AttributeDefinition, Consent, Contact, ContactNote, Identity, Merge


def consents(contact_id: int, purpose: str) -> bool | None:
    """The contact's current choice for ``purpose``: True, False, or None when they were never asked."""
    return (Consent.objects.filter(contact_id=contact_id, purpose=purpose).order_by("-id")
            .values_list("granted", flat=True).first())


def refused(contacts: QuerySet[Contact], purpose: str) -> QuerySet[Contact]:
    """Those of ``contacts`` whose current choice for ``purpose`` is no."""
    newest = Consent.objects.filter(contact=OuterRef("pk"), purpose=purpose).order_by("-id").values("granted")[:1]
    return contacts.annotate(_consent=Subquery(newest)).filter(_consent=False)


# ---------------------------------------------------------------- duplicates


@dataclass(frozen=True)
class Duplicate:
    contact: Contact
    #: why it looks like the same customer: "email", "phone", "name"
    reasons: tuple[str, ...]


def _names(contact: Contact) -> set[str]:
    """The contact's name and the names its accounts go by (compared without case)."""
    names = {contact.name, *contact.identities.values_list("display_name", flat=True)}
    return {n.strip() for n in names if n and len(n.strip()) >= 3}


def duplicates(contact: Contact, *, limit: int = 10) -> list[Duplicate]:
    """Other contacts that look like the same customer: the same email address (also as an email account),
    the same phone number however it was typed, or the same name on accounts of different channels (a LINE
    name equal to a Facebook name). Merged-away and erased contacts are never suggested."""
    live = Contact.objects.filter(merged_into__isnull=True, erased_at__isnull=True).exclude(pk=contact.pk)
    reasons: dict[int, list[str]] = {}

    def note(ids: Iterable[int], reason: str) -> None:
        for pk in ids:
            if reason not in reasons.setdefault(pk, []):
                reasons[pk].append(reason)

    if contact.email:
        email = contact.email.strip()
        note(live.filter(email__iexact=email).values_list("pk", flat=True)[:limit], "email")
        note(Identity.objects.filter(channel__kind="email", external_id__iexact=email, contact__in=live)
             .values_list("contact_id", flat=True)[:limit], "email")
    if contact.phone_key:
        note(live.filter(phone_key=contact.phone_key).values_list("pk", flat=True)[:limit], "phone")
    names = _names(contact)
    if names:
        channels = set(contact.identities.values_list("channel_id", flat=True))
        by_name = Q()
        for name in names:
            by_name |= Q(display_name__iexact=name)
        candidates = (Identity.objects.filter(by_name, contact__in=live).exclude(channel_id__in=channels)
                      .values_list("contact_id", flat=True)[:limit * 5])
        name_q = Q()
        for name in names:
            name_q |= Q(name__iexact=name)
        found = {*candidates, *live.filter(name_q).values_list("pk", flat=True)[:limit * 5]}
        # the same name on a channel the contact is not on: two accounts of one person; the same name where
        # both are on the same channel is two people (one account per channel each)
        other_channels = Identity.objects.filter(contact_id__in=found).exclude(channel_id__in=channels)
        note(set(other_channels.values_list("contact_id", flat=True)), "name")
    order = {"email": 0, "phone": 1, "name": 2}
    ranked = sorted(reasons.items(), key=lambda item: (min(order[r] for r in item[1]), -len(item[1]), -item[0]))
    contacts = Contact.objects.in_bulk([pk for pk, _ in ranked[:limit]])
    return [Duplicate(contacts[pk], tuple(sorted(why, key=order.__getitem__)))
            for pk, why in ranked[:limit] if pk in contacts]


# ---------------------------------------------------------------- the profile


@dataclass(frozen=True)
class Lifetime:
    conversations: int
    first_contact: datetime | None
    last_contact: datetime | None
    csat_average: float | None
    csat_answers: int
    last_nps: int | None
    last_nps_at: datetime | None


def lifetime(contact: Contact) -> Lifetime:
    """The customer's figures over all time: conversations, when they last wrote, CSAT average, last NPS."""
    from ruamchat.inbox.models import Conversation
    from ruamchat.surveys.models import Response, Survey

    totals = Conversation.objects.filter(contact=contact).aggregate(
        n=Count("pk"), first=Min("created_at"), last=Max("last_message_at"))
    csat = Response.objects.filter(contact=contact, kind=Survey.Kind.CSAT).aggregate(avg=Avg("score"), n=Count("pk"))
    nps = (Response.objects.filter(contact=contact, kind=Survey.Kind.NPS).order_by("-answered_at")
           .values_list("score", "answered_at").first())
    return Lifetime(
        conversations=totals["n"], first_contact=totals["first"],
        last_contact=max((t for t in (totals["last"], contact.last_seen_at) if t), default=None),
        csat_average=round(float(csat["avg"]), 2) if csat["avg"] is not None else None, csat_answers=csat["n"],
        last_nps=nps[0] if nps else None, last_nps_at=nps[1] if nps else None,
    )


@dataclass(frozen=True)
class AttributeRow:
    definition: AttributeDefinition
    label: str
    value: Any
    #: the value as the form shows it
    raw: str


def attribute_rows(contact: Contact, language: str) -> list[AttributeRow]:
    """The admin-defined attributes, in order, with this contact's values (blank ones too: they can be filled)."""
    values = contact.attributes or {}
    rows = []
    for definition in AttributeDefinition.objects.filter(active=True):
        value = values.get(definition.key)
        raw = ("yes" if value else "no") if isinstance(value, bool) else "" if value is None else str(value)
        rows.append(AttributeRow(definition, definition.label(language), value, raw))
    return rows


@dataclass(frozen=True)
class ConsentState:
    purpose: str
    label: str
    granted: bool | None
    latest: Consent | None


def consent_states(contact: Contact) -> list[ConsentState]:
    """The current choice for every purpose (None: never asked), with the record it comes from."""
    newest: dict[str, Consent] = {}
    for consent in Consent.objects.filter(contact=contact).select_related("recorded_by").order_by("-id"):
        newest.setdefault(consent.purpose, consent)
    return [ConsentState(value, str(label), newest[value].granted if value in newest else None, newest.get(value))
            for value, label in Consent.Purpose.choices]


def consent_history(contact: Contact, limit: int = 50) -> list[Consent]:
    return list(Consent.objects.filter(contact=contact).select_related("recorded_by").order_by("-id")[:limit])


def merge_preview(source: Contact) -> dict[str, int]:
    """What merging ``source`` into another customer moves, by kind."""
    from ruamchat.inbox.models import Conversation
    from ruamchat.surveys.models import Response

    return {
        "identities": source.identities.count(),
        "conversations": Conversation.objects.filter(contact=source).count(),
        "notes": ContactNote.objects.filter(contact=source).count(),
        "consents": Consent.objects.filter(contact=source).count(),
        "responses": Response.objects.filter(contact=source).count(),
    }


def merges(contact: Contact) -> list[Merge]:
    """The merges into this contact, newest first (each can be undone until it is)."""
    return list(Merge.objects.filter(target=contact).select_related("source", "actor", "undone_by").order_by("-id"))


def notes(contact: Contact, limit: int = 100) -> list[ContactNote]:
    return list(ContactNote.objects.filter(contact=contact).select_related("author").order_by("-id")[:limit])


@dataclass(frozen=True)
class CustomerPanel:
    """What the conversation's side panel shows of the customer."""

    lifetime: Lifetime
    attributes: list[AttributeRow]
    tags: list[str]
    consents: list[ConsentState]
    duplicates: list[Duplicate]


def customer_panel(contact: Contact, language: str) -> CustomerPanel:
    return CustomerPanel(
        lifetime=lifetime(contact),
        attributes=[row for row in attribute_rows(contact, language) if row.raw],
        tags=list(contact.tags.values_list("name", flat=True)),
        consents=consent_states(contact),
        duplicates=duplicates(contact, limit=3) if not (contact.erased_at or contact.merged_into_id) else [],
    )
