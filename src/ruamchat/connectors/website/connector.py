"""The website chat connector: the visitor's browser is the provider, the websocket its API."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core import signing
from django.utils.translation import gettext_noop

from ruamchat.connectors.base import (
    BaseConnector,
    Inbound,
    InboundMessage,
    InvalidSignature,
    RawEvent,
    RawRequest,
    SendResult,
    UnknownEventType,
)
from ruamchat.connectors.models import Channel, InboundEvent
from ruamchat.inbox.models import Attachment, Message
from ruamchat.realtime import events as rt

ATTACHMENT_SALT = "ruamchat.widget.attachment"


def visitor_external_id(visitor_token: str) -> str:
    """The stored id of a visitor: a digest, so the browser's secret token is never kept server-side."""
    return "v" + hashlib.sha256(visitor_token.encode()).hexdigest()[:40]


def signed_attachment_path(attachment: Attachment) -> str:
    return "/widget/files/" + signing.dumps(attachment.pk, salt=ATTACHMENT_SALT) + "/"


def serialize_for_visitor(message: Message) -> dict[str, Any]:
    """What the visitor's browser may see of a message (never private notes)."""
    sender = message.sender_type
    name = ""
    if sender == Message.Sender.AGENT and message.sender_user is not None:
        agent = getattr(message.sender_user, "agent", None)
        name = agent.name if agent else message.sender_user.get_username()
    return {
        "id": message.pk,
        "client_id": message.provider_message_id if message.direction == Message.Direction.INCOMING else None,
        "sender": sender,
        "name": name,
        "text": message.text,
        "created_at": message.created_at.isoformat(),
        "attachments": [
            {
                "kind": a.kind,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "url": signed_attachment_path(a) if a.file else a.external_url,
            }
            for a in message.attachments.all()
        ],
    }


class WebsiteConnector(BaseConnector):
    kind = "website"
    label = gettext_noop("Website chat")  # translated where shown
    event_types = frozenset({"message"})

    def verify(self, channel: Channel, request: RawRequest) -> None:
        # Visitors write through the widget's websocket and upload endpoint, never a webhook.
        raise InvalidSignature("the website channel has no webhook")

    def split(self, channel: Channel, request: RawRequest) -> list[RawEvent]:
        return []

    def parse(self, channel: Channel, event: InboundEvent) -> list[Inbound]:
        data = json.loads(bytes(event.payload))
        if data.get("type") != "message":
            raise UnknownEventType(str(data.get("type")))
        return [
            InboundMessage(
                external_user_id=data["visitor"],
                provider_message_id=data["client_id"],
                text=data.get("text", ""),
                sender_name=data.get("name", ""),
                sender_email=data.get("email", ""),
                sender_language=data.get("language", ""),
                metadata={"page_url": data.get("page_url", "")[:500]} if data.get("page_url") else {},
            )
        ]

    def send(self, channel: Channel, message: Message) -> SendResult:
        conversation = message.conversation
        identity = conversation.identity
        if identity is None:
            return SendResult.failed("the conversation has no visitor to send to", retryable=False)
        rt.publish(
            [rt.visitor_group(channel.pk, identity.external_id)],
            "widget.message",
            {"message": serialize_for_visitor(message)},
        )
        # Kept in the conversation either way: a visitor who is away sees it when they come back.
        return SendResult.sent()
