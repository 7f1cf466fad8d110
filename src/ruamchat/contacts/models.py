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


class Consent(models.Model):
    """What a contact agreed to or refused, for one purpose, and where we learnt it. Append-only: the newest
    record of a purpose is the contact's current choice; the older ones are the history (PDPA)."""

    class Purpose(models.TextChoices):
        SERVICE = "service", _("Customer service")
        SURVEYS = "surveys", _("Surveys")

    class Source(models.TextChoices):
        SURVEY_PAGE = "survey_page", _("The customer, on a survey page")
        AGENT = "agent", _("An agent, on the customer's behalf")
        API = "api", _("The API")
        IMPORT = "import", _("An import")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    granted = models.BooleanField(_("agreed"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [models.Index(fields=["contact", "purpose", "-id"], name="consent_current")]

    def __str__(self) -> str:
        return f"{self.contact_id}:{self.purpose}:{'yes' if self.granted else 'no'}"
