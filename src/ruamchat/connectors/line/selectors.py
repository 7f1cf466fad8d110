"""Reads for the LINE channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from ruamchat.inbox.models import Conversation, Message

#: LINE does not promise how long a reply token lives ("about a minute"): stay well inside that
REPLY_TOKEN_WINDOW = timedelta(seconds=50)


def reply_token_candidate(conversation: Conversation, *, now: datetime | None = None) -> Message | None:
    """The conversation's latest customer message if its reply token may still be valid."""
    latest = (
        Message.objects.filter(conversation=conversation, direction=Message.Direction.INCOMING)
        .order_by("-id").first()
    )
    if latest is None:
        return None
    line = latest.metadata.get("line") or {}
    token, at_ms = line.get("reply_token"), line.get("reply_token_at")
    if not token or not isinstance(at_ms, int | float):
        return None
    received = datetime.fromtimestamp(at_ms / 1000, tz=UTC)
    if (now or timezone.now()) - received >= REPLY_TOKEN_WINDOW:
        return None
    return latest


def quick_reply_label(*, channel_id: int, chat_id: str, data: str) -> str:
    """The label of the quick-reply button we offered with this postback data, if we offered one."""
    recent = (
        Message.objects.filter(
            channel_id=channel_id, direction=Message.Direction.OUTGOING,
            conversation__identity__external_id=chat_id, metadata__has_key="quick_replies",
        ).order_by("-id").values_list("metadata", flat=True)[:10]
    )
    for metadata in recent:
        actions = [card.get("action") for card in metadata.get("cards") or [] if isinstance(card, dict)]
        for item in [*(metadata.get("quick_replies") or []), *actions]:
            if isinstance(item, dict) and item.get("data") == data:
                return str(item.get("label", ""))
    return ""
