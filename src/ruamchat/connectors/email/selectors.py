"""Reads for mailboxes."""

from __future__ import annotations

from datetime import datetime

from ruamchat.connectors.email.models import MailboxState
from ruamchat.connectors.models import Channel, InboundEvent
from ruamchat.inbox.models import Attachment, Conversation, Message
from ruamchat.inbox.selectors import AnyUser, can_view


def channel_for_address(address: str) -> Channel | None:
    """The active email channel that receives mail for ``address`` (support+anything@ counts as support@)."""
    address = address.strip().strip("<>").lower()
    local, _at, domain = address.partition("@")
    if not domain:
        return None
    base = f"{local.split('+', 1)[0]}@{domain}"
    for channel in Channel.objects.filter(kind="email", is_active=True):
        if str(channel.config.get("address", "")).strip().lower() in (address, base):
            return channel
    return None


def mailbox_state(channel: Channel) -> MailboxState | None:
    return MailboxState.objects.filter(channel=channel).first()


def email_message(user: AnyUser, message_id: int) -> Message | None:
    """A message of an email channel the user may see."""
    message = (Message.objects.select_related("conversation", "channel")
               .filter(pk=message_id, channel__kind="email").first())
    if message is None or not can_view(user, message.conversation):
        return None
    return message


def raw_mail(message: Message) -> bytes | None:
    """The mail exactly as it arrived, for download and re-parsing."""
    event_id = (message.metadata or {}).get("email", {}).get("raw_event_id")
    if not event_id:
        return None
    payload = (InboundEvent.objects.filter(pk=event_id, channel_id=message.channel_id)
               .values_list("payload", flat=True).first())
    return bytes(payload) if payload is not None else None


def inline_attachments(message: Message) -> dict[str, Attachment]:
    """The message's attachments by Content-ID (for cid: references in its HTML)."""
    return {a.data["content_id"]: a for a in message.attachments.all() if a.data.get("content_id") and a.file}


def email_meta_of(channel: Channel, provider_message_id: str) -> dict | None:
    """The email details stored with the mailbox's message of this id (None: no such message)."""
    metadata = (Message.objects.filter(channel=channel, provider_message_id=provider_message_id)
                .values_list("metadata", flat=True).first())
    if metadata is None:
        return None
    found = (metadata or {}).get("email")
    return found if isinstance(found, dict) else {}


def last_incoming_email_meta(conversation: Conversation) -> dict:
    metadata = (Message.objects.filter(conversation=conversation, direction=Message.Direction.INCOMING)
                .order_by("-id").values_list("metadata", flat=True).first()) or {}
    found = metadata.get("email")
    return found if isinstance(found, dict) else {}


def automatic_mails_since(channel: Channel, identity_id: int, since: datetime) -> int:
    """Automatic (not agent-written) messages sent to this address since ``since``."""
    return Message.objects.filter(
        channel=channel, conversation__identity_id=identity_id, direction=Message.Direction.OUTGOING,
        is_private=False, created_at__gte=since,
    ).exclude(sender_type=Message.Sender.AGENT).count()


def parent_of(message: Message) -> Message | None:
    """The mail a reply answers: the customer's latest mail before it (else our own latest sent one)."""
    earlier = Message.objects.filter(conversation_id=message.conversation_id, pk__lt=message.pk, is_private=False)
    incoming = earlier.filter(direction=Message.Direction.INCOMING).order_by("-id").first()
    return incoming or earlier.filter(direction=Message.Direction.OUTGOING).exclude(
        provider_message_id=None).order_by("-id").first()
