"""The global search page (``/search/?q=``) and its results fragment (as-you-type, in the page and under the
top bar's search box). Views parse input, call the selector, and answer."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from ruamchat.inbox.views import _user, agent_required
from ruamchat.search import selectors
from ruamchat.search.terms import MAX_QUERY

#: under the top bar's box: a few of each, and a link to the page
COMPACT = {"contacts": 3, "conversations": 3, "messages": 5}


def _context(request: HttpRequest, *, compact: bool) -> dict[str, object]:
    raw = request.GET.get("q", "")[:MAX_QUERY]
    results = selectors.search(_user(request), raw, limit=COMPACT["messages"] if compact else 20) if raw.strip() \
        else None
    if results is not None and compact:
        results.contacts[COMPACT["contacts"]:] = []
        results.conversations[COMPACT["conversations"]:] = []
    page_url = reverse("search:page") + "?" + urlencode({"q": raw.strip()})
    return {"q": raw.strip(), "results": results, "compact": compact, "page_url": page_url}


@require_GET
@agent_required
def page(request: HttpRequest) -> HttpResponse:
    return render(request, "search/page.html", _context(request, compact=False))


@require_GET
@agent_required
def results(request: HttpRequest) -> HttpResponse:
    """The results alone: ``compact=1`` for the top bar's panel. The page's own box keeps its address in step."""
    compact = request.GET.get("compact") == "1"
    if compact and not request.GET.get("q", "").strip():
        return HttpResponse("")  # the top bar's panel closes when its box is emptied
    context = _context(request, compact=compact)
    response = render(request, "search/results.html", context)
    if not compact:
        response["HX-Replace-Url"] = str(context["page_url"])
    return response
