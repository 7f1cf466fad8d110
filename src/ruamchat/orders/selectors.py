"""Reads for the order panel: which order numbers the customer has written, and who may look orders up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User

from ruamchat.accounts.selectors import profile_for
from ruamchat.contacts.models import Contact
from ruamchat.inbox.models import Conversation, Message
from ruamchat.inbox.selectors import visible_conversations
from ruamchat.orders.lookup import OrderResult, active_sources, lookup_many
from ruamchat.orders.models import OrderSource

#: the newest numbers looked up in a panel
MAX_NUMBERS = 5
#: the contact's other conversations searched besides the one open
OTHER_CONVERSATIONS = 5
#: the newest customer messages searched
MAX_MESSAGES = 300


@dataclass(frozen=True)
class Mention:
    """An order number the customer wrote: where and when it was last written."""

    number: str
    conversation_id: int
    at: datetime


@dataclass(frozen=True)
class Found:
    mention: Mention
    result: OrderResult


def is_agent(user: User | AnonymousUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and profile_for(user).pk is not None)


def _mentions(conversation_ids: list[int], sources: list[OrderSource], limit: int) -> list[Mention]:
    """The newest ``limit`` distinct numbers in the customers' messages of ``conversation_ids``."""
    if not sources or not conversation_ids:
        return []
    rows = (
        Message.objects.filter(conversation_id__in=conversation_ids, sender_type=Message.Sender.CONTACT,
                               is_private=False)
        .exclude(text="").order_by("-created_at", "-id").values_list("conversation_id", "text", "created_at")
    )[:MAX_MESSAGES]
    found: dict[str, Mention] = {}
    for conversation_id, text, created_at in rows:
        for source in sources:
            for number in source.find_numbers(text):
                if number not in found:
                    found[number] = Mention(number=number, conversation_id=conversation_id, at=created_at)
                    if len(found) >= limit:
                        return list(found.values())
    return list(found.values())


def mentions_in_conversation(user: User, conversation: Conversation, *, sources: list[OrderSource] | None = None,
                             limit: int = MAX_NUMBERS) -> list[Mention]:
    """Numbers in this conversation and the contact's other recent conversations the user can see."""
    others = list(
        visible_conversations(user).filter(contact_id=conversation.contact_id).exclude(pk=conversation.pk)
        .order_by("-created_at").values_list("pk", flat=True)[:OTHER_CONVERSATIONS]
    )
    return _mentions([conversation.pk, *others], active_sources() if sources is None else sources, limit)


def mentions_of_contact(user: User, contact: Contact, *, sources: list[OrderSource] | None = None,
                        limit: int = MAX_NUMBERS) -> list[Mention]:
    ids = list(visible_conversations(user).filter(contact_id=contact.pk).order_by("-created_at")
               .values_list("pk", flat=True)[:OTHER_CONVERSATIONS + 1])
    return _mentions(ids, active_sources() if sources is None else sources, limit)


def looked_up(mentions: list[Mention]) -> list[Found]:
    """Each mention with its lookup, asked side by side."""
    results = lookup_many([m.number for m in mentions])
    return [Found(mention=m, result=r) for m, r in zip(mentions, results, strict=True)]


def has_sources() -> bool:
    return OrderSource.objects.filter(active=True).exists()
