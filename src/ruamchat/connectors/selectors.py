"""Reads for channels."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from ruamchat.connectors.models import Channel
from ruamchat.inbox.models import Attachment, Message


def all_channels() -> QuerySet[Channel]:
    return Channel.objects.select_related("default_team").order_by("name", "id")


def get_channel(channel_id: int) -> Channel | None:
    return all_channels().filter(pk=channel_id).first()


def webhook_url(channel: Channel) -> str:
    """Where the provider posts this channel's events (pasted into the provider's console)."""
    return f"{settings.RUAMCHAT_PUBLIC_URL}/hooks/{channel.kind}/{channel.key}/"


def embed_snippet(channel: Channel) -> str | None:
    """The script tag a website pastes to show the chat bubble (website channels only)."""
    if channel.kind != "website":
        return None
    return f'<script src="{settings.RUAMCHAT_PUBLIC_URL}/widget/{channel.key}.js" async></script>'


def outbound_attachment(attachment_id: int, kinds: tuple[str, ...]) -> Attachment | None:
    """A file of a message sent to a customer on one of ``kinds`` (never a private note's, never a customer's)."""
    return Attachment.objects.filter(
        pk=attachment_id, message__direction=Message.Direction.OUTGOING, message__is_private=False,
        message__channel__kind__in=kinds,
    ).first()
