"""Signed-in sessions: each one recorded (whose, from where, last used), ended when idle or too old, and ended on
request by its user or an administrator — its open websockets closed with it.

Sign-ins, failures and sign-outs go to the audit log (privacy.AuditRecord) with the address they came from."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from ruamchat.accounts import throttle
from ruamchat.accounts.models import UserSession
from ruamchat.privacy.actions import client_address, record_access
from ruamchat.privacy.models import AuditRecord
from ruamchat.realtime import events as rt

STARTED = "rc_started"
SEEN = "rc_seen"
#: how often a session's "last used" is written (a write per request would cost every page a database write)
SEEN_EVERY_SECONDS = 60


def _idle_seconds() -> int:
    return int(settings.RUAMCHAT["SESSION_IDLE_MINUTES"]) * 60


def _store(session_key: str) -> SessionBase:
    engine = import_module(settings.SESSION_ENGINE)
    store: SessionBase = engine.SessionStore(session_key=session_key)
    return store


def key_digest(session_key: str) -> str:
    """How a session is named outside the session store (realtime messages): never the key itself."""
    return hashlib.sha256(("ruamchat-session:" + session_key).encode()).hexdigest()[:32]


class SessionGuardMiddleware:
    """Ends a session left idle longer than RUAMCHAT_SESSION_IDLE_MINUTES or older than RUAMCHAT_SESSION_MAX_HOURS,
    and keeps its "last used" time. (After AuthenticationMiddleware.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            _guard(request)
            if request.user.is_authenticated and not request.path.startswith(SETUP_ALLOWED):
                from ruamchat.accounts import two_factor

                if two_factor.required_for(request.user):
                    if request.path.startswith("/api/"):
                        return JsonResponse({"detail": _("Set up two-factor sign-in first (the sign-in policy "
                                                         "requires it of administrators).")}, status=403)
                    return redirect("web:two_factor")
        return self.get_response(request)


#: what an administrator who must still set up two-factor sign-in may reach meanwhile
SETUP_ALLOWED = ("/account/two-factor/", "/logout/", "/static/", "/language/", "/login/")


def _guard(request: HttpRequest) -> None:
    session, now = request.session, time.time()
    started, seen = session.get(STARTED), session.get(SEEN)
    if not isinstance(started, (int, float)) or not isinstance(seen, (int, float)):
        session[STARTED] = session[SEEN] = now
        return
    if now - seen > _idle_seconds() or now - started > settings.SESSION_COOKIE_AGE:
        request.session_expired = True  # type: ignore[attr-defined]
        logout(request)  # the view sees an anonymous visitor: pages send them to sign in, the API answers 401
        return
    if now - seen > SEEN_EVERY_SECONDS:
        session[SEEN] = now
        if session.session_key:
            UserSession.objects.filter(session_key=session.session_key).update(last_seen_at=timezone.now())


def end_session(*, actor: User, found: UserSession, request: HttpRequest | None = None) -> None:
    """Sign ``found`` out: its own user may, and administrators may end anyone's."""
    from ruamchat.accounts.selectors import profile_for

    if found.user_id != actor.pk and not (actor.is_superuser or profile_for(actor).role == "admin"):
        raise PermissionError("only its own user or an administrator may end a session")
    with transaction.atomic():
        _store(found.session_key).delete()
        UserSession.objects.filter(pk=found.pk).delete()
        record_access(actor=actor, action=AuditRecord.Action.SESSION_ENDED, contact_id=None, request=request,
                      detail={"user": found.user.get_username(), "session_address": found.address or ""})
        rt.publish([rt.user_group(found.user_id)], "session.ended",
                   {"user_id": found.user_id, "session": key_digest(found.session_key)})


def end_other_sessions(*, actor: User, request: HttpRequest) -> int:
    """Sign the actor out everywhere but in this browser."""
    others = list(UserSession.objects.filter(user=actor).exclude(session_key=request.session.session_key or ""))
    for found in others:
        end_session(actor=actor, found=found, request=request)
    return len(others)


def end_all_sessions_of(*, actor: User, user: User, request: HttpRequest | None = None) -> int:
    found_sessions = list(UserSession.objects.filter(user=user).select_related("user"))
    for found in found_sessions:
        end_session(actor=actor, found=found, request=request)
    return len(found_sessions)


def _username(credentials: dict[str, Any]) -> str:
    return str(credentials.get("username") or "")[:150]


@receiver(user_logged_in)
def _signed_in(sender: Any, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[STARTED] = request.session[SEEN] = now
    if request.session.session_key is None:
        request.session.save()
    UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={"user": user, "address": client_address(request),
                  "user_agent": request.headers.get("User-Agent", "")[:300]},
    )
    throttle.succeeded(user.get_username())


@receiver(user_logged_out)
def _signed_out(sender: Any, request: HttpRequest | None, user: AbstractBaseUser | None, **kwargs: Any) -> None:
    if request is None:
        return
    key = request.session.session_key if hasattr(request, "session") else None
    if key:
        UserSession.objects.filter(session_key=key).delete()
    if isinstance(user, User):
        expired = bool(getattr(request, "session_expired", False))
        record_access(actor=user, action=AuditRecord.Action.SIGNED_OUT, contact_id=None, request=request,
                      detail={"reason": "expired" if expired else "signed out"})


@receiver(user_login_failed)
def _sign_in_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None,
                    **kwargs: Any) -> None:
    if request is None:
        return  # not a sign-in form (e.g. a management command checking a password)
    throttle.failed(_username(credentials), client_address(request))
    record_access(actor=AnonymousUser(), action=AuditRecord.Action.SIGN_IN_FAILED, contact_id=None,
                  request=request, detail={"username": _username(credentials)})
