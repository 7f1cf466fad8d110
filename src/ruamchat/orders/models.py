"""Where Support looks orders up: a shop's HTTP API (or the built-in sample shop of the demo), set up by an
administrator with a URL template, a secret header, a field mapping and the pattern of its order numbers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ruamchat.core import secrets as secret_box
from ruamchat.orders import mapping as field_mapping
from ruamchat.orders import patterns

MAX_TIMEOUT_SECONDS = 30
MAX_CACHE_SECONDS = 3600


class OrderSource(models.Model):
    class Kind(models.TextChoices):
        HTTP = "http", _("Shop API (HTTP)")
        SAMPLE = "sample", _("Built-in sample orders (demo)")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.HTTP)
    active = models.BooleanField(_("active"), default=True)
    url_template = models.CharField(
        _("URL template"), max_length=500, blank=True, validators=[field_mapping.validate_url_template],
        help_text=_("The address of one order, with {order} where the order number goes, for example "
                    "https://shop.example/api/orders/{order}"),
    )
    #: headers sent as they are (not secret), e.g. {"Accept-Language": "th"}
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    secret_header = models.CharField(
        _("secret header name"), max_length=100, blank=True, validators=[field_mapping.validate_header_name],
        help_text=_("For example Authorization or X-Api-Key. Its value is stored encrypted."),
    )
    secret_encrypted = models.TextField(blank=True, default="")
    mapping = models.JSONField(_("field mapping"), default=dict, blank=True)
    number_pattern = models.CharField(
        _("order number pattern"), max_length=patterns.MAX_PATTERN_LENGTH, blank=True,
        validators=[patterns.validate_pattern],
        help_text=_("A regular expression that finds order numbers in customer messages, for example "
                    "\\b(?:CS|cs)-?\\d{5,8}\\b. Leave blank to look up only numbers agents type."),
    )
    uppercase_numbers = models.BooleanField(
        _("write found numbers in capitals"), default=True,
        help_text=_("cs-10023 in a message is looked up as CS-10023."),
    )
    timeout_seconds = models.PositiveSmallIntegerField(
        _("timeout (seconds)"), default=5,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TIMEOUT_SECONDS)],
    )
    cache_seconds = models.PositiveIntegerField(
        _("remember answers for (seconds)"), default=120, validators=[MaxValueValidator(MAX_CACHE_SECONDS)],
        help_text=_("0 asks the shop every time. Timeouts and connection errors are never remembered."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("order source")
        verbose_name_plural = _("order sources")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.kind == self.Kind.HTTP:
            if not self.url_template:
                errors["url_template"] = _("A shop API needs a URL template.")
            if "status" not in (self.mapping or {}):
                errors["mapping"] = _("Say where the order status is (status: …).")
        if errors:
            raise ValidationError(errors)

    @property
    def secret_value(self) -> str:
        return str(secret_box.decrypt(self.secret_encrypted).get("value", ""))

    def set_secret(self, value: str) -> None:
        self.secret_encrypted = secret_box.encrypt({"value": value}) if value else ""

    def find_numbers(self, text: str) -> list[str]:
        """The order numbers of this source in ``text`` (already normalised), as they are looked up."""
        return patterns.find(self.number_pattern, text, uppercase=self.uppercase_numbers)
