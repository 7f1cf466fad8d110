"""Customers and the accounts they write from."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Contact(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    avatar_url = models.URLField(_("avatar"), blank=True, max_length=500)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email or self.phone or str(_("Visitor #%(id)s") % {"id": self.pk})


class Identity(models.Model):
    """One account of a contact on one channel: a LINE user id, a PSID, an email address, a visitor."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    channel = models.ForeignKey("connectors.Channel", on_delete=models.CASCADE, related_name="identities")
    external_id = models.CharField(max_length=255)
    display_name = models.CharField(max_length=200, blank=True)
    profile = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    #: set while the customer has blocked (unfollowed) the business account on this channel
    blocked_at = models.DateTimeField(null=True, blank=True)
    profile_refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="identity_unique_per_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.channel.kind}:{self.display_name or self.external_id}"
