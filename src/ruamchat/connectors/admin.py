"""Administration of channels: create and configure, see the webhook URL and the widget snippet.
Secrets are write-only: a blank field keeps the stored value, and none is ever shown back."""

from __future__ import annotations

import copy
import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind") or self.instance.kind
        if kind in registry.kinds():
            config, secrets = self.settings_values(data)
            stored = self.instance.secrets if self.instance.pk else {}
            validate = getattr(registry.get(kind), "validate_settings", None)
            problems = validate({**self.instance.config, **config} if self.instance.pk else config,
                                {**stored, **{k: v for k, v in secrets.items() if v}}) if validate else {}
            for field, errors in problems.items():
                self.add_error(field if field in self.fields else None, errors)
        return data

    def settings_values(self, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(config, secrets) as entered: the JSON fields, or a connector's own settings fields."""
        return data.get("config") or {}, data.get("new_secrets") or {}


class ConnectorSettingsForm(ChannelForm):
    """A channel whose connector has its own settings form (a mailbox): one field per setting, no JSON."""

    settings_form: type[forms.Form]

    class Meta:
        model = Channel
        fields = ("kind", "name", "default_team", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        secret_fields = getattr(self.settings_form, "secret_fields", ())
        for name in self.settings_form.base_fields:
            if self.instance.pk and name not in secret_fields and name in self.instance.config:
                self.initial[name] = self.instance.config[name]

    def settings_values(self, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        secret_fields = getattr(self.settings_form, "secret_fields", ())
        config = {n: data.get(n) for n in self.settings_form.base_fields if n not in secret_fields}
        secrets = {n: data.get(n) or "" for n in secret_fields}
        return config, secrets


def _kind_of(request: HttpRequest, obj: Channel | None) -> str:
    if obj is not None and obj.pk:
        return obj.kind
    return str(request.POST.get("kind") or request.GET.get("kind") or "")


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ("name", "kind", "default_team", "is_active")
    list_filter = ("kind", "is_active")
    readonly_fields = ("key", "webhook", "widget_snippet", "mailbox_status")
    change_form_template = "admin/connectors/channel/change_form.html"
    change_list_template = "admin/connectors/channel/change_list.html"

    def _settings_form(self, kind: str) -> type[forms.Form] | None:
        if kind not in registry.kinds():
            return None
        return getattr(registry.get(kind), "settings_form", None)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        settings_form = self._settings_form(_kind_of(request, obj))
        if settings_form is not None:
            fields = {name: copy.deepcopy(field) for name, field in settings_form.base_fields.items()}
            kwargs["form"] = type("SettingsForm", (ConnectorSettingsForm,), {"settings_form": settings_form, **fields})
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        kind = _kind_of(request, obj)
        settings_form = self._settings_form(kind)
        if settings_form is None:
            shown = ["key", "webhook", "widget_snippet"] if obj is not None else []
            return [(None, {"fields": ["kind", "name", "default_team", "config", "new_secrets", "is_active", *shown]})]
        return [
            (None, {"fields": ["kind", "name", "default_team", "is_active",
                               *(["key", "mailbox_status"] if obj is not None else [])]}),
            (registry.get(kind).label, {"fields": list(settings_form.base_fields)}),
        ]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        if request.GET.get("kind") in registry.kinds():
            initial["kind"] = request.GET["kind"]
        return initial

    @admin.display(description=_("Mailbox status"))
    def mailbox_status(self, obj: Channel) -> str:
        status = getattr(registry.get(obj.kind), "status", None) if obj.pk else None
        return status(obj) if status is not None else "-"

    def get_urls(self) -> list[URLPattern]:
        own = [
            path("<int:channel_id>/test-connection/", self.admin_site.admin_view(self.test_connection_view),
                 name="connectors_channel_test"),
            path("<int:channel_id>/fetch-now/", self.admin_site.admin_view(self.fetch_now_view),
                 name="connectors_channel_fetch"),
        ]
        return own + super().get_urls()

    def _checked(self, request: HttpRequest, channel_id: int) -> Channel:
        if not self.has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(Channel, pk=channel_id)

    def test_connection_view(self, request: HttpRequest, channel_id: int) -> HttpResponse:
        return require_POST(self._test_connection)(request, channel_id)

    def _test_connection(self, request: HttpRequest, channel_id: int) -> HttpResponse:
        channel = self._checked(request, channel_id)
        for check in actions.test_connection(actor=request.user, channel=channel):  # type: ignore[arg-type]
            messages.add_message(request, messages.SUCCESS if check.ok else messages.ERROR, check.message)
        return HttpResponseRedirect(reverse("admin:connectors_channel_change", args=[channel.pk]))

    def fetch_now_view(self, request: HttpRequest, channel_id: int) -> HttpResponse:
        return require_POST(self._fetch_now)(request, channel_id)

    def _fetch_now(self, request: HttpRequest, channel_id: int) -> HttpResponse:
        channel = self._checked(request, channel_id)
        try:
            actions.fetch_now(actor=request.user, channel=channel)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Fetching new mail now; it appears in the inbox in a moment."))
        return HttpResponseRedirect(reverse("admin:connectors_channel_change", args=[channel.pk]))

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], add: bool = False,
                           change: bool = False, form_url: str = "", obj: Any = None) -> Any:
        connector = registry.get(obj.kind) if obj is not None and obj.kind in registry.kinds() else None
        context["can_test_connection"] = connector is not None and hasattr(connector, "test_connection")
        context["can_fetch_now"] = connector is not None and hasattr(connector, "fetch_now")
        context["settings_kinds"] = [
            (k, registry.get(k).label) for k in registry.kinds() if self._settings_form(k) is not None
        ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        extra = {**(extra_context or {}), "settings_kinds": [
            (k, registry.get(k).label) for k in registry.kinds() if self._settings_form(k) is not None
        ]}
        return super().changelist_view(request, extra)

    @admin.display(description=_("Webhook URL"))
    def webhook(self, obj: Channel) -> str:
        return webhook_url(obj) if obj.pk else "-"

    @admin.display(description=_("Website snippet"))
    def widget_snippet(self, obj: Channel) -> str:
        return (embed_snippet(obj) or "-") if obj.pk else "-"

    def save_model(self, request: HttpRequest, obj: Channel, form: Any, change: bool) -> None:
        actor = request.user if isinstance(request.user, User) else None
        data = form.cleaned_data
        config, secrets = form.settings_values(data)
        if change:
            actions.update_channel(
                actor=actor, channel=obj, name=data["name"], default_team=data["default_team"],
                clear_default_team=data["default_team"] is None, config=config, secrets=secrets,
                is_active=data["is_active"],
            )
        else:
            created = actions.create_channel(
                actor=actor, kind=data["kind"], name=data["name"], default_team=data["default_team"],
                config=config, secrets={k: v for k, v in secrets.items() if v},
            )
            obj.pk = created.pk


@admin.register(InboundEvent)
class InboundEventAdmin(admin.ModelAdmin):
    """Raw provider events, for finding out what a provider really sent. Read-only."""

    list_display = ("provider_event_id", "channel", "event_type", "status", "received_at")
    list_filter = ("status", "channel")
    actions = ["process_again"]
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

    @admin.action(description=_("Process the selected events again"), permissions=["view"])
    def process_again(self, request: HttpRequest, queryset: Any) -> None:
        count = actions.reprocess_inbound_events(
            actor=request.user if isinstance(request.user, User) else None,
            event_ids=list(queryset.values_list("pk", flat=True)),
        )
        messages.success(request, _("%(count)s events will be processed again.") % {"count": count})
