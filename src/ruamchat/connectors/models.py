"""Connected channel accounts and the raw events they deliver."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from ruamchat.core import secrets as secret_box


def new_channel_key() -> str:
    """URL-safe; never starting with "-", so `--channel KEY` on a command line is not read as an option."""
    key = secrets.token_urlsafe(16)
    while key.startswith("-"):
        key = secrets.token_urlsafe(16)
    return key


class Channel(models.Model):
    """One connected account: a website widget, a LINE OA, a Facebook page, a mailbox …"""

    kind = models.CharField(_("kind"), max_length=32, db_index=True)
    name = models.CharField(_("name"), max_length=120)
    key = models.CharField(max_length=64, unique=True, default=new_channel_key, editable=False)
    default_team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("default team")
    )
    config = models.JSONField(_("settings"), default=dict, blank=True)
    secrets_encrypted = models.TextField(blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return self.name

    @property
    def secrets(self) -> dict[str, Any]:
        return secret_box.decrypt(self.secrets_encrypted)

    def set_secrets(self, values: dict[str, Any]) -> None:
        self.secrets_encrypted = secret_box.encrypt(values)


class InboundEvent(models.Model):
    """A provider event exactly as it arrived. Stored before parsing so it can be re-parsed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed")

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="inbound_events")
    provider_event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=64, blank=True)
    payload = models.BinaryField()
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_event_id"], name="inbound_event_unique_per_channel"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.provider_event_id}"
