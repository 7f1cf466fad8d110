"""The help center's settings in the admin pages (Administration → Help center). Articles, categories and the
search words are written in the knowledge-base pages (/kb/), where revisions and the index are kept."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import User
from django.http import HttpRequest

from ruamchat.kb import actions
from ruamchat.kb.models import HelpCenter


@admin.register(HelpCenter)
class HelpCenterAdmin(admin.ModelAdmin):
    list_display = ("name_th", "name_en", "enabled", "chat_channel")
    fields = ("name_th", "name_en", "enabled", "chat_channel")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not HelpCenter.objects.exists()  # one help center

    def save_model(self, request: HttpRequest, obj: HelpCenter, form: Any, change: bool) -> None:
        actor = request.user if isinstance(request.user, User) else None  # the admin site requires a login
        saved = actions.save_help_center(actor=actor, **{name: getattr(obj, name) for name in self.fields})
        obj.pk = saved.pk
