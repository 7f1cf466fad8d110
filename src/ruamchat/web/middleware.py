from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from ruamchat.accounts.selectors import profile_for


class UserLanguageMiddleware:
    """Signed-in agents see the UI in the language they chose; everyone else in the site's default
    (or the ``lang`` cookie set by the language switch on the login page)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.COOKIES.get("ruamchat_lang", "")
        user = request.user  # after AuthenticationMiddleware: the same user object the view will use
        if user.is_authenticated:
            profile = profile_for(user)
            if profile.pk is not None:
                language = profile.language
        if language not in ("th", "en"):
            language = settings.LANGUAGE_CODE
        # Always activate: a thread serves many requests, and one user's language must not leak to the next.
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language() or "th")
        return response
