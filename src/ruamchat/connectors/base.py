"""The connector contract every channel package fills, and the channel-neutral inbound message."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ruamchat.connectors.models import Channel, InboundEvent
    from ruamchat.inbox.models import Conversation, Message


class InvalidSignature(Exception):
    """The request is not from the provider: answer 401 and store nothing."""


class MalformedPayload(Exception):
    """The body cannot be read as the provider's format: answer 400 and store nothing."""


class IgnoredEvent(Exception):
    """Nothing to do for this event (e.g. a bounce for a message we never sent): recorded as ignored with
    the reason, never dropped silently."""


class UnknownEventType(IgnoredEvent):
    """An event type the connector did not declare. Recorded as ignored, never dropped silently."""


@dataclass(frozen=True)
class RawRequest:
    body: bytes
    headers: dict[str, str]  # lower-case names
    query: dict[str, str]


@dataclass(frozen=True)
class RawEvent:
    """One provider event cut out of a webhook body, with the id that makes redelivery a no-op."""

    provider_event_id: str
    event_type: str
    payload: bytes
    #: when one webhook URL serves several accounts (all Pages of one Meta app post to the app's single
    #: callback URL), the channel the event really belongs to; None = the channel whose URL was called
    channel_id: int | None = None


@dataclass(frozen=True)
class InboundAttachment:
    kind: str  # image | video | audio | file | sticker | location
    filename: str = ""
    content_type: str = ""
    content: bytes | None = None
    url: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    #: an opaque reference the connector's ``fetch_attachment`` understands: the content is downloaded
    #: by a job after the message is stored, so a slow or not-yet-ready file never holds a message back
    fetch_ref: str = ""


@dataclass(frozen=True)
class InboundMessage:
    """A customer's message, whatever channel it came from."""

    external_user_id: str
    provider_message_id: str
    text: str = ""
    html: str = ""
    attachments: tuple[InboundAttachment, ...] = ()
    sent_at: datetime | None = None
    sender_name: str = ""
    sender_email: str = ""
    sender_language: str = ""
    subject: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    #: a group chat (LINE group or room …): the conversation belongs to the thread, and
    #: ``external_user_id`` / ``sender_name`` say which member wrote
    thread_id: str = ""
    thread_name: str = ""
    #: provider ids of earlier messages this one answers (email's In-Reply-To and References), nearest
    #: first: the message joins the conversation of the first one found
    references: tuple[str, ...] = ()
    #: a conversation number the message names (a token in the reply address, "[#123]" in a subject);
    #: honoured only when that conversation is the same customer's
    conversation_hint: int | None = None
    #: start a new conversation unless ``references`` or ``conversation_hint`` find one (a new email is a
    #: new case); otherwise the customer's current conversation continues, as in a chat
    new_thread: bool = False
    #: sent by a machine (an out-of-office reply): stored, but it neither reopens a resolved conversation
    #: nor puts the customer in the waiting queue
    automatic: bool = False


@dataclass(frozen=True)
class ContactStatusChange:
    """The customer followed, unfollowed (blocked) or unblocked the business account."""

    external_user_id: str
    status: str  # followed | unblocked | unfollowed
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class MessageWithdrawn:
    """The customer took a message back (LINE's unsend): its content must no longer be shown."""

    provider_message_id: str


@dataclass(frozen=True)
class ThreadEvent:
    """Something happened in a group chat: the account joined or left, members joined or left."""

    thread_id: str
    kind: str  # joined | left | member_joined | member_left
    member_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutgoingEcho:
    """The provider echoes a message sent from the business's side. ``ours`` when ruamchat itself sent
    it (matched to our message, never shown twice); otherwise a person wrote it in the provider's own
    inbox, and it is imported as an outgoing agent message."""

    external_user_id: str
    provider_message_id: str
    ours: bool
    text: str = ""
    attachments: tuple[InboundAttachment, ...] = ()
    sent_at: datetime | None = None


