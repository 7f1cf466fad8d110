"""The live wallboard (supervisors, administrators): the page, and the board alone, which the page fetches
again whenever the websocket says something changed. Views call the selector and render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ruamchat.inbox.views import _user, agent_required
from ruamchat.reports import wallboard as selectors


@require_GET
@agent_required
def wallboard(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/wallboard.html", {"boards": selectors.snapshot(_user(request))})


@require_GET
@agent_required
def wallboard_board(request: HttpRequest) -> HttpResponse:
    response = render(request, "reports/wallboard_board.html", {"boards": selectors.snapshot(_user(request))})
    response["Cache-Control"] = "no-store"
    return response
