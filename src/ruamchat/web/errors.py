"""Error pages. A database that cannot be reached answers 503 with Retry-After, not 500: providers redeliver a
webhook answered 503, browsers and scripts are told to try again, and nothing was half-written (every write
is one transaction)."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.defaults import server_error as default_server_error

RETRY_AFTER_SECONDS = 10


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: called while Django handles the uncaught exception, so ``sys.exc_info`` names it."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return unavailable(request)
    return default_server_error(request)


def unavailable(request: HttpRequest) -> HttpResponse:
    response: HttpResponse
    if "text/html" in request.headers.get("Accept", ""):
        # rendered without the request: context processors would ask the database that is away
        response = HttpResponse(render_to_string("web/unavailable.html"), status=503)
    else:
        response = JsonResponse({"error": _("The database is unavailable; try again shortly.")}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
