"""Reads about contacts."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from ruamchat.contacts.models import Consent, Contact


def consents(contact_id: int, purpose: str) -> bool | None:
    """The contact's current choice for ``purpose``: True, False, or None when they were never asked."""
    return (Consent.objects.filter(contact_id=contact_id, purpose=purpose).order_by("-id")
            .values_list("granted", flat=True).first())


def refused(contacts: QuerySet[Contact], purpose: str) -> QuerySet[Contact]:
    """Those of ``contacts`` whose current choice for ``purpose`` is no."""
    newest = Consent.objects.filter(contact=OuterRef("pk"), purpose=purpose).order_by("-id").values("granted")[:1]
    return contacts.annotate(_consent=Subquery(newest)).filter(_consent=False)