@dataclass(frozen=True)
class DeliveryUpdate:
    """Our messages to this customer were delivered or read: every one sent up to ``watermark``
    (and any named in ``provider_message_ids``)."""

    external_user_id: str
    status: str  # delivered | read
    watermark: datetime | None = None
    provider_message_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class MessageReaction:
    provider_message_id: str
    reaction: str  # the emoji or the provider's name for it
    removed: bool = False


@dataclass(frozen=True)
class MessageEdited:
    provider_message_id: str
    text: str


@dataclass(frozen=True)
class DeliveryFailure:
    """A message we sent was refused for good after it left (an email bounce): it is marked failed."""

    provider_message_id: str
    reason: str


Inbound = (
    InboundMessage | ContactStatusChange | MessageWithdrawn | ThreadEvent | OutgoingEcho | DeliveryUpdate
    | MessageReaction | MessageEdited | DeliveryFailure
)


@dataclass(frozen=True)
class ReplyWindow:
    """Whether a reply may be sent now, and how (a provider tag such as Meta's HUMAN_AGENT)."""

    allowed: bool
    tag: str = ""
    reason: str = ""  # shown to the agent when not allowed (already translated)


@dataclass(frozen=True)
class ProfileInfo:
    display_name: str = ""
    picture_url: str = ""
    language: str = ""
    status_message: str = ""


@dataclass(frozen=True)
class FetchedContent:
    content: bytes
    content_type: str = ""
    filename: str = ""


@dataclass(frozen=True)
class ConnectionCheck:
    """One step of "test connection" (log in to IMAP, to SMTP …), told in words an administrator can act on."""

    name: str
    ok: bool
    message: str


@dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_message_id: str = ""
    error: str = ""
    retryable: bool = False

    @classmethod
    def sent(cls, provider_message_id: str = "") -> SendResult:
        return cls(ok=True, provider_message_id=provider_message_id)

    @classmethod
    def failed(cls, error: str, *, retryable: bool) -> SendResult:
        return cls(ok=False, error=error, retryable=retryable)


@dataclass(frozen=True)
class Notice:
    """A message to a contact outside any conversation (a survey invitation of a campaign): LINE pushes it,
    email sends a new mail. Connectors that can offer ``send_notice(channel, notice) -> SendResult``."""

    to: str  # the LINE user id, or the email address
    subject: str
    text: str
    link: str = ""  # the one button (a personal survey page)
    link_label: str = ""
    unsubscribe: str = ""  # a page that stops these notices (email's List-Unsubscribe)
    key: str = ""  # the same key is the same notice: providers that can drop duplicates do
    language: str = "th"


def cards_as_text(cards: Any) -> str:
    """Article cards (``Message.metadata["cards"]``: title, text, url) as plain text, for channels that cannot
    show them natively; numbered when there are several, as the bot's "1", "2", "3" buttons refer to them."""
    items = [card for card in (cards or []) if isinstance(card, dict) and str(card.get("title") or "").strip()]
    blocks = []
    for number, card in enumerate(items, start=1):
        title = str(card["title"]).strip()
        lines = [f"{number}. {title}" if len(items) > 1 else title]
        if str(card.get("text") or "").strip():
            lines.append(str(card["text"]).strip())
        if str(card.get("url") or "").startswith(("https://", "http://")):
            lines.append(str(card["url"]))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


#: provider JSON nested deeper than this is refused (LINE's and Meta's events are a handful of levels deep)
MAX_JSON_DEPTH = 64
#: what the inbox stores of a provider's id (message, user, chat ids are at most this long in the database)
MAX_ID_CHARS = 255
#: the longest link an attachment keeps
MAX_URL_CHARS = 1000


