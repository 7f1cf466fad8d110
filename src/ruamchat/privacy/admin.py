"""The audit log in the Django admin: read-only (nobody adds, changes or deletes a record of who saw what)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ruamchat.privacy.models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_name", "action", "contact_id", "address")
    list_filter = ("action",)
    search_fields = ("=contact_id", "actor_name")
    readonly_fields = ("at", "actor", "actor_name", "action", "contact_id", "address", "detail")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
