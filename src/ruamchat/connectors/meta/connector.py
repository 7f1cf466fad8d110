"""Facebook Messenger and Instagram: one connector class, two channel kinds, Meta's signed webhooks in and
the Send API out, inside Meta's 24-hour (and, for people, 7-day) messaging window."""

from __future__ import annotations

import hashlib
import hmac
import json
import mimetypes
import posixpath
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ruamchat.connectors.base import (
    BaseConnector,
    DeliveryUpdate,
    FetchedContent,
    IgnoredEvent,
    Inbound,
    InboundAttachment,
    InboundMessage,
    InvalidSignature,
    MalformedPayload,
    MessageEdited,
    MessageReaction,
    OutgoingEcho,
    ProfileInfo,
    RawEvent,
    RawRequest,
    ReplyWindow,
    SendResult,
    UnknownEventType,
    as_dict,
    as_list,
    cards_as_text,
    load_json,
    provider_id,
    stored_link,
)
from ruamchat.connectors.meta import selectors
from ruamchat.connectors.meta.client import GraphClient, GraphError, download
from ruamchat.connectors.meta.files import signed_file_url
from ruamchat.connectors.models import Channel, InboundEvent
from ruamchat.core.secrets import SecretsUnreadable
from ruamchat.inbox.models import Attachment, Conversation, Message
from ruamchat.jobs.queue import Retry

TEXT_LIMIT = 2000  # characters per Messenger / Instagram text message
QUICK_REPLY_ITEMS = 13
QUICK_REPLY_TITLE = 20
QUICK_REPLY_PAYLOAD = 1000
STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
HUMAN_AGENT_TAG = "HUMAN_AGENT"

MEDIA_KINDS = {"image", "video", "audio", "file"}
#: what each kind of channel is called in settings and in the webhook's ``object``
ACCOUNT_FIELD = {"messenger": "page_id", "instagram": "instagram_id"}
WEBHOOK_OBJECT = {"messenger": "page", "instagram": "instagram"}
PROFILE_FIELDS = {"messenger": "first_name,last_name,profile_pic", "instagram": "name,username,profile_pic"}
#: keys every messaging item has; the first other key names what the item is
ENVELOPE_KEYS = {"sender", "recipient", "timestamp"}


def _time(ms: Any) -> datetime | None:
    if not isinstance(ms, int | float):
        return None
    try:
        return datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, ValueError, OSError):  # a time no calendar holds
        return None


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "", [], {})}


