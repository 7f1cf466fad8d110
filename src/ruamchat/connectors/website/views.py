"""The website widget over HTTP: the loader any site embeds, the chat page inside its iframe, file
uploads, the visitor's attachments, and a demo shop page that embeds it all.

The visitor has no login and no session: the random token their browser keeps is the credential, so
the upload endpoint is CSRF-exempt and only the chat page may be framed by other sites.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from csp.decorators import csp_replace
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from ruamchat.connectors.models import Channel
from ruamchat.connectors.website import actions, selectors
from ruamchat.connectors.website.connector import ATTACHMENT_SALT, serialize_for_visitor
from ruamchat.inbox.actions import check_upload

JAVASCRIPT = "text/javascript; charset=utf-8"
LOADER_FILE = Path(__file__).parent / "static" / "ruamchat" / "widget-loader.js"
LOADER_CONFIG_SLOT = "/*RUAMCHAT_CONFIG*/ null"
ACCENT = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_ACCENT = "#0b7a66"
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
# Multipart framing around the file; a body larger than the file limit plus this is refused unread.
MULTIPART_SLACK = 64 * 1024


def _language(request: HttpRequest) -> str:
    lang = request.GET.get("lang", "")
    if lang in ("th", "en"):
        return lang
    return settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in ("th", "en") else "th"


def _channel_or_404(key: str) -> Channel:
    channel = selectors.website_channel(key)
    if channel is None:
        raise Http404("unknown widget")
    return channel


def _accent(channel: Channel) -> str:
    color = str(channel.config.get("color") or "")
    return color if ACCENT.match(color) else DEFAULT_ACCENT


@lru_cache(maxsize=4)
def _loader_source(mtime: float) -> str:
    return LOADER_FILE.read_text(encoding="utf-8")


@require_safe
def loader(request: HttpRequest, key: str) -> HttpResponse:
    """The script a website embeds: a chat bubble that opens the chat page in an iframe."""
    channel = selectors.website_channel(key)
    if channel is None:
        response = HttpResponse("/* ruamchat: no such chat widget */\n", status=404, content_type=JAVASCRIPT)
        patch_cache_control(response, no_cache=True, max_age=0)
        return response
    labels: dict[str, dict[str, str]] = {}
    for lang in ("th", "en"):
        with translation.override(lang):
            labels[lang] = {
                "open": _("Chat with us"),
                "close": _("Close chat"),
                "frame": _("Chat with %(name)s") % {"name": channel.name},
                "unread": _("New message"),
            }
    config = {"key": channel.key, "accent": _accent(channel), "labels": labels}
    source = _loader_source(LOADER_FILE.stat().st_mtime)
    # ensure_ascii keeps the JSON inert inside JavaScript source (no raw U+2028, quotes stay escaped).
    body = source.replace(LOADER_CONFIG_SLOT, json.dumps(config, ensure_ascii=True), 1)
    response = HttpResponse(body, content_type=JAVASCRIPT)
    patch_cache_control(response, public=True, max_age=300)
    return response


def _frame_strings(limit: int) -> dict[str, str]:
    return {
        "sending": _("Sending…"),
        "sent": _("Sent"),
        "notSent": _("Not sent"),
        "retry": _("Try again"),
        "remove": _("Dismiss"),
        "you": _("You"),
        "team": _("Support team"),
        "online": _("Online"),
        "offline": _("Away — we will reply soon"),
        "connecting": _("Connecting…"),
        "reconnecting": _("Reconnecting… your messages will be sent when you are back online."),
        "tooLong": _("Your message is too long: at most %(max)s characters.") % {"max": limit},
        "fileTooLarge": _("%(name)s is too large: files may be at most %(mb)s MB."),
        "uploadFailed": _("The file could not be sent. Check your connection and try again."),
        "unreadable": _("The message could not be read."),
        "newMessage": _("New message"),
        "attachment": _("Attachment"),
        "openLink": _("Read more"),
        "newTab": _("(opens in a new tab)"),
        "quickReplies": _("Suggested replies"),
        # a CSAT question shown as stars: the row of star buttons, and each star as a screen reader reads it
        "rateStars": _("Rate us from 1 to 5 stars"),
        # Translators: one star button of a rating, e.g. "4 of 5 stars"
        "starOf": _("%(score)s of %(max)s stars"),
    }


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})  # type: ignore[arg-type]  # any site may embed the chat; its own scripts stay ours only
@require_safe
def frame(request: HttpRequest, key: str) -> HttpResponse:
    """The chat itself, inside the iframe the loader adds to any website (so any site may frame it)."""
    channel = _channel_or_404(key)
    lang = _language(request)
    limits = settings.RUAMCHAT
    with translation.override(lang):
        widget: dict[str, Any] = {
            "key": channel.key,
            "lang": lang,
            "socketPath": f"/ws/widget/{channel.key}/",
            "uploadUrl": reverse("website:upload", args=[channel.key]) + f"?lang={lang}",
            "prechat": bool(channel.config.get("prechat")),
            "maxChars": limits["WIDGET_MESSAGE_MAX_CHARS"],
            "maxUploadBytes": limits["UPLOAD_MAX_BYTES"],
            "pageUrl": request.GET.get("page", "")[:500],
            "strings": _frame_strings(limits["WIDGET_MESSAGE_MAX_CHARS"]),
        }
        response = render(request, "website/frame.html", {
            "channel": channel,
            "accent": _accent(channel),
            "welcome": str(channel.config.get("welcome") or "") or _("Hello! How can we help you today?"),
            "accept": ",".join(limits["UPLOAD_CONTENT_TYPES"]),
            "widget": widget,
        })
    response.headers["Content-Language"] = lang
    patch_cache_control(response, private=True, no_cache=True)
    return response


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt
@require_POST
def upload(request: HttpRequest, key: str) -> JsonResponse:
    """A visitor's file (and optional text). The visitor token in the form is the credential."""
    lang = _language(request)
    with translation.override(lang):
        channel = selectors.website_channel(key)
        if channel is None:
            return _error(_("This chat is not available."), 404)
        limit = settings.RUAMCHAT["UPLOAD_MAX_BYTES"]
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit + MULTIPART_SLACK:
            return _error(_("The file is too large: files may be at most %(mb)s MB.")
                          % {"mb": limit // (1024 * 1024)}, 413)
        uploaded = request.FILES.get("file")
        if uploaded is None:
            return _error(_("Choose a file to send."), 400)
        try:
            check_upload(uploaded)
        except ValidationError as exc:
            too_large = uploaded.size is not None and uploaded.size > limit
            return _error(" ".join(exc.messages), 413 if too_large else 415)
        try:
            message = actions.receive_visitor_message(
                channel=channel, visitor_token=request.POST.get("visitor", ""),
                client_id=request.POST.get("client_id", ""), text=request.POST.get("text", ""),
                language=lang, page_url=request.POST.get("page_url", ""), uploads=[uploaded],
            )
        except ValidationError as exc:
            return _error(" ".join(exc.messages), 400)
    return JsonResponse({"id": message.pk, "message": serialize_for_visitor(message)})


@require_safe
def attachment(request: HttpRequest, signed: str) -> FileResponse:
    """A file of a public message, by the signed link the widget was given (never a private note's)."""
    try:
        attachment_id = signing.loads(signed, salt=ATTACHMENT_SALT)
    except signing.BadSignature:
        raise Http404("bad link") from None
    found = selectors.visitor_attachment(attachment_id) if isinstance(attachment_id, int) else None
    if found is None:
        raise Http404("no such file")
    try:
        handle = found.file.open("rb")
    except FileNotFoundError:
        raise Http404("file missing") from None
    content_type = found.content_type or "application/octet-stream"
    response = FileResponse(
        handle, content_type=content_type, as_attachment=content_type not in INLINE_TYPES,
        filename=found.filename or "file",
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Even opened directly, an uploaded file must never run as a page of this origin.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    patch_cache_control(response, private=True, max_age=3600)
    return response


@require_safe
def demo(request: HttpRequest, key: str) -> HttpResponse:
    """A pretend shop website that embeds the widget, as a customer's site would."""
    channel = _channel_or_404(key)
    return render(request, "website/demo.html", {
        "channel": channel,
        "loader_url": reverse("website:loader", args=[channel.key]),
    })
