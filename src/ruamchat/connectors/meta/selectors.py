"""Reads for the Messenger and Instagram channels."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Max

from ruamchat.connectors.models import Channel
from ruamchat.inbox.models import Conversation, Message

KINDS = ("messenger", "instagram")


def last_customer_message_at(channel: Channel, conversation: Conversation) -> datetime | None:
    """When this customer last wrote to the channel, in any of their conversations: Meta's messaging
    window counts from the customer's last message, whichever ruamchat conversation holds it."""
    if conversation.identity_id is None:
        return None
    found: datetime | None = Message.objects.filter(
        channel=channel, conversation__identity_id=conversation.identity_id,
        direction=Message.Direction.INCOMING,
    ).aggregate(last=Max("created_at"))["last"]
    return found
