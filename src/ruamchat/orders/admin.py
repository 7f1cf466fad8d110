"""Administration of order sources. The secret header's value is write-only: the form shows it masked, a blank
field keeps the stored value, and it is never put back into the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ruamchat.core import secrets as secret_box
from ruamchat.orders import actions
from ruamchat.orders import mapping as field_mapping
from ruamchat.orders.models import OrderSource

MAPPING_HELP = _(
    "One field per line as field: path, or a JSON object. Paths follow the keys of the shop's JSON answer with "
    "dots; a list's items with [] (data.order.items[].name) and one element by its index (shipments[0].tracking). "
    "Fields: status (required), items, item_name, item_quantity, item_price (inside each item, or with []), "
    "ordered_at, shipped_at, delivered_at, tracking_number, carrier, total, currency."
)


class _TextField(forms.CharField):
    """A JSON model field edited as lines of text: ``parse`` reads the text, ``render`` writes it back."""

    def __init__(self, *, parse: Callable[[str], dict[str, str]], render: Callable[[dict[str, Any]], str],
                 **kwargs: Any) -> None:
        self.parse, self.render = parse, render
        super().__init__(required=False, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return self.render(value) if isinstance(value, dict) else value

    def clean(self, value: Any) -> dict[str, str]:
        return self.parse(super().clean(value) or "")

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.parse(data or "") != (initial or {})
        except forms.ValidationError:
            return True


class OrderSourceForm(forms.ModelForm):
    headers = _TextField(
        parse=field_mapping.parse_headers_text, render=field_mapping.headers_as_text, label=_("Other headers"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent as they are, one per line as Name: value. Not for secrets."),
    )
    new_secret = forms.CharField(
        label=_("Secret header value"), required=False, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("For example Bearer abc123 for Authorization. Stored encrypted; leave blank to keep what is "
                    "stored."),
    )
    clear_secret = forms.BooleanField(label=_("Remove the stored secret"), required=False)
    mapping = _TextField(
        parse=field_mapping.parse_mapping_text, render=field_mapping.mapping_as_text, label=_("Field mapping"),
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60}), help_text=MAPPING_HELP,
    )

    class Meta:
        model = OrderSource
        fields = ("name", "kind", "active", "url_template", "secret_header", "headers", "mapping",
                  "number_pattern", "uppercase_numbers", "timeout_seconds", "cache_seconds")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = self._stored_secret() if self.instance.pk else ""
        if stored:
            self.fields["new_secret"].help_text = _("Stored: %(masked)s. Type a new value to replace it; leave "
                                                    "blank to keep it.") % {"masked": secret_box.mask(stored)}

    def _stored_secret(self) -> str:
        try:
            return self.instance.secret_value
        except secret_box.SecretsUnreadable:
            return "????"

    def clean_new_secret(self) -> str:
        value = self.cleaned_data.get("new_secret") or ""
        if not field_mapping.is_header_value(value):
            raise forms.ValidationError(_("A header value is one line of Latin letters, digits and punctuation."))
        return value


@admin.register(OrderSource)
class OrderSourceAdmin(admin.ModelAdmin):
    form = OrderSourceForm
    list_display = ("name", "kind", "active", "url_template", "timeout_seconds", "cache_seconds")
    list_filter = ("kind", "active")
    fieldsets = (
        (None, {"fields": ("name", "kind", "active")}),
        (_("Request"), {"fields": ("url_template", "secret_header", "new_secret", "clear_secret", "headers",
                                   "timeout_seconds", "cache_seconds")}),
        (_("Answer"), {"fields": ("mapping",)}),
        (_("Order numbers in messages"), {"fields": ("number_pattern", "uppercase_numbers")}),
    )

    def save_model(self, request: HttpRequest, obj: OrderSource, form: Any, change: bool) -> None:
        data = form.cleaned_data
        actions.save_source(actor=request.user if isinstance(request.user, User) else None, source=obj,
                            secret=data.get("new_secret") or "", clear_secret=bool(data.get("clear_secret")))
