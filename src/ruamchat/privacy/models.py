"""What the PDPA asks us to keep: who looked at, exported, changed or erased a customer's data, and the
retention policy."""

from __future__ import annotations

from django.conf import settings
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

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("audit records are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]
