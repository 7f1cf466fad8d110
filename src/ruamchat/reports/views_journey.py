"""The customer journey page: every touchpoint of one contact, on every channel, in one timeline."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ruamchat.inbox.views import _user, agent_required
from ruamchat.reports.journey import journey


def _cursor(raw: str | None) -> int | None:
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if value > 0 else None


@require_GET
@agent_required
def contact_journey(request: HttpRequest, pk: int) -> HttpResponse:
    found = journey(_user(request), pk, before=_cursor(request.GET.get("before")))
    if found is None:
        raise Http404
    return render(request, "reports/journey.html", {"journey": found, "contact": found.contact})
