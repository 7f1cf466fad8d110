"""/api/v1/: the REST API. Anything else under it answers JSON too, never an HTML error page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from ruamchat.api.api import api


def _json_method_not_allowed(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """ninja answers a wrong method with an empty 405; say which methods are allowed, as JSON."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allowed = response.get("Allow", "")
            json = JsonResponse(
                {"detail": _("This method is not allowed here. Allowed: %(methods)s.") % {"methods": allowed}},
                status=405,
            )
            json["Allow"] = allowed
            return json
        return response

    return wrapper


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return JsonResponse({"detail": _("There is no such API endpoint.")}, status=404)


def _api_patterns() -> tuple[list[URLPattern | URLResolver], str, str]:
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _json_method_not_allowed(pattern.callback)
    return patterns, app_name, namespace


urlpatterns = [
    path("v1/", _api_patterns()),
    re_path(r"^(?P<rest>.*)$", not_found),
]
