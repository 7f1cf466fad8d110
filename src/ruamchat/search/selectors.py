"""The global search: contacts, conversations and messages an agent may see, for what they typed.

- ``#123`` or ``123``: conversation 123 (and messages with the number 123 in them: order numbers).
- An email address or a phone number, however written: the contact with it, and their latest conversations.
- Words: contacts whose name (or a channel name, email, phone) holds every word; messages holding every word,
  newest first, each with its passage and the words marked.

Messages come newest first, not best first: an agent searching the inbox is after a customer's recent exchange
("สีไม่ตรงปก" from this week, not the best-worded complaint of last year), every word must match so what is found
is already on topic, and the index can stop after the newest matches instead of ranking every message with a
common word, which keeps a search as fast with a million messages as with a thousand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import F, QuerySet
from django.utils.safestring import SafeString

from ruamchat.contacts.models import Contact
from ruamchat.inbox.models import Conversation, Message
from ruamchat.inbox.selectors import visible_contacts, visible_conversations
from ruamchat.search import backends
from ruamchat.search.terms import Query, highlight, parse

AnyUser = User | AnonymousUser

CONTACTS = 10
CONVERSATIONS = 10
#: matching contacts read from the index before the permission check, at most
CONTACT_CANDIDATES = 500
#: matching messages read from the index for one search, at most (an agent who may see few of the matching
#: messages gets the newest visible ones among these, and is told there may be older ones)
MESSAGE_SCAN = 20_000


@dataclass(frozen=True)
class MessageHit:
    message: Message
    snippet: SafeString

    @property
    def conversation(self) -> Conversation:
        return self.message.conversation


@dataclass(frozen=True)
class Results:
    query: Query
    contacts: list[Contact] = field(default_factory=list)
    conversations: list[Conversation] = field(default_factory=list)
    messages: list[MessageHit] = field(default_factory=list)
    #: more messages match than are shown (the newest ``limit`` are)
    more_messages: bool = False

    @property
    def too_short(self) -> bool:
        return self.query.too_short

    @property
    def empty(self) -> bool:
        return not (self.contacts or self.conversations or self.messages)


def search(user: AnyUser, query: str, *, limit: int = 20) -> Results:
    """What ``user`` may see for ``query``: contacts, conversations, and the newest ``limit`` messages."""
    parsed = parse(query)
    if parsed.too_short or not user.is_authenticated:
        return Results(query=parsed)
    contacts, exact = _contacts(user, parsed)
    messages, more = _messages(user, parsed, limit)
    return Results(query=parsed, contacts=contacts, conversations=_conversations(user, parsed, exact),
                   messages=messages, more_messages=more)


def _shown_contacts(user: AnyUser) -> QuerySet[Contact]:
    return visible_contacts(user).filter(merged_into__isnull=True, erased_at__isnull=True)


def _contacts(user: AnyUser, query: Query) -> tuple[list[Contact], list[int]]:
    """The contacts found, and the ids of those found by their email address or phone number exactly."""
    exact: list[int] = []
    if query.email:
        exact += _shown_contacts(user).filter(email=query.email).values_list("id", flat=True)[:CONTACTS]
    if query.phone:
        exact += _shown_contacts(user).filter(phone_key=query.phone).values_list("id", flat=True)[:CONTACTS]
    found: list[int] = list(dict.fromkeys(exact))
    if query.words and len(found) < CONTACTS:
        candidates = backends.contacts(query.words, query.prefix, limit=CONTACT_CANDIDATES)
        if candidates:
            found += (_shown_contacts(user).filter(pk__in=candidates).exclude(pk__in=found)
                      .order_by(F("last_seen_at").desc(nulls_last=True), "-id")
                      .values_list("id", flat=True)[:CONTACTS - len(found)])
    if not found:
        return [], []
    rows = Contact.objects.in_bulk(found)
    return [rows[pk] for pk in found if pk in rows], exact


def _conversations(user: AnyUser, query: Query, contact_ids: list[int]) -> list[Conversation]:
    """Conversation ``#number``, then the latest conversations of a contact found by email or phone."""
    visible = visible_conversations(user).select_related("contact", "channel", "assignee", "team")
    found: list[Conversation] = []
    if query.number is not None:
        found += visible.filter(pk=query.number)
    if contact_ids:
        found += visible.filter(contact_id__in=contact_ids).exclude(pk=query.number or 0).order_by("-id")[
            :CONVERSATIONS - len(found)]
    return found


def _messages(user: AnyUser, query: Query, limit: int) -> tuple[list[MessageHit], bool]:
    """The newest ``limit`` visible messages holding every word, and whether there are more. The index gives
    matches newest first in growing steps; each step's conversations are checked against what the user may see
    (one query: ``visible_conversations(user)`` among those few ids)."""
    if not query.words or limit <= 0:
        return [], False
    visible = visible_conversations(user).filter(contact__erased_at__isnull=True)
    matches = backends.Newest("messages", query.words, query.prefix)
    found: list[int] = []
    step = limit + 1
    scanned = 0
    more = False
    while True:
        rows = matches.take(step)
        scanned += len(rows)
        allowed = set(visible.filter(pk__in={conversation for _m, conversation in rows})
                      .values_list("pk", flat=True)) if rows else set()
        found += [message for message, conversation in rows if conversation in allowed]
        if len(found) > limit:
            more = True
            break
        if len(rows) < step:
            break
        if scanned >= MESSAGE_SCAN:
            more = True
            break
        step = min(step * 4, MESSAGE_SCAN - scanned, 5000)
    shown = found[:limit]
    messages = Message.objects.select_related("conversation__contact", "conversation__channel", "sender_user__agent") \
        .in_bulk(shown)
    hits = [MessageHit(message=messages[pk], snippet=highlight(messages[pk].text, query))
            for pk in shown if pk in messages]
    return hits, more
