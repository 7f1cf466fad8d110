"""The LINE Official Account connector: signed webhooks in, reply-token or push messages out."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import mimetypes
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ruamchat.connectors.base import (
    BaseConnector,
    ContactStatusChange,
    FetchedContent,
    IgnoredEvent,
    Inbound,
    InboundAttachment,
    InboundMessage,
    InvalidSignature,
    MalformedPayload,
    MessageWithdrawn,
    Notice,
    ProfileInfo,
    RawEvent,
    RawRequest,
    SendResult,
    ThreadEvent,
    UnknownEventType,
    as_dict,
    as_list,
    load_json,
    provider_id,
    stored_link,
)
from ruamchat.connectors.line import selectors
from ruamchat.connectors.line.client import LineClient, LineError
from ruamchat.connectors.line.files import signed_file_url
from ruamchat.connectors.line.models import MemberName, ReplyTokenUse
from ruamchat.connectors.models import Channel, InboundEvent
from ruamchat.core.secrets import SecretsUnreadable
from ruamchat.inbox.models import Attachment, Message
from ruamchat.jobs.queue import Retry

TEXT_LIMIT = 5000  # characters per LINE text message
MEMBER_NAME_FRESH = timedelta(days=1)
MESSAGES_PER_REQUEST = 5
QUICK_REPLY_ITEMS = 13
QUICK_REPLY_LABEL = 20
POSTBACK_DATA_LIMIT = 300
FLEX_BUBBLES = 12  # a carousel holds at most 12 bubbles
FLEX_ALT_TEXT = 400
FLEX_LABEL = 40
FLEX_TEXT = 2000
IMAGE_MAX_BYTES = 10 * 1024 * 1024
VIDEO_MAX_BYTES = 200 * 1024 * 1024
NOT_READY_DELAY = timedelta(seconds=20)
#: retry keys are derived, not random, so every retry of one message part carries the same key
RETRY_KEY_NAMESPACE = uuid.UUID("5b0c4f3e-8f7e-4a43-9d55-6c1f0e1b7a21")

MEDIA_KINDS = {"image", "video", "audio", "file"}
TRANSCODED_KINDS = {"video", "audio"}
STICKER_URL = "https://stickershop.line-scdn.net/stickershop/v1/sticker/{id}/android/sticker.png"
MAP_URL = "https://www.google.com/maps/search/?api=1&query={lat},{lng}"
#: what an emoji placeholder reads as when LINE gives no alt text ("$" or "()") for it
EMOJI_TEXT = "(emoji)"
#: LINE's user, group, room and message ids: only ids like these go into a LINE API address
LINE_ID = re.compile(r"^[A-Za-z0-9]{1,100}$")


def _sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _time(ms: Any) -> datetime | None:
    if not isinstance(ms, int | float):
        return None
    try:
        return datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, ValueError, OSError):  # a time no calendar holds
        return None


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "", [], {})}


def readable_text(message: dict[str, Any]) -> str:
    """A text message as the customer saw it. LINE emojis arrive as placeholders described in an
    ``emojis`` list (indexes in UTF-16 units): keep alt text like "(hello)", name bare "$" / "()"."""
    text = str(message.get("text", ""))
    emojis = [e for e in as_list(message.get("emojis")) if isinstance(e, dict) and isinstance(e.get("index"), int)]
    if not emojis:
        return text
    units = text.encode("utf-16-le")
    pieces: list[bytes] = []
    done = 0  # units before this byte are in ``pieces``; placeholders overlapping them are left as they are
    for emoji in sorted(emojis, key=lambda e: e["index"]):
        start = emoji["index"] * 2
        length = emoji.get("length")
        end = start + (length if isinstance(length, int) and length > 0 else 1) * 2
        if start < done or start >= len(units):
            continue
        span = units[start:end].decode("utf-16-le", errors="replace")
        if span.strip("()$ "):
            continue  # already readable alt text
        pieces += [units[done:start], EMOJI_TEXT.encode("utf-16-le")]
        done = end
    return b"".join([*pieces, units[done:]]).decode("utf-16-le", errors="replace")


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut text into LINE-sized pieces (counted in UTF-16 units, as LINE counts), at a line break or
    space near the end of a piece when there is one, never inside a surrogate pair."""
    pieces: list[str] = []
    rest = text
    while rest:
        units = 0
        cut = len(rest)
        for i, char in enumerate(rest):
            units += 2 if ord(char) > 0xFFFF else 1
            if units > limit:
                cut = i
                break
        if cut < len(rest):
            window = rest[max(cut - 500, 0):cut]
            brk = max(window.rfind("\n"), window.rfind(" "))
            if brk > 0:
                cut = max(cut - 500, 0) + brk + 1
        piece, rest = rest[:cut], rest[cut:]
        if piece.strip():
            pieces.append(piece.rstrip() if rest else piece)
    return pieces


