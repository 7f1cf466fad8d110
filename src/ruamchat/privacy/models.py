"""What the PDPA asks us to keep: who looked at, exported, changed or erased a customer's data, and the
retention policy."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditRecord(models.Model):
    """One access to or change of a contact's personal data. Append-only; kept when the contact is erased
    (it names the contact by number, never by name)."""

    class Action(models.TextChoices):
        VIEWED = "viewed", _("Viewed the profile")
        EXPORTED = "exported", _("Exported the data")
        ERASED = "erased", _("Erased the data")
        ANONYMISED = "anonymised", _("Anonymised the data")
        MERGED = "merged", _("Merged contacts")
        UNMERGED = "unmerged", _("Undid a merge")
        EDITED = "edited", _("Edited the profile")
        CONSENT = "consent", _("Recorded a consent")
        RETENTION = "retention", _("Retention policy applied")
        SIGNED_IN = "signed_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
        SIGN_IN_BLOCKED = "sign_in_blocked", _("Sign-in refused: too many failures")
        SIGNED_OUT = "signed_out", _("Signed out")
        SESSION_ENDED = "session_ended", _("Ended a session")
        PASSWORD_CHANGED = "password_changed", _("Changed the password")
        PASSWORD_RESET = "password_reset", _("Password reset by email")
        TWO_FACTOR = "two_factor", _("Changed two-factor sign-in")
        TOKEN = "token", _("Created or revoked an API token")
        ADMIN_CHANGE = "admin_change", _("Changed the set-up")

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    #: the actor's user name when it was recorded ("" for the system): kept if the account is deleted
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    #: the contact's number (not a foreign key: the record outlives an erased or deleted contact)
    contact_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    #: where the request came from (IP address), when it came through the web
    address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit record")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.actor_name or '-'} {self.action} {self.contact_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("audit records are append-only")
        super().save(*args, **kwargs)


class RetentionPolicy(models.Model):
    """How long conversations keep their content (one row, edited by administrators on the retention page).

    Conversations resolved or closed more than ``months`` ago are anonymised (their messages, attachments and
    text fields emptied, the rows and numbers kept) or deleted; raw provider events older than that are
    redacted either way. Open, pending, snoozed and bot conversations are never touched."""

    class Action(models.TextChoices):
        ANONYMISE = "anonymise", _("Anonymise (keep the conversations without their content)")
        DELETE = "delete", _("Delete the conversations")

    enabled = models.BooleanField(_("apply every day"), default=False)
    months = models.PositiveSmallIntegerField(
        _("keep for (months)"), default=24, validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text=_("Counted from when a conversation was resolved or closed."))
    action = models.CharField(_("then"), max_length=16, choices=Action.choices, default=Action.ANONYMISE)
    attachments_only = models.BooleanField(
        _("attachments only"), default=False,
        help_text=_("Remove only the files customers and agents sent; keep the text of the messages."))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    #: raw provider events up to this id that are older than the cutoff are redacted already (ids grow with
    #: arrival, so each run goes on from here instead of reading every old event again)
    events_done_id = models.BigIntegerField(default=0)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policy")

    def __str__(self) -> str:
        return f"{self.action} after {self.months} months{' (on)' if self.enabled else ''}"


class Redaction(models.Model):
    """The content of a conversation was removed (by an erasure or by the retention policy) at ``at``: what is
    left is its numbers. The retention job skips a conversation redacted since it ended."""

    class Scope(models.TextChoices):
        ATTACHMENTS = "attachments", _("Attachments")
        CONTENT = "content", _("Messages and attachments")

    class Reason(models.TextChoices):
        ERASURE = "erasure", _("The customer's data was erased")
        RETENTION = "retention", _("Retention policy")

    conversation = models.OneToOneField("inbox.Conversation", on_delete=models.CASCADE, primary_key=True,
                                        related_name="+")
    scope = models.CharField(max_length=16, choices=Scope.choices)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("redacted conversation")
        verbose_name_plural = _("redacted conversations")

    def __str__(self) -> str:
        return f"#{self.conversation_id} {self.scope} {self.reason}"
