"""The website chat connector: the visitor's browser is the provider, the websocket its API."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

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

# What of a bot's answer cards and quick replies the visitor's browser gets, and how long each part may be.
MAX_CARDS = 10
MAX_QUICK_REPLIES = 13
TITLE_CHARS = 200
CARD_TEXT_CHARS = 1000
URL_CHARS = 1000
LABEL_CHARS = 40
DATA_CHARS = 300
# What the widget learns of a survey question (to show a CSAT question as stars): never its invitation.
SURVEY_KINDS = frozenset({"csat", "nps", "ces"})
SURVEY_STEPS = frozenset({"followup", "thanks"})


def visitor_external_id(visitor_token: str) -> str:
    """The stored id of a visitor: a digest, so the browser's secret token is never kept server-side."""
    return "v" + hashlib.sha256(visitor_token.encode()).hexdigest()[:40]


def signed_attachment_path(attachment: Attachment) -> str:
    return "/widget/files/" + signing.dumps(attachment.pk, salt=ATTACHMENT_SALT) + "/"


def _cut(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _web_url(value: Any) -> str:
    """An absolute http(s) link, or "" (a javascript:, data: or relative one is dropped, never cut)."""
    url = value.strip() if isinstance(value, str) else ""
    if not url or len(url) > URL_CHARS or any(ord(c) < 33 or ord(c) == 127 for c in url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def _button(value: Any, keys: tuple[str, ...] = ("data", "text")) -> dict[str, str] | None:
    """{"label", "data"} and/or {"label", "text"}; None without a label, or with data the widget could not
    send back (what a visitor's postback may be: printable, at most DATA_CHARS)."""
    if not isinstance(value, dict):
        return None
    label = _cut(value.get("label"), LABEL_CHARS)
    if not label:
        return None
    button = {"label": label}
    for key in keys:
        if part := _cut(value.get(key), DATA_CHARS):
            button[key] = part
    if not button.get("data", "").isprintable():
        return None
    return button


def _card(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    card: dict[str, Any] = {
        "title": _cut(value.get("title"), TITLE_CHARS),
        "text": _cut(value.get("text"), CARD_TEXT_CHARS),
        "url": _web_url(value.get("url")),
        "link_label": _cut(value.get("link_label"), LABEL_CHARS),
    }
    action = _button(value.get("action"), keys=("data",))
    if action is not None:
        card["action"] = action
    if not (card["title"] or card["text"] or card["url"] or "action" in card):
        return None
    return card


def _survey(value: Any) -> dict[str, Any] | None:
    """A survey question's kind, its scale (two whole numbers) and its step, nothing else: the invitation
    and anything else the survey keeps stay on the server."""
    if not isinstance(value, dict) or value.get("kind") not in SURVEY_KINDS:
        return None
    survey: dict[str, Any] = {"kind": value["kind"]}
    scale = value.get("scale")
    if (isinstance(scale, (list, tuple)) and len(scale) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 10 for n in scale)
            and scale[0] < scale[1]):
        survey["scale"] = [scale[0], scale[1]]
    if value.get("step") in SURVEY_STEPS:
        survey["step"] = value["step"]
    return survey


def visitor_extras(metadata: Any) -> dict[str, Any]:
    """The answer cards and quick-reply buttons of an outgoing message, and what the widget needs to know of
    a survey question, cleaned for the browser: only the known keys, strings cut to size, only http(s)
    links."""
    if not isinstance(metadata, dict):
        return {}
    extras: dict[str, Any] = {}
    raw_cards = metadata.get("cards")
    if isinstance(raw_cards, list):
        cards = [c for c in (_card(v) for v in raw_cards[:MAX_CARDS]) if c is not None]
        if cards:
            extras["cards"] = cards
    raw_replies = metadata.get("quick_replies")
    if isinstance(raw_replies, list):
        replies = [r for r in (_button(v) for v in raw_replies[:MAX_QUICK_REPLIES]) if r is not None]
        if replies:
            extras["quick_replies"] = replies
    survey = _survey(metadata.get("survey"))
    if survey is not None:
        extras["survey"] = survey
    return extras


def serialize_for_visitor(message: Message) -> dict[str, Any]:
    """What the visitor's browser may see of a message (never private notes)."""
    sender = message.sender_type
    name = ""
    if sender == Message.Sender.AGENT and message.sender_user is not None:
        agent = getattr(message.sender_user, "agent", None)
        name = agent.name if agent else message.sender_user.get_username()
    extras = (
        visitor_extras(message.metadata)
        if message.direction == Message.Direction.OUTGOING and not message.is_private else {}
    )
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
        **extras,
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
        metadata: dict[str, Any] = {"page_url": data.get("page_url", "")[:500]} if data.get("page_url") else {}
        postback = data.get("postback")
        if isinstance(postback, str) and postback:
            # A pressed card or quick-reply button, read by the bot as LINE's and Messenger's postbacks are.
            metadata["postback"] = {"data": postback, "label": data.get("text", "")}
        return [
            InboundMessage(
                external_user_id=data["visitor"],
                provider_message_id=data["client_id"],
                text=data.get("text", ""),
                sender_name=data.get("name", ""),
                sender_email=data.get("email", ""),
                sender_language=data.get("language", ""),
                metadata=metadata,
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
