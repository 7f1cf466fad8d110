"""Writes for personal data: the audit log (and, in their own modules, export, erasure and retention)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest, HttpResponse

from ruamchat.privacy.models import AuditRecord

#: the request being served on this thread or task (set by AuditAddressMiddleware), so that actions deep down
#: record where a change came from without every caller passing the request
_current_request: ContextVar[HttpRequest | None] = ContextVar("ruamchat_current_request", default=None)


class AuditAddressMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def client_address(request: HttpRequest | None) -> str | None:
    """The address the request came from (REMOTE_ADDR: the proxy in front is expected to set it)."""
    request = request if request is not None else _current_request.get()
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record_admin_change(*, actor: User | AnonymousUser | None, what: str, object_id: Any, summary: str,
                        changed: list[str] | None = None) -> AuditRecord | None:
    """A change to the set-up (channels, teams, agents, rules, …) by a person: who, when, from where, and which
    fields (never their values: secrets are among them). Set-up by the system itself (the installer, the demo
    loader, migrations) has no person to name and is not recorded."""
    if not isinstance(actor, User):
        return None
    return record_access(actor=actor, action=AuditRecord.Action.ADMIN_CHANGE, contact_id=None,
                         detail={"what": what, "id": str(object_id), "summary": summary[:300],
                                 "changed": sorted(changed or [])})


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