def _chat_of(source: dict[str, Any]) -> tuple[str, str]:
    """(thread id, member id): a group or room chat has a thread; a one-to-one chat has none."""
    user_id = provider_id(source.get("userId", ""))
    if source.get("type") == "group":
        return provider_id(source.get("groupId", "")), user_id
    if source.get("type") == "room":
        return provider_id(source.get("roomId", "")), user_id
    return "", user_id


class LineConnector(BaseConnector):
    kind = "line"
    label = gettext_noop("LINE Official Account")
    event_types = frozenset({
        "message", "follow", "unfollow", "postback", "unsend", "join", "leave", "memberJoined", "memberLeft",
    })

    # ------------------------------------------------------------ settings

    def validate_settings(self, config: dict[str, Any], secrets: dict[str, Any]) -> dict[str, list[str]]:
        """Field errors for a LINE channel's settings (empty when they are usable)."""
        errors: dict[str, list[str]] = {}
        if not str(secrets.get("channel_secret") or "").strip():
            errors["channel_secret"] = [_("Enter the channel secret from the LINE Developers console.")]
        if not str(secrets.get("access_token") or "").strip():
            errors["access_token"] = [_("Enter the channel access token from the LINE Developers console.")]
        channel_id = str(config.get("line_channel_id") or "").strip()
        if channel_id and not channel_id.isdigit():
            errors["line_channel_id"] = [_("The LINE channel ID is a number.")]
        return errors

    # ------------------------------------------------------------ webhook

    def verify(self, channel: Channel, request: RawRequest) -> None:
        try:
            secret = str(channel.secrets.get("channel_secret") or "")
        except SecretsUnreadable as exc:
            raise InvalidSignature("the channel secret cannot be read: enter it again") from exc
        given = request.headers.get("x-line-signature", "").encode()  # bytes: a non-ASCII header is just wrong
        if not secret or not given or not hmac.compare_digest(_sign(secret, request.body).encode(), given):
            raise InvalidSignature("x-line-signature does not match the body")

    def split(self, channel: Channel, request: RawRequest) -> list[RawEvent]:
        try:
            body = load_json(request.body)
        except ValueError as exc:
            raise MalformedPayload(f"not JSON: {exc}") from exc
        if not isinstance(body, dict) or not isinstance(body.get("events"), list):
            raise MalformedPayload("expected an object with an events list")
        found: list[RawEvent] = []
        for event in body["events"]:
            if not isinstance(event, dict):
                raise MalformedPayload("an event is not an object")
            event = {**event, "destination": body.get("destination", "")}
            payload = json.dumps(event, ensure_ascii=False).encode()
            # Every current LINE event has a webhookEventId; a digest keeps an old-style one unique too.
            event_id = str(event.get("webhookEventId") or "sha256:" + hashlib.sha256(payload).hexdigest())
            found.append(RawEvent(provider_event_id=event_id, event_type=str(event.get("type", "")),
                                  payload=payload))
        return found

    def parse(self, channel: Channel, event: InboundEvent) -> list[Inbound]:
        try:
            data = load_json(bytes(event.payload))
        except ValueError as exc:
            raise IgnoredEvent(f"the stored LINE event cannot be read: {exc}") from exc
        if not isinstance(data, dict):
            raise IgnoredEvent("the stored LINE event is not an object")
        kind = data.get("type")
        thread_id, user_id = _chat_of(as_dict(data.get("source")))
        if kind == "message":
            return [self._message(data, thread_id, user_id, self._member_name(channel, thread_id, user_id))]
        if kind == "postback":
            return [self._postback(channel, data, thread_id, user_id)]
        if kind in ("follow", "unfollow"):
            if kind == "unfollow":
                status = "unfollowed"
            else:
                status = "unblocked" if as_dict(data.get("follow")).get("isUnblocked") else "followed"
            return [ContactStatusChange(user_id, status, _time(data.get("timestamp")))]
        if kind == "unsend":
            return [MessageWithdrawn(provider_id(as_dict(data.get("unsend")).get("messageId", "")))]
        if kind in ("join", "leave"):
            return [ThreadEvent(thread_id, "joined" if kind == "join" else "left")]
        if kind in ("memberJoined", "memberLeft"):
            members = as_dict(data.get("joined") if kind == "memberJoined" else data.get("left"))
            ids = tuple(provider_id(m["userId"]) for m in as_list(members.get("members"))
                        if isinstance(m, dict) and m.get("userId"))
            return [ThreadEvent(thread_id, "member_joined" if kind == "memberJoined" else "member_left", ids)]
        raise UnknownEventType(f"LINE event type {kind!r} is not handled")

    def _line_metadata(self, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return _compact({
            "reply_token": data.get("replyToken"),
            "reply_token_at": data.get("timestamp") if data.get("replyToken") else None,
            "webhook_event_id": data.get("webhookEventId"),
            "mode": data.get("mode"),
            **extra,
        })

    @staticmethod
    def _member_name(channel: Channel, thread_id: str, user_id: str) -> str:
        """Who wrote in a group: cached a day; a LINE hiccup leaves the name out, never the message."""
        if not LINE_ID.match(thread_id) or not LINE_ID.match(user_id):
            return ""
        cached = MemberName.objects.filter(channel=channel, chat_id=thread_id, user_id=user_id).first()
        if cached is not None and cached.fetched_at > timezone.now() - MEMBER_NAME_FRESH:
            return cached.name
        try:
            with LineClient.for_channel(channel) as client:
                name = str(client.member_profile(thread_id, user_id).get("displayName", ""))[:200]
        except LineError:
            return cached.name if cached is not None else ""
        MemberName.objects.update_or_create(
            channel=channel, chat_id=thread_id, user_id=user_id,
            defaults={"name": name, "fetched_at": timezone.now()},
        )
        return name

    def _message(self, data: dict[str, Any], thread_id: str, user_id: str, member_name: str = "") -> InboundMessage:
        message = as_dict(data.get("message"))
        mtype = str(message.get("type", ""))
        message_id = provider_id(message.get("id", ""))
        text = ""
        attachments: tuple[InboundAttachment, ...] = ()
        extra: dict[str, Any] = {}
        if mtype == "text":
            text = readable_text(message)
            extra["emojis"] = [_compact({"product_id": e.get("productId"), "emoji_id": e.get("emojiId")})
                               for e in as_list(message.get("emojis")) if isinstance(e, dict)]
            mentionees = as_list(as_dict(message.get("mention")).get("mentionees"))
            extra["mentions"] = [_compact({"user_id": m.get("userId"), "type": m.get("type"),
                                           "is_self": m.get("isSelf")}) for m in mentionees if isinstance(m, dict)]
        elif mtype in MEDIA_KINDS:
            attachments = (self._media(message, mtype, message_id),)
        elif mtype == "location":
            title, address = str(message.get("title") or ""), str(message.get("address") or "")
            text = "📍 " + ", ".join(p for p in (title, address) if p) if (title or address) else "📍"
            lat, lng = message.get("latitude"), message.get("longitude")
            attachments = (InboundAttachment(
                kind="location", url=stored_link(MAP_URL.format(lat=lat, lng=lng)),
                data={"title": title, "address": address, "latitude": lat, "longitude": lng},
            ),)
        elif mtype == "sticker":
            keywords = [str(k) for k in as_list(message.get("keywords"))]
            text = str(message.get("text") or "") or ", ".join(keywords)
            sticker_id = str(message.get("stickerId", ""))
            attachments = (InboundAttachment(
                kind="sticker", url=stored_link(STICKER_URL.format(id=sticker_id)),
                data=_compact({"package_id": str(message.get("packageId", "")), "sticker_id": sticker_id,
                               "keywords": keywords, "resource_type": message.get("stickerResourceType")}),
            ),)
        else:
            raise UnknownEventType(f"LINE message type {mtype!r} is not handled")
        metadata = {"line": self._line_metadata(
            data, message_type=mtype, quote_token=message.get("quoteToken"),
            quoted_message_id=message.get("quotedMessageId"), mark_as_read_token=message.get("markAsReadToken"),
            **extra,
        )}
        return InboundMessage(
            external_user_id=user_id, provider_message_id=message_id, text=text, attachments=attachments,
            sent_at=_time(data.get("timestamp")), metadata=metadata, thread_id=thread_id,
            sender_name=member_name,
        )

    def _media(self, message: dict[str, Any], kind: str, message_id: str) -> InboundAttachment:
        provider = as_dict(message.get("contentProvider")) or {"type": "line"}
        data = _compact({
            "duration_ms": message.get("duration"),
            "image_set": message.get("imageSet"),
            "size": message.get("fileSize"),
        })
        filename = str(message.get("fileName") or "")
        if provider.get("type") == "external":
            return InboundAttachment(kind=kind, filename=filename, url=stored_link(provider.get("originalContentUrl")),
                                     data=_compact({**data, "preview_url": provider.get("previewImageUrl")}))
        size = message.get("fileSize")
        if isinstance(size, int) and size > settings.RUAMCHAT["UPLOAD_MAX_BYTES"]:
            return InboundAttachment(kind=kind, filename=filename, data={**data, "too_large": size})
        if not LINE_ID.match(message_id):  # not LINE's: there is no content to ask LINE for
            return InboundAttachment(kind=kind, filename=filename, data=data)
        ref = f"content:{message_id}:{kind}" if kind in TRANSCODED_KINDS else f"content:{message_id}"
        return InboundAttachment(kind=kind, filename=filename, data=data, fetch_ref=ref)

    def _postback(self, channel: Channel, data: dict[str, Any], thread_id: str, user_id: str) -> InboundMessage:
        postback = as_dict(data.get("postback"))
        value = str(postback.get("data", ""))
        params = as_dict(postback.get("params"))
        label = selectors.quick_reply_label(channel_id=channel.pk, chat_id=thread_id or user_id, data=value)
        text = label or f"[postback] {value}"
        picked = next((str(params[k]) for k in ("datetime", "date", "time") if params.get(k)), "")
        if picked:
            text = f"{text} ({picked})"
        return InboundMessage(
            external_user_id=user_id, provider_message_id=provider_id(f"postback:{data.get('webhookEventId', '')}"),
            text=text, sent_at=_time(data.get("timestamp")), thread_id=thread_id,
            metadata={"postback": _compact({"data": value, "params": params, "label": label}),
                      "line": self._line_metadata(data, message_type="postback")},
        )

    # ------------------------------------------------------------ sending

    def send(self, channel: Channel, message: Message) -> SendResult:
        identity = message.conversation.identity
        if identity is None:
            return SendResult.failed(_("This conversation has no LINE chat to send to."), retryable=False)
        if identity.blocked_at is not None:
            return SendResult.failed(
                _("The customer has blocked this LINE account, so the message cannot be delivered."),
                retryable=False,
            )
        objects = self.build_messages(message)
        if not objects:
            return SendResult.failed(_("There is nothing to send."), retryable=False)
        batches = [objects[i:i + MESSAGES_PER_REQUEST] for i in range(0, len(objects), MESSAGES_PER_REQUEST)]
        first_id = ""
        try:
            with LineClient.for_channel(channel) as client:
                start, first_id = self._reply_first_batch(client, message, batches[0])
                for index in range(start, len(batches)):
                    answer = client.push(identity.external_id, batches[index],
                                         retry_key=self.retry_key(channel, message, index))
                    first_id = first_id or _first_sent_id(answer)
        except LineError as exc:
            return SendResult.failed(exc.text, retryable=exc.retryable)
        return SendResult.sent(first_id)

    def _reply_first_batch(self, client: LineClient, message: Message,
                           batch: list[dict[str, Any]]) -> tuple[int, str]:
        """Send the first batch with the reply token when the reply is still free to use.

        Returns the index of the first batch left to push and LINE's id of the first message sent."""
        used = ReplyTokenUse.objects.filter(outbound_message=message).first()
        if used is not None:  # a retry of this message: did its reply already go out?
            return (1, used.line_message_id) if used.replied else (0, "")
        inbound = selectors.reply_token_candidate(message.conversation)
        if inbound is None or not self._claim(inbound, message):
            return 0, ""
        try:
            answer = client.reply(str(inbound.metadata["line"]["reply_token"]), batch)
        except LineError as exc:
            if exc.is_invalid_reply_token:
                return 0, ""  # expired after all: push instead
            raise
        sent_id = _first_sent_id(answer)
        ReplyTokenUse.objects.filter(inbound_message=inbound).update(replied=True, line_message_id=sent_id)
        return 1, sent_id

    def send_notice(self, channel: Channel, notice: Notice) -> SendResult:
        """Push a message outside any conversation (a survey campaign's invitation): the text, and the link as
        a Flex bubble with one button. LINE drops a repeated push with the same retry key."""
        objects: list[dict[str, Any]] = [{"type": "text", "text": piece} for piece in split_text(notice.text)]
        flex = flex_cards([{"title": notice.subject, "url": notice.link, "link_label": notice.link_label}]
                          if notice.link else [])
        if flex is not None:
            objects.append(flex)
        key = str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"{channel.key}:notice:{notice.key or notice.text}"))
        try:
            with LineClient.for_channel(channel) as client:
                answer = client.push(notice.to, objects[:MESSAGES_PER_REQUEST], retry_key=key)
        except LineError as exc:
            return SendResult.failed(exc.text, retryable=exc.retryable)
        return SendResult.sent(_first_sent_id(answer))

    @staticmethod
    def _claim(inbound: Message, outbound: Message) -> bool:
        try:
            with transaction.atomic():
                ReplyTokenUse.objects.create(inbound_message=inbound, outbound_message=outbound)
        except IntegrityError:
            return False  # another reply took it
        return True

    @staticmethod
    def retry_key(channel: Channel, message: Message, batch_index: int) -> str:
        return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"{channel.key}:{message.pk}:{batch_index}"))

    def build_messages(self, message: Message) -> list[dict[str, Any]]:
        """LINE message objects for a ruamchat message: text pieces, article cards as one Flex message, then
        each file; quick replies on the last."""
        objects: list[dict[str, Any]] = [{"type": "text", "text": piece} for piece in split_text(message.text)]
        flex = flex_cards(message.metadata.get("cards"))
        if flex is not None:
            objects.append(flex)
        objects.extend(_attachment_object(a) for a in message.attachments.all())
        quick = quick_reply(message.metadata.get("quick_replies"))
        if quick and objects:
            objects[-1]["quickReply"] = quick
        return objects

    # ------------------------------------------------------------ content and profiles

    def fetch_attachment(self, channel: Channel, fetch_ref: str) -> FetchedContent | None:
        prefix, _sep, rest = fetch_ref.partition(":")
        message_id, _sep, kind = rest.partition(":")
        if prefix != "content" or not message_id:
            return None
        limit = int(settings.RUAMCHAT["UPLOAD_MAX_BYTES"]) + 1  # one byte more tells "too large"
        try:
            with LineClient.for_channel(channel) as client:
                if kind in TRANSCODED_KINDS:
                    status = client.transcoding_status(message_id)
                    if status == "processing":
                        raise Retry("LINE is still preparing the file", delay=NOT_READY_DELAY)
                    if status == "failed":
                        return None
                content, content_type = client.content(message_id, max_bytes=limit)
        except LineError as exc:
            if exc.refused is not None:
                raise exc.refused from exc  # RUAMCHAT_LINE_DATA_URL is at an address that is not allowed
            if exc.status in (404, 410):
                return None  # unsent, or past the time LINE keeps content
            if exc.status == 202:
                raise Retry("LINE is still preparing the file", delay=NOT_READY_DELAY) from exc
            if exc.retryable:
                raise Retry(exc.text) from exc
            raise
        content_type = content_type.split(";")[0].strip().lower()
        extension = (mimetypes.guess_extension(content_type) or "") if content_type else ""
        return FetchedContent(content=content, content_type=content_type, filename=f"line-{message_id}{extension}")

    def fetch_profile(self, channel: Channel, external_id: str) -> ProfileInfo | None:
        try:
            with LineClient.for_channel(channel) as client:
                if external_id.startswith("U"):
                    found = client.profile(external_id)
                    return ProfileInfo(
                        display_name=str(found.get("displayName") or ""),
                        picture_url=str(found.get("pictureUrl") or ""),
                        language=str(found.get("language") or ""),
                        status_message=str(found.get("statusMessage") or ""),
                    )
                if external_id.startswith("C"):
                    group = client.group_summary(external_id)
                    return ProfileInfo(display_name=str(group.get("groupName") or ""),
                                       picture_url=str(group.get("pictureUrl") or ""))
        except LineError as exc:
            if exc.status == 404:
                return None  # not a friend (any more), or the account left the group
            if exc.retryable:
                raise Retry(exc.text) from exc
            raise
        return None  # rooms have no profile


