"""Who is calling: a bearer token (scripts) or the browser's session (the web UI), CSRF-checked."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from ruamchat.accounts.actions import mark_api_token_used
from ruamchat.accounts.models import ApiToken
from ruamchat.accounts.selectors import active_api_token, profile_for

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _use_language_of(request: HttpRequest, user: User) -> None:
    profile = profile_for(user)
    if profile.pk is not None and profile.language in dict(settings.LANGUAGES):
        translation.activate(profile.language)
        request.LANGUAGE_CODE = profile.language


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` with a token from ``ruamchat token create`` or the admin.

    A request that sends the header is judged by it alone: a wrong or revoked token is a 401 even
    when the browser also has a session.
    """

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization", "").strip()
        if not header:
            return None
        scheme, _sep, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise AuthenticationError(401, _("Send the token as: Authorization: Bearer <token>."))
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, token: str) -> User:
        found = active_api_token(token)
        if found is None:
            raise AuthenticationError(401, _("This API token is not valid: it is wrong or has been revoked."))
        if found.scope == ApiToken.Scope.READ and request.method not in SAFE_METHODS:
            raise HttpError(403, _("This API token may only read: create a read-and-write token to make changes."))
        mark_api_token_used(token=found)
        user = found.user
        request.user = user
        _use_language_of(request, user)
        return user


class SessionCsrfAuth(APIKeyCookie):
    """The signed-in browser session. Unsafe methods need Django's CSRF token (X-CSRFToken header)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise HttpError(403, _("CSRF check failed: send the X-CSRFToken header with this session's token."))
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return None  # __call__ does the work; the session middleware has already read the cookie
