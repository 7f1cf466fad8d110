"""The survey pages a customer opens from an invitation: no login, the personal token in the address, one
question per screen, plain HTML forms (no JavaScript needed), in the contact's language. Rate-limited by
address; an unknown or expired token gets a friendly page."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from ruamchat.surveys import actions, selectors
from ruamchat.surveys.models import Invitation, Survey

logger = logging.getLogger("ruamchat.surveys")

#: requests per address per minute on the survey pages (reading and answering)
RATE = "60/m"


def _language(request: HttpRequest, invitation: Invitation | None) -> str:
    asked = request.GET.get("lang", "")
    if asked in ("th", "en"):
        return asked
    return invitation.language if invitation is not None and invitation.language in ("th", "en") else "th"


def _page(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200,
          invitation: Invitation | None = None) -> HttpResponse:
    language = _language(request, invitation)
    with translation.override(language):
        other = "en" if language == "th" else "th"
        response = render(request, template, {
            **context, "language": language, "other_language": other,
            "other_language_name": "English" if other == "en" else "ภาษาไทย",
            # the same page in the other language; only the query, so an unknown token is never echoed
            "switch_url": f"?lang={other}"}, status=status)
    response["Content-Language"] = language
    response["Referrer-Policy"] = "no-referrer"  # the token never leaks to a page the customer goes to next
    return response


def _limited(request: HttpRequest) -> HttpResponse | None:
    try:
        limited = is_ratelimited(request, group="surveys", key="ip", rate=RATE, increment=True)
    except Exception:
        # the counters live in the cache (Redis at scale): a customer answering must not see an error because
        # it is away; django-ratelimit's fail-open setting does not cover a refused connection
        logger.warning("survey rate limit unavailable; letting the request through", exc_info=True)
        return None
    if limited:
        return _page(request, "surveys/problem.html", {"problem": "limited"}, status=429)
    return None


def _open(request: HttpRequest, token: str) -> tuple[Invitation | None, HttpResponse | None]:
    """The invitation of ``token`` if it can still be answered, else the friendly page to show instead."""
    limited = _limited(request)
    if limited is not None:
        return None, limited
    invitation = selectors.by_token(token)
    if invitation is None or invitation.status != Invitation.Status.SENT:
        return None, _page(request, "surveys/problem.html", {"problem": "unknown"}, status=404)
    if invitation.expires_at is not None and invitation.expires_at <= timezone.now():
        return None, _page(request, "surveys/problem.html", {"problem": "expired"}, status=410,
                           invitation=invitation)
    return invitation, None


def _texts(invitation: Invitation, language: str) -> dict[str, Any]:
    survey = invitation.survey
    low, high = survey.scale
    return {
        "survey": survey, "question": survey.text("question", language),
        "followup": survey.text("followup", language), "thanks": survey.text("thanks", language),
        "low_label": survey.text("low_label", language), "high_label": survey.text("high_label", language),
        "scores": list(range(low, high + 1)), "wide": high - low > 6,
    }


def _score(raw: str) -> int | None:
    """A score as a form or a link gives it ("7"; Thai digits too), or None when it is not a number."""
    return int(raw) if re.fullmatch(r"-?\d{1,3}", raw.strip()) else None


def _lang_query(request: HttpRequest) -> str:
    return f"?lang={request.GET['lang']}" if request.GET.get("lang") in ("th", "en") else ""


# The token in the address is the only credential (no cookie grants anything here), so a cross-site request
# cannot answer for someone else. And CSRF checks cannot pass: with "Referrer-Policy: no-referrer" browsers
# post these forms with "Origin: null" (HTTP) or without a Referer (HTTPS), which Django refuses.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """Screen 1: the score. Each score is a button, so one tap answers."""
    invitation, problem = _open(request, token)
    if problem is not None or invitation is None:
        return problem or HttpResponse(status=404)
    language = _language(request, invitation)
    error = ""
    if request.method == "POST":
        score = _score(request.POST.get("score", ""))
        low, high = invitation.survey.scale
        if score is None or not low <= score <= high:
            with translation.override(language):  # in the page's language, not the site's
                error = _("Choose a score from %(low)s to %(high)s.") % {"low": low, "high": high}
        else:
            try:
                actions.answer_on_page(invitation=invitation, score=score)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                step = "why" if invitation.survey.text("followup", language) else "thanks"
                return HttpResponseRedirect(reverse(f"surveys:{step}", args=[token]) + _lang_query(request))
    actions.page_opened(invitation)
    current = selectors.response_of(invitation)
    chosen = current.score if current is not None else None
    prefilled = _score(request.GET.get("score", ""))
    if prefilled is not None:
        chosen = prefilled
    return _page(request, "surveys/answer.html", {
        **_texts(invitation, language), "invitation": invitation, "chosen": chosen, "error": error,
        "answered": current is not None}, status=400 if error else 200, invitation=invitation)


@csrf_exempt  # as ``answer``
@never_cache
@require_http_methods(["GET", "POST"])
def why(request: HttpRequest, token: str) -> HttpResponse:
    """Screen 2: the optional "why?" comment."""
    invitation, problem = _open(request, token)
    if problem is not None or invitation is None:
        return problem or HttpResponse(status=404)
    language = _language(request, invitation)
    current = selectors.response_of(invitation)
    if current is None:
        return HttpResponseRedirect(reverse("surveys:answer", args=[token]) + _lang_query(request))
    error = ""
    if request.method == "POST":
        # browsers send a line break as CR LF but let the customer type MAX_COMMENT characters counting it once
        comment = request.POST.get("comment", "").replace("\r\n", "\n")
        if len(comment) > actions.MAX_COMMENT:
            with translation.override(language):
                error = _("Please keep it under %(n)s characters.") % {"n": actions.MAX_COMMENT}
        else:
            if "skip" not in request.POST:
                actions.answer_on_page(invitation=invitation, comment=comment)
            return HttpResponseRedirect(reverse("surveys:thanks", args=[token]) + _lang_query(request))
    return _page(request, "surveys/why.html", {
        **_texts(invitation, language), "invitation": invitation, "response": current, "error": error,
        "max_comment": actions.MAX_COMMENT}, status=400 if error else 200, invitation=invitation)


@never_cache
@require_http_methods(["GET"])
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    invitation, problem = _open(request, token)
    if problem is not None or invitation is None:
        return problem or HttpResponse(status=404)
    language = _language(request, invitation)
    return _page(request, "surveys/thanks.html", {
        **_texts(invitation, language), "invitation": invitation, "response": selectors.response_of(invitation),
        "lang_query": _lang_query(request)}, invitation=invitation)


@csrf_exempt  # the token in the address is the credential; mail programs' one-click unsubscribe (RFC 8058)
@never_cache  # posts without a CSRF token
@require_http_methods(["GET", "POST"])
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    """Stop (or, with ``agree``, restart) surveys for this contact. Also open after the survey closed."""
    limited = _limited(request)
    if limited is not None:
        return limited
    invitation = selectors.by_token(token)
    if invitation is None:
        return _page(request, "surveys/problem.html", {"problem": "unknown"}, status=404)
    done = ""
    if request.method == "POST":
        agreed = request.POST.get("agree") == "1"
        actions.opt_out(invitation=invitation, agreed=agreed)
        done = "in" if agreed else "out"
    return _page(request, "surveys/opt_out.html", {"invitation": invitation, "done": done,
                                                   "kind_name": Survey.Kind(invitation.kind).label},
                 invitation=invitation)
