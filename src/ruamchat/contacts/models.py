"""Customers and the accounts they write from."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _


class Contact(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    #: the phone number in E.164 (+66812345678), however it was typed: duplicates and search compare this
    phone_key = models.CharField(max_length=20, blank=True, db_index=True, editable=False)
    language = models.CharField(_("language"), max_length=8, blank=True)
    avatar_url = models.URLField(_("avatar"), blank=True, max_length=500)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    tags = models.ManyToManyField("inbox.Tag", blank=True, related_name="contacts", verbose_name=_("tags"))
    #: set when this contact was merged into another: it keeps nothing but the record of the merge (undo)
    merged_into = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    #: set when the contact's personal data was erased (PDPA): the row stays so the metrics keep their count
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        # duplicates are found by name and email in any case (iexact: UPPER(...) = UPPER(...) on PostgreSQL)
        indexes = [models.Index(Upper("name"), name="contact_name_upper"),
                   models.Index(Upper("email"), name="contact_email_upper")]

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
        indexes = [models.Index(Upper("display_name"), name="identity_name_upper")]

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


class ContactNote(models.Model):
    """A note about the customer (not about one conversation), for every agent who serves them."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    text = models.TextField(_("note"), max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("customer note")
        verbose_name_plural = _("customer notes")

    def __str__(self) -> str:
        return self.text[:40]


class AttributeDefinition(models.Model):
    """A field the business keeps about its customers (member level, birthday, company …), defined by an admin.
    Values live in ``Contact.attributes`` under ``key``; routing rules can read them."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        LIST = "list", _("List (one of the choices)")
        BOOLEAN = "boolean", _("Yes / no")
        LINK = "link", _("Link")

    key = models.SlugField(_("key"), max_length=40, unique=True,
                           help_text=_("Letters, digits, '-' and '_'; how routing rules and the API name it."))
    label_th = models.CharField(_("label (Thai)"), max_length=80)
    label_en = models.CharField(_("label (English)"), max_length=80)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.TEXT)
    choices = models.TextField(_("choices"), blank=True, help_text=_("For a list: one choice per line."))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "key"]
        verbose_name = _("customer attribute")
        verbose_name_plural = _("customer attributes")

    def __str__(self) -> str:
        return self.label_en or self.key

    def label(self, language: str) -> str:
        return (self.label_en if language == "en" else self.label_th) or self.key

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class Merge(models.Model):
    """A merge of ``source`` into ``target``: what moved, so it can be undone."""

    target = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="merges_in")
    source = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="merges_out")
    actor = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    #: ids of what moved, by kind, and the fields of both contacts before the merge
    moved = models.JSONField(default=dict)
    merged_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-id"]
        verbose_name = _("contact merge")
        verbose_name_plural = _("contact merges")

    def __str__(self) -> str:
        return f"{self.source_id}→{self.target_id}"
