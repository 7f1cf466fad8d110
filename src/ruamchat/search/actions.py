"""Keeping the global search index current (the only writes of this app).

- New messages and contacts: ``catch_up`` (a background job every few seconds) indexes the messages added since
  its mark, in batches, so taking in a message never waits for Thai segmentation. Ids are handed out before
  commit: it looks again at the last ``LOOK_BACK`` ids before its mark for messages still without a document.
- Changed text: the inbox calls ``reindex_messages`` when a customer edits or withdraws a message.
- Changed contacts: the contacts app has no hook to us. A contact's document keeps a digest of what it was made
  of (name, email, phone, identities' names, merged/erased); the catch-up compares it for the contacts of every
  conversation that got a message (``identify`` renames on arrival) and for a slice of all contacts each run,
  going round them all in turn. ``reindex_contact`` does one at once (the contact page may call it).
- Erasure: ``forget_messages`` and ``forget_contact`` remove documents at once.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from ruamchat.contacts.models import Contact
from ruamchat.inbox.models import Message
from ruamchat.search import index
from ruamchat.search.models import ContactDocument, MessageDocument, SearchState
from ruamchat.search.terms import analyzer

logger = logging.getLogger("ruamchat.search")

#: ids before the mark looked at again (a transaction that took its ids before the last run and committed after)
LOOK_BACK = 1000
#: messages (or contacts) looked at per step of a catch-up
WINDOW = 5000
#: a catch-up stops starting new steps after this long (a backlog is finished by the next runs)
RUN_SECONDS = 20.0
#: contacts whose digest is compared per run, going round all of them
CONTACT_SCAN = 2000
#: how long a catch-up's claim holds if its process dies without releasing it
LEASE = timedelta(minutes=2)


@dataclass
class Result:
    messages: int = 0
    contacts: int = 0
    busy: bool = False  # another catch-up was running: this one did nothing


# -- what other apps call -----------------------------------------------------------------------------------

def forget_messages(*, message_ids: Iterable[int]) -> int:
    """Remove these messages from the index now (erasure, retention); returns how many documents went.
    The catch-up does not bring back a message of an erased customer, nor one whose text is empty."""
    dropped = index.drop_messages(message_ids)
    if dropped:
        _purge_deleted_words()
    return dropped


def forget_contact(*, contact_id: int) -> None:
    """Remove the contact's document and the documents of every message of its conversations, now."""
    with transaction.atomic():
        ContactDocument.objects.filter(contact_id=contact_id).delete()
        MessageDocument.objects.filter(conversation__contact_id=contact_id).delete()
        _purge_deleted_words()


def _purge_deleted_words() -> None:
    """SQLite's FTS5 only marks a deleted row as deleted: its words stay in the index's pages until they are merged.
    An erasure must not leave them there, so the index is rewritten ('optimize'; 'secure-delete' needs SQLite 3.42,
    Debian 12 has 3.40). PostgreSQL's tsvector is a column of the deleted row: nothing is left (VACUUM reclaims)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for table in ("search_contact_fts", "search_message_fts"):
            cursor.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")  # noqa: S608 (our table names)


def reindex_contact(*, contact_id: int) -> None:
    """Index the contact as it is now (or drop its document if it was merged away, erased or deleted)."""
    index.refresh_contacts([contact_id], force=True)


def reindex_messages(*, message_ids: Iterable[int]) -> None:
    """Bring these messages' documents up to date with their text once the current transaction commits (at once
    outside one). A failure is logged and left to a background job: it never fails the caller's change."""
    ids = sorted(set(message_ids))
    if ids:
        transaction.on_commit(partial(_reindex_now, ids), robust=True)


def _reindex_now(ids: list[int]) -> None:
    try:
        index.replace_messages(ids)
    except Exception:
        logger.exception("re-indexing messages %s failed; a job will try again", ids[:20])
        from ruamchat.jobs.queue import enqueue

        enqueue("search.reindex_messages", message_ids=ids)


def reindex_messages_now(*, message_ids: Iterable[int]) -> int:
    """The job's side of ``reindex_messages``."""
    return index.replace_messages(message_ids)


# -- the catch-up -------------------------------------------------------------------------------------------

def _state() -> SearchState:
    state, _created = SearchState.objects.get_or_create(pk=1)
    return state


