"""Names that carry a conversation's number safely: our Message-IDs and the per-conversation reply address.

The short HMAC makes a forged token ("support+c7.xxxx@") name no conversation, so nobody can slip mail
into someone else's conversation by guessing numbers."""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

_PLUS_TAG = re.compile(r"^c(\d{1,12})\.([0-9a-f]{10})$")
_OUR_ID = re.compile(r"^rc\.(\d{1,12})\.(\d{1,12})\.([0-9a-f]{10})@")


def _mac(*parts: object) -> str:
    key = f"ruamchat.email:{settings.SECRET_KEY}".encode()
    return hmac.new(key, ".".join(str(p) for p in parts).encode(), hashlib.sha256).hexdigest()[:10]


def reply_tag(conversation_id: int) -> str:
    return f"c{conversation_id}.{_mac('c', conversation_id)}"


def conversation_from_tag(tag: str) -> int | None:
    match = _PLUS_TAG.match(tag.strip().lower())
    if match and hmac.compare_digest(match.group(2), _mac("c", int(match.group(1)))):
        return int(match.group(1))
    return None


def message_id(conversation_id: int, message_pk: int, domain: str) -> str:
    """Our Message-ID for an outgoing message (without angle brackets). The same on every retry of a send,
    so a mail that went out twice is recognisably one message."""
    return f"rc.{conversation_id}.{message_pk}.{_mac('m', conversation_id, message_pk)}@{domain}"


def conversation_from_message_id(value: str) -> int | None:
    match = _OUR_ID.match(value)
    if match and hmac.compare_digest(match.group(3), _mac("m", int(match.group(1)), int(match.group(2)))):
        return int(match.group(1))
    return None
