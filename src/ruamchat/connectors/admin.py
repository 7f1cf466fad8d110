"""Administration of channels: create and configure, see the webhook URL and the widget snippet.
Secrets are write-only: a blank field keeps the stored value, and none is ever shown back."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ruamchat.connectors import actions, registry
from ruamchat.connectors.models import Channel, InboundEvent
from ruamchat.connectors.selectors import embed_snippet, webhook_url


class ChannelForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("kind"), choices=())
    new_secrets = forms.CharField(
        label=_("Secrets (JSON)"), required=False, widget=forms.PasswordInput(render_value=False),
        help_text=_('For example {"channel_secret": "…"}. Leave blank to keep what is stored.'),
    )

    class Meta:
        model = Channel
        fields = ("kind", "name", "default_team", "config", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, registry.get(k).label) for k in registry.kinds()]  # type: ignore[attr-defined]
        if self.instance.pk:
            self.fields["kind"].disabled = True

    def clean_new_secrets(self) -> dict[str, Any]:
        raw = self.cleaned_data.get("new_secrets") or ""
        if not raw.strip():
            return {}
        try:
            value = json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("Enter the secrets as a JSON object.")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Enter the secrets as a JSON object."))
        return value


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ("name", "kind", "default_team", "is_active")
    list_filter = ("kind", "is_active")
    readonly_fields = ("key", "webhook", "widget_snippet")

    @admin.display(description=_("Webhook URL"))
    def webhook(self, obj: Channel) -> str:
        return webhook_url(obj) if obj.pk else "-"

    @admin.display(description=_("Website snippet"))
    def widget_snippet(self, obj: Channel) -> str:
        return (embed_snippet(obj) or "-") if obj.pk else "-"

    def save_model(self, request: HttpRequest, obj: Channel, form: Any, change: bool) -> None:
        actor = request.user if isinstance(request.user, User) else None
        data = form.cleaned_data
        if change:
            actions.update_channel(
                actor=actor, channel=obj, name=data["name"], default_team=data["default_team"],
                clear_default_team=data["default_team"] is None, config=data["config"] or {},
                secrets=data["new_secrets"], is_active=data["is_active"],
            )
        else:
            created = actions.create_channel(
                actor=actor, kind=data["kind"], name=data["name"], default_team=data["default_team"],
                config=data["config"] or {}, secrets=data["new_secrets"],
            )
            obj.pk = created.pk


@admin.register(InboundEvent)
class InboundEventAdmin(admin.ModelAdmin):
    """Raw provider events, for finding out what a provider really sent. Read-only."""

    list_display = ("provider_event_id", "channel", "event_type", "status", "received_at")
    list_filter = ("status", "channel")
    search_fields = ("provider_event_id",)
    readonly_fields = ("channel", "provider_event_id", "event_type", "raw", "status", "error", "received_at",
                       "processed_at")
    exclude = ("payload",)

    @admin.display(description=_("Payload"))
    def raw(self, obj: InboundEvent) -> str:
        return bytes(obj.payload).decode("utf-8", errors="replace")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
