"""Surveys in the admin pages (Administration): the questions and rules of each survey with its triggers,
campaigns (started and cancelled through ``actions``), and the comment topics. Answers are read-only here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ruamchat.surveys import actions
from ruamchat.surveys.models import Campaign, FollowUp, Response, Survey, Topic, Trigger


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


class TriggerInline(admin.TabularInline):
    model = Trigger
    extra = 0
    fields = ("active", "team_kind", "delay_minutes", "channels")


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "active", "quiet_days")
    list_filter = ("kind", "active")
    inlines = (TriggerInline,)
    filter_horizontal = ("channels", "skip_teams", "skip_tags")
    fieldsets = (
        (None, {"fields": ("kind", "name", "active", "quiet_days", "expires_days", "follow_up_team")}),
        ("ไทย / Thai", {"fields": ("question_th", "low_label_th", "high_label_th", "followup_th", "thanks_th")}),
        ("English", {"fields": ("question_en", "low_label_en", "high_label_en", "followup_en", "thanks_en")}),
        (_("CSAT: when to ask"), {"fields": ("channels", "delay_minutes", "skip_teams", "skip_tags")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("kind",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Survey, form: Any, change: bool) -> None:
        actions.save_survey(actor=_actor(request), survey=obj)

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        if obj is not None and obj.kind == Survey.Kind.CSAT:
            return []  # CSAT is asked after every resolved conversation; triggers are for NPS and CES
        return super().get_inline_instances(request, obj)


class CampaignForm(forms.ModelForm):
    """The campaign's own checks (a CSAT survey, nothing to send from, an odd attribute name) shown on the form."""

    class Meta:
        model = Campaign
        fields = ("name", "survey", "line_channel", "email_channel", "segment_channels", "segment_tags",
                  "last_contact_after", "last_contact_before", "had_support_case", "attribute_name",
                  "attribute_value", "scheduled_at", "per_minute", "reminder_days")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        draft = Campaign(survey=data.get("survey"), line_channel=data.get("line_channel"),
                         email_channel=data.get("email_channel"), attribute_name=data.get("attribute_name") or "")
        if draft.survey_id is not None:
            try:
                actions.check_campaign(draft)
            except ValidationError as exc:
                raise ValidationError([m for messages in exc.message_dict.values() for m in messages]) from exc
        return data


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = ("name", "survey", "status", "scheduled_at", "created_at")
    list_filter = ("status",)
    filter_horizontal = ("segment_channels", "segment_tags")
    actions = ("start", "cancel")
    readonly_fields = ("status", "started_at", "finished_at")
    fieldsets = (
        (None, {"fields": ("name", "survey", "status", "line_channel", "email_channel")}),
        (_("Who"), {"fields": ("segment_channels", "segment_tags", "last_contact_after", "last_contact_before",
                                "had_support_case", "attribute_name", "attribute_value")}),
        (_("When"), {"fields": ("scheduled_at", "per_minute", "reminder_days", "started_at", "finished_at")}),
    )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status != Campaign.Status.DRAFT:
            return False  # started: what was sent stays as it was (view only; Cancel is an action)
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Campaign, form: Any, change: bool) -> None:
        actions.save_campaign(campaign=obj, actor=_actor(request))  # the segment's lists: saved with the form

    def _run(self, request: HttpRequest, queryset: QuerySet[Campaign], start: bool) -> None:
        for campaign in queryset.select_related("survey"):
            try:
                if start:
                    actions.start_campaign(campaign=campaign, actor=_actor(request))
                else:
                    actions.cancel_campaign(campaign=campaign, actor=_actor(request))
            except (ValidationError, PermissionDenied) as exc:
                text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                self.message_user(request, f"{campaign}: {text}", level=messages.ERROR)
            else:
                self.message_user(request, f"{campaign}: {campaign.get_status_display()}")

    @admin.action(description=_("Start the selected campaigns"))
    def start(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        self._run(request, queryset, True)

    @admin.action(description=_("Cancel the selected campaigns"))
    def cancel(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        self._run(request, queryset, False)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("key", "name_th", "name_en", "active")
    list_filter = ("active",)

    def save_model(self, request: HttpRequest, obj: Topic, form: Any, change: bool) -> None:
        actions.save_topic(actor=_actor(request), topic=obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Response)
class ResponseAdmin(ReadOnlyAdmin):
    list_display = ("kind", "score", "sentiment", "contact", "team", "answered_at")
    list_filter = ("kind", "sentiment", "via")
    search_fields = ("comment",)


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ("conversation", "team", "created_at", "first_contact_at", "outcome")
    list_filter = ("outcome",)
