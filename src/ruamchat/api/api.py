"""The REST API, version 1: one NinjaAPI, its routers, and one JSON shape for every error.

Errors are always ``{"detail": "..."}`` (plus ``errors`` per field for 400): 401 without valid
credentials, 403 when the caller may not do it, 404 for what they cannot see (whether or not it
exists), 400 for input the inbox refuses.
"""

from __future__ import annotations

import logging
from typing import Any

import pydantic
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from ruamchat.api.auth import BearerTokenAuth, SessionCsrfAuth
from ruamchat.api.docs import LocalSwagger
from ruamchat.api.routers import (
    bot,
    canned,
    channels,
    contacts,
    conversations,
    directory,
    kb,
    orders,
    reports,
    routing,
    surveys,
)

logger = logging.getLogger("ruamchat.api")

DESCRIPTION = """
The ruamchat inbox for scripts and integrations.

**Authentication**: `Authorization: Bearer <token>` (create one with `ruamchat token create --user NAME`),
or the signed-in browser session with the `X-CSRFToken` header on POST, PATCH and DELETE.

You see and change what your role allows in the web inbox: agents their teams' conversations,
supervisors and administrators everything; only administrators manage teams, agents and channels.

**Errors** are JSON: `{"detail": "..."}`, and for 400 also `errors` per field.
"""

api = NinjaAPI(
    title="ruamchat API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[BearerTokenAuth(), SessionCsrfAuth()],
    docs=LocalSwagger(),
)

api.add_router("", conversations.router)
api.add_router("", contacts.router)
api.add_router("", directory.router)
api.add_router("", channels.router)
api.add_router("", canned.router)
api.add_router("", routing.router)
api.add_router("", kb.router)
api.add_router("", bot.router)
api.add_router("", surveys.router)
api.add_router("", reports.router)
api.add_router("", orders.router)


def _error(request: HttpRequest, status: int, detail: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail, **extra}, status=status)


def _join(messages: list[str]) -> str:
    return " ".join(str(message) for message in messages)


@api.exception_handler(DjangoValidationError)
def on_refused(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    errors = (
        {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
        if hasattr(exc, "error_dict")
        else {"__all__": [str(m) for m in exc.messages]}
    )
    return _error(request, 400, _join(exc.messages), errors=errors)


def _field_errors(items: list[dict[str, Any]], skip: int) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for item in items:
        location = [str(part) for part in item.get("loc", ())][skip:]
        errors.setdefault(".".join(location) or "__all__", []).append(str(item.get("msg", "")))
    return errors


def _invalid(request: HttpRequest, errors: dict[str, list[str]]) -> HttpResponse:
    summary = "; ".join(
        _join(messages) if field == "__all__" else f"{field}: {_join(messages)}" for field, messages in errors.items()
    )
    return _error(request, 400, _("The request is not valid: %(errors)s") % {"errors": summary}, errors=errors)


@api.exception_handler(NinjaValidationError)
def on_invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    # ninja locates errors as ("body", "payload", "field") or ("query", "field"): keep what names the field
    items = [
        {**item, "loc": [p for p in item.get("loc", ()) if p not in ("body", "payload", "query", "path", "filters")]}
        for item in exc.errors
    ]
    return _invalid(request, _field_errors(items, 0))


@api.exception_handler(pydantic.ValidationError)
def on_invalid_body(request: HttpRequest, exc: pydantic.ValidationError) -> HttpResponse:
    return _invalid(request, _field_errors([dict(e) for e in exc.errors()], 0))


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, str(exc) or _("You do not have permission to do this."))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, str(exc) or _("Not found."))


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    detail = exc.message
    if detail == "Unauthorized":  # ninja's default when no credentials were sent at all
        detail = _("Authentication required: send Authorization: Bearer <token>, or sign in.")
    response = _error(request, 401, detail)
    response["WWW-Authenticate"] = 'Bearer realm="ruamchat"'
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.message == "Cannot parse request body":  # ninja's words for malformed JSON
        message = _("The request body is not valid JSON.")
        return _error(request, 400, message, errors={"__all__": [message]})
    return _error(request, exc.status_code, exc.message)


@api.exception_handler(MultiPartParserError)
def on_bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    message = _("The request body is not valid multipart/form-data.")
    return _error(request, 400, message, errors={"__all__": [message]})


@api.exception_handler(Exception)
def on_crash(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path)
    return _error(request, 500, _("Something went wrong on the server. The error has been logged."))