def clean_text(value: str) -> str:
    """Text a database can store: NUL removed, a lone surrogate (only a JSON escape can make one) replaced by
    U+FFFD."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"number out of range: {text[:40]}")
    return number


def _not_a_number(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_json(raw: bytes | str) -> Any:
    """A provider's JSON, read for storing: ValueError for what is not JSON, for NaN and Infinity (no database
    stores them) and for nesting deeper than MAX_JSON_DEPTH; every string (and key) comes back clean_text."""
    try:
        value = json.loads(raw, parse_constant=_not_a_number, parse_float=_finite)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:  # not recursive: the depth is what is being checked
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep")
        if isinstance(node, dict):
            items = list(node.items())
            node.clear()
            for key, item in items:
                node[clean_text(key)] = clean_text(item) if isinstance(item, str) else item
                if isinstance(item, dict | list):
                    stack.append((item, depth + 1))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, str):
                    node[index] = clean_text(item)
                elif isinstance(item, dict | list):
                    stack.append((item, depth + 1))
    return clean_text(value) if isinstance(value, str) else value


def as_dict(value: Any) -> dict[str, Any]:
    """A part of a provider's payload that should be an object: itself, or {} when it is anything else."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def provider_id(value: Any) -> str:
    """A provider's id as the inbox stores it: text of at most MAX_ID_CHARS. A longer one (no provider sends
    one) is cut and ends in a digest of the whole, so two long ids never become the same id."""
    text = value if isinstance(value, str) else "" if value is None else str(value)
    if len(text) <= MAX_ID_CHARS:
        return text
    return text[:MAX_ID_CHARS - 65] + "#" + hashlib.sha256(text.encode()).hexdigest()


def stored_link(value: Any) -> str:
    """A link as an attachment keeps it: the text, or "" when it is not text or longer than MAX_URL_CHARS (no
    provider sends such a link; a cut one would lead somewhere else)."""
    url = value.strip() if isinstance(value, str) else ""
    return url if len(url) <= MAX_URL_CHARS else ""


class Connector(Protocol):
    kind: str
    label: str
    #: event types this connector understands; anything else raises UnknownEventType in ``parse``
    event_types: frozenset[str]

    def verify(self, channel: Channel, request: RawRequest) -> None:
        """Raise InvalidSignature unless the raw bytes are signed by the provider for this channel."""

    def split(self, channel: Channel, request: RawRequest) -> list[RawEvent]:
        """Cut a verified body into events (raise MalformedPayload when it cannot be read)."""

    def parse(self, channel: Channel, event: InboundEvent) -> list[Inbound]:
        """Turn one stored raw event into channel-neutral items (possibly none)."""

    def send(self, channel: Channel, message: Message) -> SendResult:
        """Deliver an outgoing message; never raises for provider errors, reports them instead."""

    def fetch_attachment(self, channel: Channel, fetch_ref: str) -> FetchedContent | None:
        """Download content named by an InboundAttachment's ``fetch_ref``; None when it is gone for good.
        Raise ``ruamchat.jobs.queue.Retry`` when the provider says it is not ready yet."""

    def fetch_profile(self, channel: Channel, external_id: str) -> ProfileInfo | None:
        """The customer's profile from the provider, or None when the channel has none."""

    def reply_window(self, channel: Channel, conversation: Conversation, *, human: bool) -> ReplyWindow:
        """May a reply go out now (``human``: written by a person, not the bot or an automatic survey)?"""


class BaseConnector:
    """Defaults for the optional parts of the contract. Connectors may also offer:

    - ``settings_form``: a Django form class, one field per setting (names in its ``secret_fields`` are
      secrets), shown by the administration pages instead of JSON;
    - ``test_connection(channel) -> list[ConnectionCheck]`` and ``fetch_now(channel)``, offered as buttons;
    - ``status(channel) -> str``: how the channel is doing (last fetch, last error).
    """

    def validate_settings(self, config: dict[str, Any], secrets: dict[str, Any]) -> dict[str, list[str]]:
        """Problems with a channel's settings, by field name (empty when they are fine)."""
        return {}

    def fetch_attachment(self, channel: Channel, fetch_ref: str) -> FetchedContent | None:
        return None

    def fetch_profile(self, channel: Channel, external_id: str) -> ProfileInfo | None:
        return None

    def reply_window(self, channel: Channel, conversation: Conversation, *, human: bool) -> ReplyWindow:
        return ReplyWindow(allowed=True)
