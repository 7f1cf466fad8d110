"""Routing rules in the admin pages, in order, saved through the same actions as the API."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ruamchat.routing import actions, rules
from ruamchat.routing.models import RoutingRule

HELP_CONDITIONS = _(
    'A list of {"field": …, "op": …, "value": …}. Fields: channel (ids), channel_kind (line, messenger, email …), '
    "text (contains_word — Thai words are matched as words, not letters — not_contains_word, matches_regex), "
    "triage_team (service, support), triage_category (technical, return, exchange, refund, order_status, payment, "
    'account, other), triage_priority (is / at_most 0–3), contact_attribute ({"name", "value"}), tag (has, has_not), '
    "language (th, en), business_hours (inside, outside). Empty: always.")
HELP_ACTIONS = _(
    'A list of {"type": …, "value": …}: set_team (team id), set_priority (0 urgent – 3 low), set_category, add_tag, '
    "assign (agent's user id), auto_reply (text).")


class _Checked:
    """The rule's conditions and actions are checked like the API checks them, errors shown by the field."""

    def clean(self) -> Any:
        data = super().clean() or {}  # type: ignore[misc]
        for field, errors in rules.validate(data.get("conditions", []), data.get("actions")).items():
            self.add_error(field, errors)  # type: ignore[attr-defined]
        return data


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("position", "name", "is_active", "stop")
    list_display_links = ("name",)
    list_editable = ("position", "is_active")
    ordering = ("position", "id")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        form.base_fields["conditions"].help_text = HELP_CONDITIONS
        form.base_fields["actions"].help_text = HELP_ACTIONS
        return type("RoutingRuleForm", (_Checked, form), {})

    def save_model(self, request: HttpRequest, obj: RoutingRule, form: Any, change: bool) -> None:
        actor = request.user if isinstance(request.user, User) else None
        values = {k: form.cleaned_data.get(k) for k in ("name", "conditions", "actions", "position", "match_any",
                                                         "stop", "is_active")}
        if change:
            actions.update_rule(actor=actor, rule=obj, **values)
        else:
            obj.pk = actions.create_rule(actor=actor, **values).pk
