"""Writes for personal data: the audit log (and, in their own modules, export, erasure and retention)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest

from ruamchat.privacy.models import AuditRecord


def client_address(request: HttpRequest | None) -> str | None:
    """The address the request came from (REMOTE_ADDR: the proxy in front is expected to set it)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record_access(*, actor: User | AnonymousUser | None, action: str, contact_id: int | None,
                  request: HttpRequest | None = None, detail: dict[str, Any] | None = None) -> AuditRecord:
    """Append one record to the audit log."""
    if action not in AuditRecord.Action.values:
        raise ValueError(f"unknown audit action: {action!r}")
    user = actor if isinstance(actor, User) else None
    return AuditRecord.objects.create(
        actor=user, actor_name=user.get_username() if user else "", action=action, contact_id=contact_id,
        address=client_address(request), detail=detail or {},
    )
