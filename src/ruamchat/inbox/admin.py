"""Administration of canned responses and tags; saves go through the inbox actions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import User
from django.http import HttpRequest

from ruamchat.inbox import actions
from ruamchat.inbox.models import CannedResponse, Tag


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("shortcut", "title", "team")
    search_fields = ("shortcut", "title", "text")

    def save_model(self, request: HttpRequest, obj: CannedResponse, form: Any, change: bool) -> None:
        actor = request.user if isinstance(request.user, User) else None
        saved = actions.save_canned_response(
            actor=actor, shortcut=obj.shortcut, title=obj.title, text=obj.text, team=obj.team,
            canned=obj if change else None,
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: CannedResponse) -> None:
        actions.delete_canned_response(actor=request.user if isinstance(request.user, User) else None, canned=obj)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "color")
    search_fields = ("name",)
