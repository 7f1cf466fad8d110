"""Input parsing for the inbox pages. Forms only parse and type-check; the actions decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from ruamchat.accounts.selectors import all_teams
from ruamchat.connectors.selectors import all_channels
from ruamchat.inbox.models import Conversation
from ruamchat.inbox.selectors import QueueFilter

STATUS_FILTERS = [
    ("open", _("Open")),
    ("bot", _("With the bot")),
    ("pending", _("Pending")),
    ("snoozed", _("Snoozed")),
    ("resolved", _("Resolved")),
    ("closed", _("Closed")),
    ("active", _("Active (open, pending, snoozed)")),
    ("any", _("Any status")),
]


def _agent_users() -> Any:
    return get_user_model().objects.filter(is_active=True, agent__isnull=False)


class QueueFilterForm(forms.Form):
    queue = forms.CharField(required=False, max_length=40)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_FILTERS, required=False)
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=[("", _("Any priority")), *Conversation.Priority.choices],
        coerce=int, empty_value=None, required=False,
    )
    channel = forms.ModelChoiceField(label=_("Channel"), queryset=all_channels(), required=False,
                                     empty_label=_("Any channel"))
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)

    def to_filter(self) -> QueueFilter:
        """The filter asked for; a value that does not parse falls back to its default."""
        data = self.cleaned_data if self.is_valid() else {
            k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors
        }
        channel = data.get("channel")
        return QueueFilter(
            queue=data.get("queue") or "mine",
            status=data.get("status") or "open",
            priority=data.get("priority"),
            channel_id=channel.pk if channel is not None else None,
            tag=(data.get("tag") or "").strip().lower(),
            search=(data.get("q") or "").strip(),
            page=data.get("page") or 1,
        )


class NoInputForm(forms.Form):
    """For controls that take no input (claim)."""


class ReplyForm(forms.Form):
    text = forms.CharField(required=False, strip=False)
    private = forms.BooleanField(required=False)


class AssignForm(forms.Form):
    agent = forms.ModelChoiceField(queryset=_agent_users(), required=False)


class TransferForm(forms.Form):
    team = forms.ModelChoiceField(queryset=all_teams(), required=False)
    agent = forms.ModelChoiceField(queryset=_agent_users(), required=False)
    reason = forms.CharField(required=False, max_length=500)
    note = forms.CharField(required=False, max_length=5000)


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(choices=Conversation.Priority.choices, coerce=int)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Conversation.Status.choices)
    snoozed_until = forms.DateTimeField(required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])


class TagForm(forms.Form):
    name = forms.CharField(max_length=100)