def _digest(item: dict[str, Any]) -> str:
    canonical = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def item_type(item: dict[str, Any], *, standby: bool = False) -> str:
    """What a messaging item is: message, echo, postback, delivery, read, reaction, edit, standby …"""
    if standby:
        return "standby"
    if isinstance(item.get("message"), dict):
        return "echo" if item["message"].get("is_echo") else "message"
    if "message_edit" in item or "message_edits" in item:
        return "edit"
    for key in ("postback", "delivery", "read", "reaction", "messaging_seen"):
        if key in item:
            return key
    return next((str(k) for k in item if k not in ENVELOPE_KEYS), "unknown")


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut text into pieces Meta accepts, at a line break or space near the end of a piece when there is one."""
    pieces: list[str] = []
    rest = text
    while rest:
        cut = min(len(rest), limit)
        if cut < len(rest):
            window = rest[max(cut - 300, 0):cut]
            brk = max(window.rfind("\n"), window.rfind(" "))
            if brk > 0:
                cut = max(cut - 300, 0) + brk + 1
        piece, rest = rest[:cut], rest[cut:]
        if piece.strip():
            pieces.append(piece.rstrip() if rest else piece)
    return pieces


def quick_replies(items: Any) -> list[dict[str, Any]]:
    """Meta quick replies from ruamchat's [{"label", "text"}] or [{"label", "data"}]: a tap comes back as a
    message whose text is the label and whose ``quick_reply.payload`` is the data (or the text)."""
    found: list[dict[str, Any]] = []
    for item in items or []:
        if not isinstance(item, dict) or not str(item.get("label") or "").strip():
            continue
        label = str(item["label"]).strip()
        payload = str(item.get("data") or item.get("text") or label)
        found.append({"content_type": "text", "title": label[:QUICK_REPLY_TITLE],
                      "payload": payload[:QUICK_REPLY_PAYLOAD]})
    return found[:QUICK_REPLY_ITEMS]


class MetaConnector(BaseConnector):
    """``kind`` is "messenger" (a Facebook Page) or "instagram" (an Instagram professional account)."""

    def __init__(self, kind: str) -> None:
        if kind not in ACCOUNT_FIELD:
            raise ValueError(f"not a Meta channel kind: {kind!r}")
        self.kind = kind
        self.label = gettext_noop("Facebook Messenger") if kind == "messenger" else gettext_noop("Instagram")
        self.account_field = ACCOUNT_FIELD[kind]
        self.event_types = frozenset({
            "message", "echo", "postback", "delivery", "read", "messaging_seen", "reaction", "edit",
        })

    # ------------------------------------------------------------ settings

    def validate_settings(self, config: dict[str, Any], secrets: dict[str, Any]) -> dict[str, list[str]]:
        """Field errors for a Messenger or Instagram channel's settings (empty when they are usable)."""
        errors: dict[str, list[str]] = {}
        for name in (self.account_field, "app_id"):
            value = str(config.get(name) or "").strip()
            if not value:
                errors[name] = [_("This field is required.")]
            elif not value.isdigit():
                errors[name] = [_("Meta IDs are numbers.")]
        for name in ("page_access_token", "app_secret", "verify_token"):
            if not str(secrets.get(name) or "").strip():
                errors[name] = [_("This field is required.")]
        return errors

    def _secret(self, channel: Channel, name: str) -> str:
        try:
            return str(channel.secrets.get(name) or "")
        except SecretsUnreadable:
            return ""

    def _account_id(self, channel: Channel) -> str:
        return str(channel.config.get(self.account_field) or "")

    # ------------------------------------------------------------ webhook

    def handshake(self, channel: Channel, request: RawRequest) -> HttpResponse:
        """Meta's subscription check: echo ``hub.challenge`` only to the holder of the verify token."""
        expected = self._secret(channel, "verify_token").encode()
        given = request.query.get("hub.verify_token", "").encode()
        if request.query.get("hub.mode") == "subscribe" and expected and hmac.compare_digest(expected, given):
            return HttpResponse(request.query.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponse("forbidden", status=403, content_type="text/plain")

    def verify(self, channel: Channel, request: RawRequest) -> None:
        secret = self._secret(channel, "app_secret")
        given = request.headers.get("x-hub-signature-256", "").encode()  # bytes: a non-ASCII header is just wrong
        if not secret or not given or not hmac.compare_digest(_sign(secret, request.body).encode(), given):
            raise InvalidSignature("x-hub-signature-256 does not match the body")

    def split(self, channel: Channel, request: RawRequest) -> list[RawEvent]:
        try:
            body = load_json(request.body)
        except ValueError as exc:
            raise MalformedPayload(f"not JSON: {exc}") from exc
        if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
            raise MalformedPayload("expected an object with an entry list")
        if body.get("object") != WEBHOOK_OBJECT[self.kind]:
            raise MalformedPayload(f"object {body.get('object')!r} is not for a {self.kind} channel")
        found: list[RawEvent] = []
        for entry in body["entry"]:
            if not isinstance(entry, dict):
                raise MalformedPayload("an entry is not an object")
            owner = self._owner(channel, str(entry.get("id", "")))
            for key in ("messaging", "standby"):
                items = entry.get(key) or []
                if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                    raise MalformedPayload(f"{key} is not a list of objects")
                for item in items:
                    found.append(self._raw_event(entry, item, standby=key == "standby", owner=owner))
        return found

    def _owner(self, channel: Channel, account_id: str) -> int | None:
        """All Pages of one Meta app post to the app's one callback URL: an entry for another connected
        account of the same app goes to that account's channel (None: the channel that was called)."""
        if not account_id or account_id == str(channel.config.get(self.account_field, "")):
            return None
        sibling = Channel.objects.filter(
            kind=self.kind, is_active=True, **{f"config__{self.account_field}": account_id},
            config__app_id=str(channel.config.get("app_id", "")),
        ).values_list("pk", flat=True).first()
        return sibling

    def _raw_event(self, entry: dict[str, Any], item: dict[str, Any], *, standby: bool,
                   owner: int | None = None) -> RawEvent:
        event_type = item_type(item, standby=standby)
        mid = str((item.get("message") or {}).get("mid") or "") if event_type in ("message", "echo") else ""
        # a message's mid makes Meta's redelivery a no-op; anything else is known by its content
        event_id = mid or f"{self.kind}:{event_type}:{_digest(item)}"
        payload = json.dumps({**item, "entry_id": str(entry.get("id", "")), "standby": standby},
                             ensure_ascii=False).encode()
        return RawEvent(provider_event_id=event_id, event_type=event_type, payload=payload, channel_id=owner)

    def parse(self, channel: Channel, event: InboundEvent) -> list[Inbound]:
        try:
            data = load_json(bytes(event.payload))
        except ValueError as exc:
            raise IgnoredEvent(f"the stored {self.kind} item cannot be read: {exc}") from exc
        if not isinstance(data, dict):
            raise IgnoredEvent(f"the stored {self.kind} item is not an object")
        kind = item_type(data, standby=bool(data.get("standby")))
        sender = provider_id(as_dict(data.get("sender")).get("id", ""))
        if kind == "message":
            return [self._message(data, sender)]
        if kind == "echo":
            return [self._echo(channel, data)]
        if kind == "postback":
            return [self._postback(data, sender)]
        if kind == "delivery":
            delivery = as_dict(data.get("delivery"))
            mids = tuple(provider_id(m) for m in as_list(delivery.get("mids")))
            return [DeliveryUpdate(sender, "delivered", _time(delivery.get("watermark")), mids)]
        if kind in ("read", "messaging_seen"):
            read = as_dict(data.get(kind))
            mids = (provider_id(read["mid"]),) if read.get("mid") else ()
            watermark = _time(read.get("watermark")) or _time(data.get("timestamp"))
            return [DeliveryUpdate(sender, "read", watermark, mids)]
        if kind == "reaction":
            reaction = as_dict(data.get("reaction"))
            return [MessageReaction(provider_id(reaction.get("mid", "")),
                                    str(reaction.get("emoji") or reaction.get("reaction") or ""),
                                    removed=reaction.get("action") == "unreact")]
        if kind == "edit":
            edit = as_dict(data.get("message_edit") or data.get("message_edits"))
            return [MessageEdited(provider_id(edit.get("mid", "")), str(edit.get("text", "")))]
        if kind == "standby":
            raise UnknownEventType("a standby item: another app has the conversation (handover protocol)")
        raise UnknownEventType(f"{self.kind} item {kind!r} is not handled")

    # ------------------------------------------------------------ inbound pieces

    def _content(self, message: dict[str, Any]) -> tuple[str, tuple[InboundAttachment, ...], dict[str, Any]]:
        """Text, attachments and Meta details of a message (the customer's or an echo)."""
        notes: list[str] = []
        attachments: list[InboundAttachment] = []
        extra: dict[str, Any] = {}
        for item in as_list(message.get("attachments")):
            if not isinstance(item, dict):
                continue
            atype = str(item.get("type", ""))
            payload: dict[str, Any] = item["payload"] if isinstance(item.get("payload"), dict) else {}
            url = str(payload.get("url") or item.get("url") or "")
            if atype in MEDIA_KINDS and (payload.get("sticker_id") or message.get("sticker_id")):
                sticker_id = payload.get("sticker_id") or message.get("sticker_id")
                attachments.append(InboundAttachment(kind="sticker", url=stored_link(url),
                                                     data={"sticker_id": sticker_id}))
            elif atype in MEDIA_KINDS and stored_link(url):
                attachments.append(InboundAttachment(kind=atype, url=url, fetch_ref=f"url:{url}",
                                                     filename=_filename_of(url)))
            elif atype == "story_mention":
                notes.append(_("Mentioned you in their story: %(url)s") % {"url": url})
                attachments.append(InboundAttachment(kind="file", url=stored_link(url), data={"story_mention": True}))
            elif atype == "like_heart":
                notes.append("❤️")
            elif url or payload.get("title") or item.get("title"):  # fallback, share, reel: a link
                title = str(item.get("title") or payload.get("title") or "")
                shown = str(message.get("text") or "")  # a shared link is often the text itself
                notes.append("\n".join(p for p in (title, url) if p and p not in shown))
                extra.setdefault("links", []).append(_compact({"type": atype, "title": title, "url": url}))
            else:
                extra.setdefault("unknown_attachments", []).append(atype)
        reply_to: dict[str, Any] = message["reply_to"] if isinstance(message.get("reply_to"), dict) else {}
        story: dict[str, Any] = reply_to["story"] if isinstance(reply_to.get("story"), dict) else {}
        if story:
            story_url = str(story.get("url") or "")
            notes.insert(0, _("Replied to your story: %(url)s") % {"url": story_url})
            if stored_link(story_url):
                attachments.append(InboundAttachment(kind="file", url=story_url, data={"story_reply": True}))
        text = "\n".join(p for p in (str(message.get("text") or ""), *notes) if p)
        extra.update(_compact({
            "reply_to_mid": reply_to.get("mid"),
            "story_id": story.get("id"),
            "quick_reply_payload": as_dict(message.get("quick_reply")).get("payload"),
            "sticker_id": message.get("sticker_id"),
            "is_deleted": message.get("is_deleted"),
        }))
        return text, tuple(attachments), extra

    def _message(self, data: dict[str, Any], sender: str) -> InboundMessage:
        message = as_dict(data.get("message"))
        text, attachments, extra = self._content(message)
        metadata: dict[str, Any] = {"meta": _compact({**extra, "timestamp": data.get("timestamp")})}
        if extra.get("quick_reply_payload"):
            # a tapped quick reply reads like a button press to the bot and surveys, as LINE's postbacks do
            metadata["postback"] = {"data": extra["quick_reply_payload"], "label": str(message.get("text") or "")}
        return InboundMessage(
            external_user_id=sender, provider_message_id=provider_id(message.get("mid", "")), text=text,
            attachments=attachments, sent_at=_time(data.get("timestamp")), metadata=metadata,
        )

    def _echo(self, channel: Channel, data: dict[str, Any]) -> OutgoingEcho:
        message = as_dict(data.get("message"))
        text, attachments, _extra = self._content(message)
        app_id = str(message.get("app_id") or "")
        ours = bool(app_id) and app_id == str(channel.config.get("app_id") or "")
        return OutgoingEcho(
            external_user_id=provider_id(as_dict(data.get("recipient")).get("id", "")),
            provider_message_id=provider_id(message.get("mid", "")), ours=ours, text=text,
            attachments=attachments, sent_at=_time(data.get("timestamp")),
        )

    def _postback(self, data: dict[str, Any], sender: str) -> InboundMessage:
        postback = as_dict(data.get("postback"))
        title = str(postback.get("title") or "")
        value = str(postback.get("payload") or "")
        mid = str(postback.get("mid") or "") or _digest(data)
        return InboundMessage(
            external_user_id=sender, provider_message_id=provider_id(f"postback:{mid}"),
            text=title or f"[postback] {value}",
            sent_at=_time(data.get("timestamp")),
            metadata={"postback": _compact({"data": value, "label": title}),
                      "meta": _compact({"referral": postback.get("referral"), "timestamp": data.get("timestamp")})},
        )

    # ------------------------------------------------------------ sending

    def reply_window(self, channel: Channel, conversation: Conversation, *, human: bool) -> ReplyWindow:
        last = selectors.last_customer_message_at(channel, conversation)
        age = timezone.now() - last if last is not None else None
        if age is not None and age < STANDARD_WINDOW:
            return ReplyWindow(allowed=True)
        if age is not None and age < HUMAN_AGENT_WINDOW:
            if human:
                return ReplyWindow(allowed=True, tag=HUMAN_AGENT_TAG)
            return ReplyWindow(allowed=False, reason=_(
                "More than 24 hours have passed since the customer's last message: only a person may "
                "answer now, with Meta's human agent tag."))
        return ReplyWindow(allowed=False, reason=_(
            "More than 7 days have passed since the customer's last message: Meta does not allow a reply. "
            "Ask the customer to write again."))

    def send(self, channel: Channel, message: Message) -> SendResult:
        identity = message.conversation.identity
        if identity is None:
            return SendResult.failed(_("This conversation has no chat to send to."), retryable=False)
        human = message.sender_type == Message.Sender.AGENT
        # checked again here, at send time: a reply may have waited in the queue past the window
        window = self.reply_window(channel, message.conversation, human=human)
        if not window.allowed:
            return SendResult.failed(window.reason, retryable=False)
        envelope: dict[str, Any] = {"recipient": {"id": identity.external_id}}
        if window.tag:
            envelope.update(messaging_type="MESSAGE_TAG", tag=window.tag)
        else:
            envelope["messaging_type"] = "RESPONSE"
        parts = self.build_messages(message)
        if not parts:
            return SendResult.failed(_("There is nothing to send."), retryable=False)
        first_id = ""
        try:
            with GraphClient.for_channel(channel) as client:
                for part in parts:
                    answer = client.send_message(self._account_id(channel), {**envelope, "message": part})
                    first_id = first_id or str(answer.get("message_id") or "")
        except GraphError as exc:
            return SendResult.failed(exc.message, retryable=exc.retryable)
        return SendResult.sent(first_id)

    def build_messages(self, message: Message) -> list[dict[str, Any]]:
        """Send API message objects: text pieces (article cards as text after the words), then each file;
        quick replies on the last one."""
        text = message.text
        cards = cards_as_text(message.metadata.get("cards"))
        if cards:
            text = f"{text}\n\n{cards}" if text else cards
        parts: list[dict[str, Any]] = [{"text": piece} for piece in split_text(text)]
        parts.extend(self._attachment_object(a) for a in message.attachments.all())
        quick = quick_replies(message.metadata.get("quick_replies"))
        if quick and parts:
            parts[-1]["quick_replies"] = quick
        return parts

    def _attachment_object(self, attachment: Attachment) -> dict[str, Any]:
        url = signed_file_url(attachment)
        kind = attachment.kind if attachment.kind in MEDIA_KINDS else "file"
        if self.kind == "instagram" and kind == "file":
            # Instagram takes images, video and audio; anything else goes as a link
            return {"text": f"📎 {attachment.filename or attachment.kind}\n{url}"}
        return {"attachment": {"type": kind, "payload": {"url": url, "is_reusable": False}}}

    # ------------------------------------------------------------ content and profiles

    def fetch_attachment(self, channel: Channel, fetch_ref: str) -> FetchedContent | None:
        prefix, _sep, url = fetch_ref.partition(":")
        if prefix != "url" or not url.startswith(("https://", "http://")):
            return None
        limit = int(settings.RUAMCHAT["UPLOAD_MAX_BYTES"]) + 1  # one byte more tells "too large"
        try:
            content, content_type = download(url, max_bytes=limit)
        except GraphError as exc:
            if exc.refused is not None:
                raise exc.refused from exc  # a link to a private address: never fetched, not worth retrying
            if exc.status == 0 or exc.status == 429 or exc.status >= 500:
                raise Retry(str(exc)) from exc
            return None  # 4xx: the CDN link expired or is gone
        content_type = content_type.split(";")[0].strip().lower()
        filename = _filename_of(url)
        if not posixpath.splitext(filename)[1] and content_type:
            filename += mimetypes.guess_extension(content_type) or ""
        return FetchedContent(content=content, content_type=content_type, filename=filename)

    def fetch_profile(self, channel: Channel, external_id: str) -> ProfileInfo | None:
        try:
            with GraphClient.for_channel(channel) as client:
                found = client.profile(external_id, PROFILE_FIELDS[self.kind])
        except GraphError as exc:
            if exc.retryable:
                raise Retry(str(exc)) from exc
            return None  # no permission to see this person, or they are gone
        if self.kind == "messenger":
            name = " ".join(str(found.get(k) or "") for k in ("first_name", "last_name")).strip()
        else:
            name = str(found.get("name") or found.get("username") or "")
        return ProfileInfo(display_name=name, picture_url=str(found.get("profile_pic") or ""))


def _filename_of(url: str) -> str:
    try:
        path = urlsplit(url).path
    except ValueError:  # not a URL at all ("http://[::1", …)
        return "file"
    return posixpath.basename(path)[:200] or "file"
