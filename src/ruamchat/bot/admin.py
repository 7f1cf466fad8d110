"""The chatbot's settings per channel in the admin pages (Administration → Chatbot settings), saved through
``actions.save_settings``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import User
from django.http import HttpRequest

from ruamchat.bot import actions
from ruamchat.bot.models import BotSettings


@admin.register(BotSettings)
class BotSettingsAdmin(admin.ModelAdmin):
    list_display = ("channel", "enabled", "after_hours", "threshold", "max_messages")
    list_filter = ("enabled",)
    fieldsets = (
        (None, {"fields": ("channel", "enabled", "threshold", "max_messages", "quiet_minutes")}),
        ("ไทย / Thai", {"fields": ("greeting_th", "after_hours_details_th")}),
        ("English", {"fields": ("greeting_en", "after_hours_details_en")}),
        (None, {"fields": ("after_hours",)}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("channel",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: BotSettings, form: Any, change: bool) -> None:
        actor = request.user if isinstance(request.user, User) else None  # the admin site requires a login
        saved = actions.save_settings(actor=actor, channel=obj.channel,
                                      **{name: getattr(obj, name) for name in actions.SETTINGS_FIELDS})
        obj.pk = saved.pk