def catch_up(*, seconds: float = RUN_SECONDS) -> Result:
    """Index the messages and contacts added since the last run, and the contacts that changed (one runner at a
    time: a run that finds another one busy returns at once)."""
    state = _state()
    now = timezone.now()
    claimed = SearchState.objects.filter(pk=state.pk).filter(
        Q(busy_until__isnull=True) | Q(busy_until__lt=now)).update(busy_until=now + LEASE)
    if not claimed:
        return Result(busy=True)
    deadline = time.monotonic() + seconds
    result = Result()
    try:
        touched: set[int] = set()
        message_mark = _messages_since(state.message_id, deadline, result, touched)
        contact_mark = _contacts_since(state.contact_id, deadline, result)
        result.contacts += index.refresh_contacts(touched)
        cursor = _scan_contacts(state.contact_cursor, result)
        SearchState.objects.filter(pk=state.pk).update(
            message_id=max(state.message_id, message_mark), contact_id=max(state.contact_id, contact_mark),
            contact_cursor=cursor, ran_at=now)
    finally:
        SearchState.objects.filter(pk=state.pk).update(busy_until=None)
    return result


def _messages_since(mark: int, deadline: float, result: Result, touched: set[int]) -> int:
    """Index the messages without a document from a little before ``mark``; returns how far it got."""
    top = Message.objects.aggregate(n=Max("id"))["n"] or 0
    position = max(mark - LOOK_BACK, 0)
    while position < top:
        upto = min(position + WINDOW, top)
        ids = index.missing_messages(position, upto)
        if ids:
            result.messages += index.add_messages(ids)
            touched.update(Message.objects.filter(pk__in=ids).values_list("conversation__contact_id", flat=True)
                           .distinct())
        position = upto
        if time.monotonic() > deadline:
            break
    return position


def _contacts_since(mark: int, deadline: float, result: Result) -> int:
    top = Contact.objects.aggregate(n=Max("id"))["n"] or 0
    position = max(mark - LOOK_BACK, 0)
    while position < top:
        upto = min(position + WINDOW, top)
        result.contacts += index.refresh_contacts(index.missing_contacts(position, upto))
        position = upto
        if time.monotonic() > deadline:
            break
    return position


def _scan_contacts(cursor: int, result: Result) -> int:
    """Compare the digests of the next ``CONTACT_SCAN`` contacts after ``cursor``; returns the next cursor (0
    after the last contact: the next run starts the round again)."""
    ids = list(Contact.objects.filter(id__gt=cursor).order_by("id").values_list("id", flat=True)[:CONTACT_SCAN])
    if not ids:
        return 0
    result.contacts += index.refresh_contacts(ids)
    return ids[-1] if len(ids) == CONTACT_SCAN else 0


def rebuild_all(*, processes: int = 1, progress: Callable[[str], None] | None = None) -> Result:
    """Index every message and contact again (after an upgrade that changes the analysis, or to repair);
    unchanged documents are left as they are. ``processes`` > 1: the text is analysed by that many processes
    (segmenting Thai is most of the work; this process reads and writes the database). Use
    ``ruamchat rebuild_search``."""
    if processes > 1:
        analyzer()  # loaded once, before the processes fork
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            return _rebuild(partial(pool.map, chunksize=64), progress)
    return _rebuild(index.serial, progress)


def _rebuild(analyse: index.Analyse, progress: Callable[[str], None] | None) -> Result:
    result = Result()
    started = time.monotonic()
    top = Message.objects.aggregate(n=Max("id"))["n"] or 0
    position = 0
    while position < top:
        upto = position + WINDOW
        ids = list(Message.objects.filter(id__gt=position, id__lte=upto).values_list("id", flat=True))
        with_documents = MessageDocument.objects.filter(message_id__gt=position, message_id__lte=upto)
        ids += list(with_documents.values_list("message_id", flat=True))  # documents of deleted messages go too
        result.messages += index.replace_messages(ids, analyse)
        position = upto
        if progress is not None:
            progress(f"messages up to id {position:,} of {top:,} ({time.monotonic() - started:.0f} s)")
    contact_top = Contact.objects.aggregate(n=Max("id"))["n"] or 0
    position = 0
    while position < contact_top:
        upto = position + WINDOW
        ids = list(Contact.objects.filter(id__gt=position, id__lte=upto).values_list("id", flat=True))
        result.contacts += index.refresh_contacts(ids, force=True)
        position = upto
    state = _state()
    SearchState.objects.filter(pk=state.pk).update(message_id=top, contact_id=contact_top, ran_at=timezone.now())
    return result