def _first_sent_id(answer: dict[str, Any]) -> str:
    sent = answer.get("sentMessages") or []
    return str(sent[0].get("id", "")) if sent and isinstance(sent[0], dict) else ""


def _attachment_object(attachment: Attachment) -> dict[str, Any]:
    """A native image or video where LINE can take it (JPEG/PNG, MP4 by HTTPS URL), else a link."""
    url = signed_file_url(attachment)
    https = url.startswith("https://")
    content_type = attachment.content_type.lower()
    if https and content_type in ("image/jpeg", "image/png") and attachment.size <= IMAGE_MAX_BYTES:
        return {"type": "image", "originalContentUrl": url, "previewImageUrl": url}
    if https and content_type == "video/mp4" and attachment.size <= VIDEO_MAX_BYTES:
        preview = settings.RUAMCHAT_PUBLIC_URL + static("ruamchat/line-video-preview.png")
        return {"type": "video", "originalContentUrl": url, "previewImageUrl": preview}
    return {"type": "text", "text": f"📎 {attachment.filename or attachment.kind}\n{url}"}


def _bubble(card: dict[str, Any]) -> dict[str, Any] | None:
    title = str(card.get("title") or "").strip()
    if not title:
        return None
    body: list[dict[str, Any]] = [{"type": "text", "text": title[:FLEX_TEXT], "weight": "bold", "wrap": True}]
    if str(card.get("text") or "").strip():
        body.append({"type": "text", "text": str(card["text"]).strip()[:FLEX_TEXT], "wrap": True, "size": "sm",
                     "color": "#555555"})
    buttons: list[dict[str, Any]] = []
    url = str(card.get("url") or "")
    if url.startswith(("https://", "http://")):
        label = str(card.get("link_label") or "").strip() or "Open"
        buttons.append({"type": "button", "style": "link", "height": "sm",
                        "action": {"type": "uri", "label": label[:FLEX_LABEL], "uri": url[:1000]}})
    action = card.get("action")
    if isinstance(action, dict) and str(action.get("label") or "").strip() and action.get("data"):
        label = str(action["label"]).strip()[:FLEX_LABEL]
        buttons.append({"type": "button", "style": "primary", "height": "sm",
                        "action": {"type": "postback", "label": label, "displayText": label,
                                   "data": str(action["data"])[:POSTBACK_DATA_LIMIT]}})
    bubble: dict[str, Any] = {"type": "bubble", "size": "kilo",
                              "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body}}
    if buttons:
        bubble["footer"] = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons}
    return bubble


