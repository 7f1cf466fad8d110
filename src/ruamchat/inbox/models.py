"""Conversations (the tickets), their messages, and the append-only event log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    color = models.CharField(_("colour"), max_length=7, default="#64748b")

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Conversation(models.Model):
    """One episode of a customer's contact: created, answered, resolved. Never one per customer forever."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        #: the chatbot is answering; no person is involved yet (not in the teams' queues, no SLA clock)
        BOT = "bot", _("With the bot")
        PENDING = "pending", _("Pending")
        SNOOZED = "snoozed", _("Snoozed")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Priority(models.IntegerChoices):
        URGENT = 0, _("Urgent")
        HIGH = 1, _("High")
        NORMAL = 2, _("Normal")
        LOW = 3, _("Low")

    channel = models.ForeignKey("connectors.Channel", on_delete=models.PROTECT, related_name="conversations")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="conversations")
    identity = models.ForeignKey(
        "contacts.Identity", on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations"
    )
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    category = models.CharField(_("category"), max_length=32, blank=True)
    #: the triage suggestion made when the conversation started: team kind, category, priority and reasons
    triage = models.JSONField(default=dict, blank=True)
    #: the last hand-over (reason, from team, by whom, when), shown on top in the receiving queue until answered
    handover = models.JSONField(default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations")
    snoozed_until = models.DateTimeField(null=True, blank=True)
    # When the customer started waiting for a human answer; None when nobody is waiting on us.
    waiting_since = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_message_preview = models.CharField(max_length=200, blank=True)
    first_reply_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveIntegerField(default=0)
    # SLA clocks (see ruamchat.sla): due times in business time of the team's calendar, kept up to date by
    # sla.actions.recompute whenever something that moves them happens, and looked at by the sweep only
    # when ``sla_check_at`` comes (never a query per conversation per minute).
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    next_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    sla_due_at = models.DateTimeField(null=True, blank=True)  # the nearest of the running clocks
    sla_state = models.PositiveSmallIntegerField(default=9)  # 0 breached, 1 at risk, 2 ok, 9 no SLA running
    sla_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)  # pending: the resolution clock is paused
    sla_paused_seconds = models.PositiveIntegerField(default=0)  # business seconds paused so far
    sla_flags = models.JSONField(default=dict, blank=True)  # warnings and breaches already announced
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [
            # The queue order: priority, then who has waited longest. ASC puts NULLs last on PostgreSQL,
            # matching QUEUE_ORDER (SQLite cannot index NULLS LAST; it sorts the small open set instead).
            # The included column makes an agent's queue counts (team OR assignee) index-only scans.
            models.Index(
                F("status"), F("team"), F("sla_state"), F("sla_due_at"), F("priority"), F("waiting_since"), F("id"),
                name="conv_team_queue2", include=["assignee"],
            ),
            models.Index(
                F("status"), F("assignee"), F("sla_state"), F("sla_due_at"), F("priority"), F("waiting_since"),
                F("id"), name="conv_assignee_queue2", include=["team"],
            ),
            models.Index(
                F("status"), F("sla_state"), F("sla_due_at"), F("priority"), F("waiting_since"), F("id"),
                name="conv_all_queue2",
            ),
            models.Index(fields=["contact", "-created_at"], name="conv_contact_recent"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def number(self) -> int:
        return int(self.pk)

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.PENDING, self.Status.SNOOZED)

    @property
    def has_sla_clock(self) -> bool:
        """An SLA clock runs (or is paused) for this conversation: its due times are worth showing."""
        return self.is_active and bool(self.first_response_due_at or self.next_response_due_at
                                       or self.resolution_due_at or self.sla_paused_at)


class Message(models.Model):
    class Direction(models.TextChoices):
        INCOMING = "in", _("Incoming")
        OUTGOING = "out", _("Outgoing")

    class Sender(models.TextChoices):
        CONTACT = "contact", _("Customer")
        AGENT = "agent", _("Agent")
        BOT = "bot", _("Bot")
        SYSTEM = "system", _("System")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PENDING = "pending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Failed")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    channel = models.ForeignKey("connectors.Channel", on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    sender_type = models.CharField(max_length=16, choices=Sender.choices)
    sender_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_private = models.BooleanField(default=False)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    # NULL, not "", for messages without a provider id: the unique constraint must let many of those be.
    provider_message_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_message_id"], name="message_provider_id_unique_per_channel"
            ),
        ]
        indexes = [models.Index(fields=["conversation", "id"], name="message_conversation_order")]

    def __str__(self) -> str:
        return f"{self.direction}:{self.text[:40]}"

    @property
    def is_from_human_agent(self) -> bool:
        return self.sender_type == self.Sender.AGENT and not self.is_private


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.message.conversation_id}/{instance.message_id}/{filename}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")
        AUDIO = "audio", _("Audio")
        FILE = "file", _("File")
        STICKER = "sticker", _("Sticker")
        LOCATION = "location", _("Location")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.FILE)
    file = models.FileField(upload_to=attachment_path, blank=True, max_length=500)
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    external_url = models.URLField(blank=True, max_length=1000)
    data = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.filename or self.kind

    @staticmethod
    def kind_for(content_type: str) -> str:
        """The attachment kind a MIME type is shown as (image, video, audio, else file)."""
        major = (content_type or "").split("/")[0].strip().lower()
        return {"image": "image", "video": "video", "audio": "audio"}.get(major, "file")


