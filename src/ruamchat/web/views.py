"""Signing in and out, the language switch, and the front door."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ruamchat.accounts.actions import set_language

LANGUAGE_COOKIE = "ruamchat_lang"  # read by web.middleware.UserLanguageMiddleware
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


@require_GET
def root(request: HttpRequest) -> HttpResponse:
    return redirect("inbox:home")


def robots(request: HttpRequest) -> HttpResponse:
    """Crawlers may read the help center only; its sitemap lists the articles."""
    lines = ["User-agent: *", "Allow: /help/", "Disallow: /", "",
             f"Sitemap: {settings.RUAMCHAT_PUBLIC_URL}/help/sitemap.xml", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Remember the language: on the agent's profile when signed in, and in a cookie for the login page."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("Unknown language."))
    if isinstance(request.user, AbstractBaseUser):
        set_language(user=request.user, language=language)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    response = redirect(target)
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_AGE, samesite="Lax",
                        secure=settings.SESSION_COOKIE_SECURE, httponly=True)
    return response
