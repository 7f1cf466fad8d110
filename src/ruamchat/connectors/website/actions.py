"""What a website visitor does: write, upload, tell us who they are."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ruamchat.connectors.base import InboundAttachment, InboundMessage
from ruamchat.connectors.models import Channel, InboundEvent
from ruamchat.connectors.registry import get as get_connector
from ruamchat.connectors.website.connector import visitor_external_id
from ruamchat.contacts.actions import identify
from ruamchat.contacts.models import Identity
from ruamchat.inbox.actions import check_upload, receive_message
from ruamchat.inbox.models import Message
from ruamchat.inbox.storage import StorageFull

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
VISITOR_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
POSTBACK_MAX_CHARS = 300


def check_visitor_token(token: str) -> str:
    if not VISITOR_TOKEN.match(token or ""):
        raise ValidationError(_("This chat session is not valid; reload the page."))
    return token


def check_postback(postback: object) -> str:
    """The data of a card or quick-reply button the visitor pressed ("" when they typed): at most
    POSTBACK_MAX_CHARS printable characters, kept exactly as the bot gave it."""
    if postback is None or postback == "":
        return ""
    if not isinstance(postback, str) or len(postback) > POSTBACK_MAX_CHARS or not postback.isprintable():
        raise ValidationError(_("The button you pressed could not be read; please type your answer instead."))
    return postback


def receive_visitor_message(
    *, channel: Channel, visitor_token: str, client_id: str, text: str = "", name: str = "", email: str = "",
    language: str = "", page_url: str = "", uploads: list[UploadedFile] | None = None, postback: str = "",
) -> Message:
    """Store a visitor's message once, however often the browser resends it (same ``client_id``).

    ``postback`` is the data of the button the visitor pressed (its label is the text), for the bot."""
    check_visitor_token(visitor_token)
    if not CLIENT_ID.match(client_id or ""):
        raise ValidationError(_("The message has no valid id."))
    postback = check_postback(postback)
    text = (text or "").replace("\x00", "").strip()
    uploads = uploads or []
    limit = settings.RUAMCHAT["WIDGET_MESSAGE_MAX_CHARS"]
    if len(text) > limit:
        raise ValidationError(_("Your message is too long: at most %(max)s characters.") % {"max": limit})
    if not text and not uploads:
        raise ValidationError(_("Write a message first."))
    for upload in uploads:
        check_upload(upload)
    existing = Message.objects.filter(channel=channel, provider_message_id=client_id).first()
    if existing is not None:
        return existing
    external_id = visitor_external_id(visitor_token)
    raw = {
        "type": "message", "visitor": external_id, "client_id": client_id, "text": text, "name": name[:200],
        "email": email[:254], "language": language[:8], "page_url": page_url[:500],
        "files": [{"name": u.name, "type": u.content_type, "size": u.size} for u in uploads],
        **({"postback": postback} if postback else {}),
    }
    with transaction.atomic():
        event, _created = InboundEvent.objects.get_or_create(
            channel=channel, provider_event_id=client_id,
            defaults={"event_type": "message", "payload": json.dumps(raw, ensure_ascii=False).encode()},
        )
        [inbound] = get_connector(channel.kind).parse(channel, event)
        assert isinstance(inbound, InboundMessage)  # the widget only ever sends messages
        if uploads:
            inbound = replace(inbound, attachments=tuple(
                InboundAttachment(
                    kind=(u.content_type or "").split("/")[0] if (u.content_type or "").split("/")[0]
                    in ("image", "video", "audio") else "file",
                    filename=(u.name or "file")[:200], content_type=(u.content_type or "").split(";")[0],
                    content=u.read(),
                )
                for u in uploads
            ))
        message = receive_message(channel=channel, inbound=inbound)
        if uploads and any(a.data.get("storage_full") for a in message.attachments.all()):
            # the visitor is still here to be told, and can send the file again later: nothing is kept
            raise StorageFull()
        InboundEvent.objects.filter(pk=event.pk).update(
            status=InboundEvent.Status.PROCESSED, processed_at=timezone.now()
        )
    return message


def identify_visitor(*, channel: Channel, visitor_token: str, name: str = "", email: str = "") -> Identity:
    """The optional pre-chat form: the visitor tells us their name and email."""
    check_visitor_token(visitor_token)
    email = (email or "").strip()
    if email:
        from django.core.validators import validate_email

        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(_("Please enter a valid email address.")) from None
    return identify(
        channel=channel, external_id=visitor_external_id(visitor_token), name=(name or "").strip()[:200],
        email=email,
    )