class Event(models.Model):
    """What happened to a conversation. Append-only: the timeline, the audit trail, the metrics' input."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Conversation started")
        REOPENED = "reopened", _("Reopened")
        ASSIGNED = "assigned", _("Assigned")
        UNASSIGNED = "unassigned", _("Unassigned")
        TRANSFERRED = "transferred", _("Transferred")
        STATUS_CHANGED = "status_changed", _("Status changed")
        PRIORITY_CHANGED = "priority_changed", _("Priority changed")
        TAGGED = "tagged", _("Tag added")
        UNTAGGED = "untagged", _("Tag removed")
        FIRST_REPLY = "first_reply", _("First reply")
        SEND_FAILED = "send_failed", _("Message could not be sent")
        CONTACT_FOLLOWED = "contact_followed", _("Customer followed the account")
        CONTACT_UNFOLLOWED = "contact_unfollowed", _("Customer blocked the account")
        MESSAGE_WITHDRAWN = "message_withdrawn", _("Customer withdrew a message")
        THREAD_CHANGED = "thread_changed", _("Group chat changed")
        TRIAGED = "triaged", _("Triage suggestion")
        RULE_APPLIED = "rule_applied", _("Routing rule applied")
        SLA_WARNING = "sla_warning", _("SLA at risk")
        SLA_BREACHED = "sla_breached", _("SLA breached")
        ESCALATED = "escalated", _("Escalated")
        BOT_ANSWERED = "bot_answered", _("Bot answered")
        BOT_HANDOFF = "bot_handoff", _("Bot handed over")
        BOT_RESOLVED = "bot_resolved", _("Resolved by the bot")
        BOT_PAUSED = "bot_paused", _("Bot paused")
        BOT_RESUMED = "bot_resumed", _("Bot resumed")
        SURVEY_SENT = "survey_sent", _("Survey sent")
        SURVEY_SKIPPED = "survey_skipped", _("Survey not sent")
        SURVEY_ANSWERED = "survey_answered", _("Survey answered")
        FOLLOW_UP_OPENED = "follow_up_opened", _("Follow-up opened")
        FOLLOW_UP_CLOSED = "follow_up_closed", _("Follow-up closed")
        CONTACT_MERGED = "contact_merged", _("Customer profiles merged")
        CONTACT_UNMERGED = "contact_unmerged", _("Customer merge undone")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["conversation", "id"], name="event_conversation_order")]

    def __str__(self) -> str:
        return f"{self.conversation_id}:{self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("events are append-only")
        super().save(*args, **kwargs)


# Not a SlugField: Thai vowel and tone marks are combining characters that \w (and so slugs) refuse.
shortcut_validator = RegexValidator(r"^[^\s/]+$", _("A shortcut is one word, without spaces or '/'."))


class CannedResponse(models.Model):
    shortcut = models.CharField(_("shortcut"), max_length=50, unique=True, validators=[shortcut_validator])
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"))
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("team")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shortcut"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")

    def __str__(self) -> str:
        return f"/{self.shortcut}"
