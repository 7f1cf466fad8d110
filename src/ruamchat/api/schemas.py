"""The shapes the API reads and writes. Enums are strings; times are ISO 8601 with the offset of the
site's time zone (Asia/Bangkok by default)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import PlainSerializer, field_validator

from ruamchat.accounts.models import AgentProfile
from ruamchat.accounts.selectors import profile_for
from ruamchat.connectors import registry
from ruamchat.connectors.models import Channel
from ruamchat.connectors.selectors import embed_snippet, webhook_url
from ruamchat.core import secrets as secret_box
from ruamchat.inbox.models import Attachment, Conversation, Message


def _iso_local(value: datetime) -> str:
    from django.utils import timezone

    return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()


LocalTime = Annotated[datetime, PlainSerializer(_iso_local, return_type=str)]


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


PRIORITY_VALUES: dict[Priority, int] = {
    Priority.URGENT: Conversation.Priority.URGENT,
    Priority.HIGH: Conversation.Priority.HIGH,
    Priority.NORMAL: Conversation.Priority.NORMAL,
    Priority.LOW: Conversation.Priority.LOW,
}
PRIORITY_NAMES: dict[int, Priority] = {number: name for name, number in PRIORITY_VALUES.items()}


class Status(StrEnum):
    OPEN = "open"
    BOT = "bot"  # the chatbot is answering (give it back with POST …/bot/resume, not with a status change)
    PENDING = "pending"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"
    CLOSED = "closed"


class TeamKind(StrEnum):
    SERVICE = "service"
    SUPPORT = "support"


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"


Language = Literal["th", "en"]


# ---------------------------------------------------------------- errors and pages


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, in the user's language.")


class ValidationErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = Field(description="Messages per field; `__all__` for the request as a whole.")


class PageMeta(Schema):
    count: int = Field(description="How many items match, across all pages.")
    limit: int
    offset: int
    next_offset: int | None = Field(description="Pass as `offset` for the next page; null on the last page.")


# ---------------------------------------------------------------- references


class TeamRef(Schema):
    id: int
    name: str
    kind: TeamKind


class AgentRef(Schema):
    id: int = Field(description="The agent's user id.")
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return profile_for(obj).name


class ChannelRef(Schema):
    id: int
    kind: str
    name: str


# ---------------------------------------------------------------- teams and agents


class Assignment(StrEnum):
    MANUAL = "manual"
    ROUND_ROBIN = "round_robin"
    LEAST_BUSY = "least_busy"


class TeamOut(TeamRef):
    open_to_all: bool
    assignment: Assignment
    release_on_offline: bool
    created_at: LocalTime


class TeamIn(Schema):
    name: str = Field(max_length=100)
    kind: TeamKind = TeamKind.SERVICE
    open_to_all: bool = False
    assignment: Assignment = Field(Assignment.MANUAL, description="How new conversations reach an agent: agents "
                                   "claim them (manual), round_robin or least_busy among online agents with room.")
    release_on_offline: bool = Field(False, description="An agent going offline gives their open conversations back.")


class TeamPatch(Schema):
    name: str | None = Field(None, max_length=100)
    kind: TeamKind | None = None
    open_to_all: bool | None = None
    assignment: Assignment | None = None
    release_on_offline: bool | None = None


class AgentOut(Schema):
    id: int = Field(description="The agent's user id (used for assignee and agent_id everywhere).")
    username: str
    name: str
    display_name: str
    email: str
    role: Role
    team_ids: list[int]
    capacity: int
    presence: str
    language: str
    last_seen_at: LocalTime | None
    is_active: bool

    @staticmethod
    def resolve_id(obj: AgentProfile) -> int:
        return int(obj.user_id)

    @staticmethod
    def resolve_username(obj: AgentProfile) -> str:
        return obj.user.get_username()

    @staticmethod
    def resolve_email(obj: AgentProfile) -> str:
        return str(obj.user.email)

    @staticmethod
    def resolve_team_ids(obj: AgentProfile) -> list[int]:
        return sorted(team.pk for team in obj.teams.all())

    @staticmethod
    def resolve_is_active(obj: AgentProfile) -> bool:
        return bool(obj.user.is_active)


class AgentIn(Schema):
    username: str = Field(max_length=150)
    password: str | None = Field(None, description="Leave out for an account that signs in another way.")
    display_name: str = Field("", max_length=100)
    email: str = ""
    role: Role = Role.AGENT
    team_ids: list[int] = []
    language: Language = "th"
    capacity: int = Field(10, ge=0, le=1000)


class AgentPatch(Schema):
    display_name: str | None = Field(None, max_length=100)
    role: Role | None = None
    team_ids: list[int] | None = None
    language: Language | None = None
    capacity: int | None = Field(None, ge=0, le=1000)


# ---------------------------------------------------------------- contacts


class ContactOut(Schema):
    id: int
    name: str
    display_name: str
    email: str
    phone: str
    language: str
    avatar_url: str
    created_at: LocalTime
    last_seen_at: LocalTime | None


class IdentityOut(Schema):
    channel: ChannelRef
    display_name: str
    created_at: LocalTime


class ContactDetailOut(ContactOut):
    identities: list[IdentityOut]
    #: the custom attributes, by key (Admin → Customer attributes)
    attributes: dict[str, Any]
    tags: list[str]

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        return [tag.name for tag in obj.tags.all()]


class AttributesPatch(Schema):
    """Custom attributes to set, by key, as text (a number "1250", a date "2026-04-13", yes/no "yes"); "" clears."""

    values: dict[str, str]


class ContactPatch(Schema):
    name: str | None = Field(None, max_length=200)
    email: str | None = None
    phone: str | None = Field(None, max_length=40)
    language: str | None = Field(None, max_length=8)


class ContactPage(PageMeta):
    items: list[ContactOut]


# ---------------------------------------------------------------- conversations


class TagOut(Schema):
    name: str
    color: str


class ConversationOut(Schema):
    id: int
    number: int
    status: Status
    priority: Priority
    channel: ChannelRef
    contact: ContactOut
    team: TeamRef | None
    assignee: AgentRef | None
    subject: str
    category: str
    tags: list[TagOut]
    snoozed_until: LocalTime | None
    waiting_since: LocalTime | None = Field(description="Since when the customer waits for an answer.")
    last_message_at: LocalTime | None
    last_message_preview: str
    first_reply_at: LocalTime | None
    resolved_at: LocalTime | None
    reopened_count: int
    created_at: LocalTime
    updated_at: LocalTime

    @staticmethod
    def resolve_priority(obj: Conversation) -> Priority:
        return PRIORITY_NAMES[obj.priority]


class ConversationPage(PageMeta):
    items: list[ConversationOut]


class ConversationFilter(Schema):
    queue: str = Field(
        "all", pattern=r"^(mine|unassigned|all|team:\d+)$",
        description="`mine`, `unassigned`, `team:<id>` or `all` (everything you can see).",
    )
    status: Literal["open", "bot", "pending", "snoozed", "resolved", "closed", "active", "any"] = Field(
        "open", description="A status (`bot`: the chatbot is answering), `active` (open, pending or snoozed) or `any`."
    )
    priority: Priority | None = None
    channel: int | None = Field(None, description="A channel id.")
    tag: str = ""
    search: str = Field("", description="Contact name or email, subject, or `#<number>`.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


class AssignIn(Schema):
    agent_id: int | None = Field(description="The agent's user id, or null to unassign.")


class TransferIn(Schema):
    team_id: int | None = None
    agent_id: int | None = None
    # Required by the transfer itself; kept optional here so the answer is the inbox's own message.
    reason: str = Field("", description="Required: why the conversation is handed over.")
    note: str = Field("", description="Optional internal note for the receiving team (agents only).")


class StatusIn(Schema):
    status: Status
    snoozed_until: datetime | None = Field(None, description="Required with `snoozed`; a time in the future.")


class PriorityIn(Schema):
    priority: Priority = Field(description="`urgent`, `high`, `normal` or `low`; 0 (urgent) to 3 (low) also work.")

    @field_validator("priority", mode="before")
    @classmethod
    def number_to_name(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and value in PRIORITY_NAMES:
            return PRIORITY_NAMES[value]
        return value


class TagsIn(Schema):
    add: list[str] = []
    remove: list[str] = []


# ---------------------------------------------------------------- messages


class AttachmentOut(Schema):
    id: int
    kind: str
    filename: str
    content_type: str
    size: int
    url: str = Field(description="Download through the API (same credentials), or the provider's URL.")

    @staticmethod
    def resolve_url(obj: Attachment) -> str:
        if obj.file:
            from django.urls import reverse

            return reverse("api:attachment_download", kwargs={"attachment_id": obj.pk})
        return str(obj.external_url)


class MessageOut(Schema):
    id: int
    conversation_id: int
    direction: Literal["in", "out"]
    sender_type: Literal["contact", "agent", "bot", "system"]
    sender: AgentRef | None = Field(description="The agent who wrote it, for agent messages and notes.")
    is_private: bool = Field(description="A private note: never sent to the customer.")
    text: str
    html: str
    status: Literal["received", "pending", "sent", "delivered", "read", "failed"]
    error: str
    created_at: LocalTime
    sent_at: LocalTime | None
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_sender(obj: Message) -> Any:
        return obj.sender_user


class MessagePage(Schema):
    items: list[MessageOut]
    next_after_id: int | None = Field(
        description="Pass as `after_id` for the next page; null when there is nothing more yet."
    )


class MessageIn(Schema):
    text: str = ""


# ---------------------------------------------------------------- channels


class ChannelOut(ChannelRef):
    key: str
    default_team: TeamRef | None
    config: dict[str, Any]
    secrets: dict[str, str] = Field(description="Stored secrets, masked; they are never shown in full.")
    secrets_readable: bool = Field(description="False when the secrets key changed and they must be re-entered.")
    is_active: bool
    created_at: LocalTime
    webhook_url: str = Field(description="Where the provider sends events for this channel.")
    embed_snippet: str | None = Field(description="For website channels: the tag to paste into the site.")
    status: str | None = Field(description="How the channel is doing, for channels that read from the provider "
                                           "(a mailbox: when it was last read, the last problem).")

    @staticmethod
    def resolve_status(obj: Channel) -> str | None:
        status = getattr(registry.get(obj.kind), "status", None) if obj.kind in registry.kinds() else None
        return str(status(obj)) if status is not None else None

    @staticmethod
    def resolve_secrets(obj: Channel) -> dict[str, str]:
        try:
            stored = obj.secrets
        except secret_box.SecretsUnreadable:
            return {}
        return {name: secret_box.mask(str(value)) for name, value in stored.items()}

    @staticmethod
    def resolve_secrets_readable(obj: Channel) -> bool:
        try:
            obj.secrets  # noqa: B018  (decrypting is the check)
        except secret_box.SecretsUnreadable:
            return False
        return True

    @staticmethod
    def resolve_webhook_url(obj: Channel) -> str:
        return webhook_url(obj)

    @staticmethod
    def resolve_embed_snippet(obj: Channel) -> str | None:
        return embed_snippet(obj)


class ConnectionCheckOut(Schema):
    name: str = Field(description="The step tested, e.g. `imap` or `smtp`.")
    ok: bool
    message: str = Field(description="What happened, in words an administrator can act on.")


class Accepted(Schema):
    detail: str


class ChannelIn(Schema):
    kind: str = Field(description="A registered channel kind: `website`, `line`, `messenger`, `instagram`, `email`.")
    name: str = Field(max_length=120)
    default_team_id: int | None = None
    config: dict[str, Any] = {}
    secrets: dict[str, str] = Field({}, description="Write-only: stored encrypted, shown back masked.")


class ChannelPatch(Schema):
    name: str | None = Field(None, max_length=120)
    default_team_id: int | None = Field(None, description="A team id; null removes the default team.")
    config: dict[str, Any] | None = Field(None, description="Merged into the stored settings.")
    secrets: dict[str, str] | None = Field(
        None, description="Merged in; a secret left out or empty keeps its stored value."
    )
    is_active: bool | None = None


# ---------------------------------------------------------------- canned responses


class CannedOut(Schema):
    id: int
    shortcut: str
    title: str
    text: str
    team_id: int | None
    created_at: LocalTime


class CannedIn(Schema):
    shortcut: str = Field(max_length=50)
    title: str = Field(max_length=120)
    text: str
    team_id: int | None = None


class CannedPatch(Schema):
    shortcut: str | None = Field(None, max_length=50)
    title: str | None = Field(None, max_length=120)
    text: str | None = None
    team_id: int | None = Field(None, description="A team id; null makes it available to every team.")


# ---------------------------------------------------------------- knowledge base

KbStatus = Literal["draft", "published", "archived"]
KbVisibility = Literal["public", "internal"]
_DB_INT = 2_147_483_647  # the largest position the database stores everywhere
_SLUG = r"^([0-9a-z\u0e01-\u0e4e]+(-[0-9a-z\u0e01-\u0e4e]+)*)?$"  # Thai or lower-case letters, digits, single hyphens
_KEY = r"^[-a-zA-Z0-9_]*$"
_WORD = r"\S"  # not only spaces


def _json_integer(value: Any) -> Any:
    """A JSON number (834 or 834.0) where an integer is wanted: pydantic alone also takes `true` and `"834"`."""
    if isinstance(value, bool | str):
        from django.utils.translation import gettext as _

        raise ValueError(_("Input should be a valid integer."))
    return value


class KbCategoryRef(Schema):
    id: int
    key: str
    name: str = Field(description="In the article's language (the Thai name when there is no English one).")


class KbCategoryOut(Schema):
    id: int
    key: str = Field(description="A stable name used by export and import.")
    position: int
    icon: str
    name_th: str
    name_en: str
    description_th: str
    description_en: str
    slug_th: str = Field(description="The category's address in the Thai help center.")
    slug_en: str
    article_count: int = Field(description="Articles in it, in every language and status.")

    @staticmethod
    def resolve_article_count(obj: Any) -> int:
        count = getattr(obj, "article_count", None)
        return int(count) if count is not None else int(obj.articles.count())


class KbCategoryIn(Schema):
    name_th: str = Field(min_length=1, max_length=120, pattern=_WORD)
    name_en: str = Field("", max_length=120)
    description_th: str = Field("", max_length=300)
    description_en: str = Field("", max_length=300)
    slug_th: str = Field("", max_length=120, pattern=_SLUG, description="Default: made from the Thai name.")
    slug_en: str = Field("", max_length=120, pattern=_SLUG, description="Default: made from the English name.")
    key: str = Field("", max_length=80, pattern=_KEY, description="Default: made from the English address.")
    icon: str = Field("", max_length=8, description="An emoji shown beside the name.")
    position: int | None = Field(None, ge=0, le=_DB_INT, description="Default: after the last category.")

    @field_validator("position", mode="before")
    @classmethod
    def numbers(cls, value: Any) -> Any:
        return _json_integer(value)


class KbCategoryPatch(Schema):
    name_th: str | None = Field(None, min_length=1, max_length=120, pattern=_WORD)
    name_en: str | None = Field(None, max_length=120)
    description_th: str | None = Field(None, max_length=300)
    description_en: str | None = Field(None, max_length=300)
    slug_th: str | None = Field(None, max_length=120, pattern=_SLUG,
                                description="Empty: made again from the Thai name.")
    slug_en: str | None = Field(None, max_length=120, pattern=_SLUG,
                                description="Empty: made again from the English name.")
    key: str | None = Field(None, min_length=1, max_length=80, pattern=_KEY)
    icon: str | None = Field(None, max_length=8)
    position: int | None = Field(None, ge=0, le=_DB_INT)

    @field_validator("position", mode="before")
    @classmethod
    def numbers(cls, value: Any) -> Any:
        return _json_integer(value)


class KbAttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    is_image: bool
    url: str = Field(description="Where the help center serves the file; link it from the article's Markdown.")
    created_at: LocalTime

    @staticmethod
    def resolve_url(obj: Any) -> str:
        from django.urls import reverse

        return reverse("help:file", kwargs={"attachment_id": obj.pk, "filename": obj.filename})


class KbTranslationOut(Schema):
    id: int
    language: Language
    title: str


class KbArticleOut(Schema):
    id: int
    key: str = Field(description="A stable name of the topic, shared by its language versions.")
    translation_key: str = Field(description="Shared by the language versions of one topic.")
    language: Language
    category: KbCategoryRef
    position: int
    title: str
    slug: str = Field(description="The article's address in the help center.")
    summary: str
    keywords: str = Field(description="Other words customers use for the topic, separated by commas.")
    status: KbStatus
    visibility: KbVisibility = Field(description="`internal`: agents only, never in the public help center.")
    url: str = Field(description="The article's address in the help center (public once published and public).")
    views: int
    helpful_yes: int
    helpful_no: int
    updated_by: AgentRef | None
    created_at: LocalTime
    updated_at: LocalTime
    published_at: LocalTime | None

    @staticmethod
    def resolve_translation_key(obj: Any) -> str:
        return str(obj.translation_key)

    @staticmethod
    def resolve_category(obj: Any) -> dict[str, Any]:
        return {"id": obj.category_id, "key": obj.category.key, "name": obj.category.name(obj.language)}

    @staticmethod
    def resolve_url(obj: Any) -> str:
        from ruamchat.kb.selectors import article_url

        return article_url(obj)


class KbArticleDetailOut(KbArticleOut):
    body: str = Field(description="The text, in Markdown.")
    body_html: str = Field(description="The text as sanitized HTML, as the help center shows it.")
    translations: list[KbTranslationOut] = Field(description="The topic's versions in other languages.")
    attachments: list[KbAttachmentOut]

    @staticmethod
    def resolve_body_html(obj: Any) -> str:
        from ruamchat.kb.markdown import render

        return render(obj.body)

    @staticmethod
    def resolve_translations(obj: Any) -> list[Any]:
        return list(obj.translations().order_by("language"))

    @staticmethod
    def resolve_attachments(obj: Any) -> list[Any]:
        return list(obj.attachments.order_by("id"))


class KbArticlePage(PageMeta):
    items: list[KbArticleOut]


class KbArticleFilter(Schema):
    lang: Literal["th", "en", ""] = Field("", description="`th`, `en`, or empty for both.")
    status: Literal["draft", "published", "archived", ""] = ""
    category: int | None = Field(None, ge=1, le=_DB_INT, description="A category id.")
    q: str = Field("", max_length=200, description="Part of the title, key or address.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=_DB_INT)


class KbArticleIn(Schema):
    language: Language
    category_id: int = Field(ge=1, le=_DB_INT)
    title: str = Field(min_length=1, max_length=200, pattern=_WORD)
    body: str = Field("", description="Markdown.")
    summary: str = Field("", max_length=300)
    keywords: str = Field("", max_length=300)
    status: KbStatus = "draft"
    visibility: KbVisibility = "public"
    slug: str = Field("", max_length=200, pattern=_SLUG,
                      description="Default: made from the title (Thai stays readable).")
    translation_of: int | None = Field(
        None, ge=1, le=_DB_INT,
        description="The id of the same topic in the other language: this becomes its translation.")

    @field_validator("category_id", "translation_of", mode="before")
    @classmethod
    def numbers(cls, value: Any) -> Any:
        return _json_integer(value)


class KbArticlePatch(Schema):
    category_id: int | None = Field(None, ge=1, le=_DB_INT)
    title: str | None = Field(None, min_length=1, max_length=200, pattern=_WORD)
    body: str | None = None
    summary: str | None = Field(None, max_length=300)
    keywords: str | None = Field(None, max_length=300)
    status: KbStatus | None = None
    visibility: KbVisibility | None = Field(None, description="Applies to every language version of the topic.")
    slug: str | None = Field(None, max_length=200, pattern=_SLUG, description="Empty: made again from the title.")
    position: int | None = Field(None, ge=0, le=_DB_INT)
    note: str = Field("", max_length=200, description="Why it changed, kept with the revision.")

    @field_validator("category_id", "position", mode="before")
    @classmethod
    def numbers(cls, value: Any) -> Any:
        return _json_integer(value)


class KbRevisionOut(Schema):
    number: int
    title: str
    summary: str
    body: str
    status: KbStatus
    author: AgentRef | None
    note: str
    created_at: LocalTime


class KbSearchFilter(Schema):
    q: str = Field(min_length=1, description="What to look for, in Thai or English, as customers write it.")
    lang: Literal["th", "en", ""] = Field("", description="`th`, `en`, or empty for both.")
    limit: int = Field(10, ge=1, le=50)
    offset: int = Field(0, ge=0, le=1000)


class KbCorrectionOut(Schema):
    typed: str
    searched: str = Field(description="The known word searched for instead.")


class KbSearchHitOut(Schema):
    id: int
    title: str
    language: Language
    category: KbCategoryRef
    url: str
    internal: bool = Field(description="Agents only: never show this article or its link to a customer.")
    score: float = Field(description="Relevance; higher is better, only comparable within one search.")
    title_html: str = Field(description="The title, HTML-escaped, with the matched words in `<mark>`.")
    snippet_html: str = Field(description="The best passage, HTML-escaped, with the matched words in `<mark>`.")
    summary: str


class KbSearchOut(Schema):
    query: str
    corrected: list[KbCorrectionOut] = Field(description="Words taken for a typing mistake and what was searched.")
    results: list[KbSearchHitOut]


class KbWordOut(Schema):
    id: int
    word: str
    created_at: LocalTime


class KbWordIn(Schema):
    word: str = Field(min_length=1, max_length=80, pattern=_WORD, description="A product or brand name to keep whole.")


class KbSynonymsOut(Schema):
    id: int
    words: list[str]
    created_at: LocalTime

    @staticmethod
    def resolve_words(obj: Any) -> list[str]:
        return list(obj.word_list)


class KbSynonymsIn(Schema):
    words: list[Annotated[str, Field(min_length=1, max_length=80, pattern=_WORD)]] = Field(
        min_length=2, json_schema_extra={"uniqueItems": True},
        description="At least two different words that mean the same to customers.")

    @field_validator("words")
    @classmethod
    def different(cls, value: list[str]) -> list[str]:
        from django.utils.translation import gettext as _

        if len({" ".join(word.split()) for word in value}) != len(value):
            raise ValueError(_("Each word may be given only once."))
        return value


def _objects_only(value: Any) -> Any:
    """Items of an export must be JSON objects (a ninja Schema would otherwise read a string's attributes)."""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    if any(not isinstance(item, dict) for item in items):
        from django.utils.translation import gettext as _

        raise ValueError(_("Each item must be a JSON object."))
    return value


class KbExportCategory(Schema):
    key: str = Field(min_length=1, max_length=80, pattern=_KEY)
    position: int = Field(0, ge=0, le=_DB_INT)
    icon: str = ""
    names: dict[str, str] = Field({}, description="`th` and `en`.")
    descriptions: dict[str, str] = {}
    slugs: dict[str, str] = {}

    @field_validator("position", mode="before")
    @classmethod
    def numbers(cls, value: Any) -> Any:
        return _json_integer(value)


class KbExportAttachment(Schema):
    filename: str = Field(max_length=200)
    content_type: str = ""
    content: str = Field(description="The file, base64-encoded.")

    @field_validator("filename")
    @classmethod
    def plain_name(cls, value: str) -> str:
        from django.utils.translation import gettext as _

        name = value.replace("\\", "/").rsplit("/", 1)[-1]
        if name in (".", "..") or "\x00" in name:
            raise ValueError(_("This is not a file name."))
        return value


class KbExportVersion(Schema):
    title: str = Field(min_length=1, max_length=200, pattern=_WORD)
    slug: str = Field("", max_length=200, pattern=_SLUG)
    summary: str = Field("", max_length=300)
    keywords: str = Field("", max_length=300)
    status: KbStatus = "draft"
    body: str = ""
    updated_at: str | None = Field(None, description="Export only; ignored by import.")
    views: int = Field(0, description="Export only; ignored by import.")
    helpful: dict[str, int] = Field({}, description="Export only; ignored by import.")
    attachments: list[KbExportAttachment] = []

    @field_validator("attachments", mode="before")
    @classmethod
    def attachment_objects(cls, value: Any) -> Any:
        return _objects_only(value)

    @field_validator("views", mode="before")
    @classmethod
    def numbers(cls, value: Any) -> Any:
        return _json_integer(value)

    @field_validator("helpful", mode="before")
    @classmethod
    def counts(cls, value: Any) -> Any:
        for count in value.values() if isinstance(value, dict) else ():
            _json_integer(count)
        return value


class KbExportTopic(Schema):
    key: str = Field(min_length=1, max_length=80, pattern=_KEY)
    category: str = Field(min_length=1, max_length=80, pattern=_KEY, description="The category's key.")
    position: int = Field(0, ge=0, le=_DB_INT)
    visibility: KbVisibility = "public"
    versions: dict[Language, KbExportVersion] = Field(min_length=1, description="Per language: `th`, `en`.")

    @field_validator("versions", mode="before")
    @classmethod
    def version_objects(cls, value: Any) -> Any:
        return _objects_only(value)

    @field_validator("position", mode="before")
    @classmethod
    def numbers(cls, value: Any) -> Any:
        return _json_integer(value)


class KbExport(Schema):
    """The whole knowledge base: what GET /kb/export gives and POST /kb/import reads back."""

    format: Literal["ruamchat-kb"]
    version: int = 1
    exported_at: str | None = None
    categories: list[KbExportCategory] = []
    articles: list[KbExportTopic] = []
    dictionary: list[str] = []
    synonyms: list[list[str] | str] = []

    @field_validator("categories", "articles", mode="before")
    @classmethod
    def item_objects(cls, value: Any) -> Any:
        return _objects_only(value)

    @field_validator("version", mode="before")
    @classmethod
    def numbers(cls, value: Any) -> Any:
        return _json_integer(value)


class KbImportOut(Schema):
    categories: int
    articles_created: int
    articles_updated: int
    attachments: int
