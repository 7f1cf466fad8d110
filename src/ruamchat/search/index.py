"""Writing the index: messages and contacts → their documents.

Text is analysed before a transaction opens (segmenting Thai is the slow part), and each batch is written in
one short transaction, so indexing never holds the database's write lock (SQLite's only one) for long.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef

from ruamchat.contacts.models import Contact, Identity
from ruamchat.inbox.models import Message
from ruamchat.search.models import ContactDocument, MessageDocument
from ruamchat.search.terms import document_terms

BATCH = 500


def chunks(ids: Iterable[int], size: int = BATCH) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]


# -- messages -----------------------------------------------------------------------------------------------

#: texts → their terms: ``serial`` (``document_terms`` one by one here), or a pool of processes' ``map``
Analyse = Callable[[Callable[[str], str], list[str]], Iterable[str]]


def serial(func: Callable[[str], str], texts: list[str]) -> list[str]:
    return [func(text) for text in texts]


def _message_documents(ids: list[int], analyse: Analyse = serial) -> list[MessageDocument]:
    """The documents these messages should have now: none for an empty text (a withdrawn message) or a message
    of an erased customer."""
    rows = list(Message.objects.filter(pk__in=ids, conversation__contact__erased_at__isnull=True).exclude(text="")
                .values_list("id", "conversation_id", "is_private", "text"))
    documents = []
    for (message_id, conversation_id, private, _text), terms in zip(
            rows, analyse(document_terms, [row[3] for row in rows]), strict=True):
        if terms:
            documents.append(MessageDocument(message_id=message_id, conversation_id=conversation_id,
                                             private=private, terms=terms))
    return documents


def add_messages(ids: Iterable[int]) -> int:
    """Index messages that have no document yet (the catch-up). A document written meanwhile by
    ``replace_messages`` (an edit) wins: it read the newer text."""
    added = 0
    for chunk in chunks(ids):
        documents = _message_documents(chunk)
        with transaction.atomic():
            MessageDocument.objects.bulk_create(documents, ignore_conflicts=True)
            # a customer erased while these were analysed: their words do not stay
            MessageDocument.objects.filter(message_id__in=chunk, conversation__contact__erased_at__isnull=False) \
                .delete()
        added += len(documents)
    return added


def replace_messages(ids: Iterable[int], analyse: Analyse = serial) -> int:
    """Bring these messages' documents up to date with their text now (after an edit, a withdrawal; a rebuild):
    unchanged documents are left alone, emptied ones dropped. Returns how many documents changed."""
    changed = 0
    for chunk in chunks(ids):
        wanted = {document.message_id: document for document in _message_documents(chunk, analyse)}
        with transaction.atomic():
            held = {row[0]: row[1:] for row in MessageDocument.objects.filter(message_id__in=chunk)
                    .values_list("message_id", "conversation_id", "private", "terms")}
            stale = [document for key, document in wanted.items()
                     if held.get(key) != (document.conversation_id, document.private, document.terms)]
            gone = [key for key in held if key not in wanted]
            if gone:
                MessageDocument.objects.filter(message_id__in=gone).delete()
            if stale:
                MessageDocument.objects.bulk_create(stale, update_conflicts=True, unique_fields=["message"],
                                                    update_fields=["conversation", "private", "terms"])
        changed += len(stale) + len(gone)
    return changed


def missing_messages(after: int, upto: int) -> list[int]:
    """Messages with ids in (after, upto] that have text and no document (nor an erased customer)."""
    has_document = MessageDocument.objects.filter(message_id=OuterRef("pk"))
    return list(Message.objects.filter(id__gt=after, id__lte=upto, conversation__contact__erased_at__isnull=True)
                .exclude(text="").filter(~Exists(has_document)).order_by("id").values_list("id", flat=True))


def drop_messages(ids: Iterable[int]) -> int:
    dropped = 0
    for chunk in chunks(ids, 2000):
        with transaction.atomic():
            dropped += MessageDocument.objects.filter(message_id__in=chunk).delete()[0]
    return dropped


# -- contacts -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _ContactSource:
    """What a contact's document is made of: if any of it changes, the document is made again."""

    name: str
    email: str
    phone: str
    identity_names: tuple[str, ...]
    hidden: bool  # merged into another contact, or erased: no document

    @property
    def digest(self) -> str:
        raw = "\x1f".join([self.name, self.email, self.phone, *self.identity_names, str(self.hidden)])
        return hashlib.md5(raw.encode(), usedforsecurity=False).hexdigest()

    def terms(self) -> str:
        return document_terms(self.name, *self.identity_names, self.email, _phone_terms(self.phone))


def _phone_terms(phone: str) -> str:
    """The phone number's digits as typed ("081-234-5678" → "0812345678"): a search for the whole number finds
    it as one word too, besides the exact lookup by its E.164 form."""
    return "".join(ch for ch in phone if ch.isdigit())


def _contact_sources(ids: list[int]) -> dict[int, _ContactSource]:
    names: dict[int, list[str]] = {}
    for contact_id, name in (Identity.objects.filter(contact_id__in=ids).exclude(display_name="")
                             .order_by("id").values_list("contact_id", "display_name")):
        names.setdefault(contact_id, []).append(name)
    sources = {}
    for contact_id, name, email, phone, merged, erased in Contact.objects.filter(pk__in=ids).values_list(
            "id", "name", "email", "phone", "merged_into_id", "erased_at"):
        hidden = merged is not None or erased is not None
        identity_names = tuple(dict.fromkeys(n for n in names.get(contact_id, []) if n != name))
        sources[contact_id] = _ContactSource(name=name, email=email, phone=phone,
                                             identity_names=() if hidden else identity_names, hidden=hidden)
    return sources


def refresh_contacts(ids: Iterable[int], *, force: bool = False) -> int:
    """Re-index the contacts whose indexed fields changed (by their digest; ``force``: all of them); drop the
    documents of merged-away, erased and deleted ones. Returns how many documents changed."""
    changed = 0
    for chunk in chunks(ids):
        sources = _contact_sources(chunk)
        held = dict(ContactDocument.objects.filter(contact_id__in=chunk).values_list("contact_id", "digest"))
        stale = [key for key, source in sources.items()
                 if not source.hidden and (force or held.get(key) != source.digest)]
        gone = [key for key in held if key not in sources or sources[key].hidden]
        documents = [ContactDocument(contact_id=key, terms=sources[key].terms(), digest=sources[key].digest)
                     for key in stale]
        with transaction.atomic():
            if gone:
                ContactDocument.objects.filter(contact_id__in=gone).delete()
            if documents:
                ContactDocument.objects.bulk_create(documents, update_conflicts=True, unique_fields=["contact"],
                                                    update_fields=["terms", "digest"])
        changed += len(documents) + len(gone)
    return changed


def missing_contacts(after: int, upto: int) -> list[int]:
    has_document = ContactDocument.objects.filter(contact_id=OuterRef("pk"))
    return list(Contact.objects.filter(id__gt=after, id__lte=upto, merged_into__isnull=True, erased_at__isnull=True)
                .filter(~Exists(has_document)).order_by("id").values_list("id", flat=True))