def flex_cards(cards: Any) -> dict[str, Any] | None:
    """Article cards (title, text, link, optional postback action) as a Flex bubble, or a carousel of them."""
    bubbles = [b for b in (_bubble(c) for c in (cards or [])[:FLEX_BUBBLES] if isinstance(c, dict)) if b]
    if not bubbles:
        return None
    alt = " / ".join(str(c.get("title")) for c in cards[:FLEX_BUBBLES] if isinstance(c, dict) and c.get("title"))
    contents = bubbles[0] if len(bubbles) == 1 else {"type": "carousel", "contents": bubbles}
    return {"type": "flex", "altText": alt[:FLEX_ALT_TEXT], "contents": contents}


def quick_reply(items: Any) -> dict[str, Any] | None:
    """LINE quick-reply buttons from ruamchat's [{"label", "text"}] (sends the text) or
    [{"label", "data"}] (a postback that comes back with its data)."""
    buttons: list[dict[str, Any]] = []
    for item in items or []:
        if not isinstance(item, dict) or not str(item.get("label") or "").strip():
            continue
        label = str(item["label"]).strip()
        if item.get("data"):
            action = {"type": "postback", "label": label[:QUICK_REPLY_LABEL],
                      "data": str(item["data"])[:POSTBACK_DATA_LIMIT], "displayText": label}
        else:
            action = {"type": "message", "label": label[:QUICK_REPLY_LABEL], "text": str(item.get("text") or label)}
        buttons.append({"type": "action", "action": action})
    return {"items": buttons[:QUICK_REPLY_ITEMS]} if buttons else None
