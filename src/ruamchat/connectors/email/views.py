"""An email as it was written: the formatted (HTML) view and the original .eml, for agents who may see it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ruamchat.connectors.email import selectors
from ruamchat.connectors.email.render import render_email_html


@require_GET
@login_required
def formatted(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.email_message(request.user, message_id)
    if message is None:
        raise Http404(_("Message not found."))
    by_cid = selectors.inline_attachments(message)
    allow_remote = request.GET.get("images") == "1"

    def cid_url(cid: str) -> str | None:
        attachment = by_cid.get(cid)
        return reverse("inbox:attachment", args=[attachment.pk]) if attachment is not None else None

    rendered = render_email_html(message.html, cid_url=cid_url, allow_remote=allow_remote) if message.html else None
    response = render(request, "email/formatted.html", {
        "message": message, "email": (message.metadata or {}).get("email", {}), "rendered": rendered,
        "allow_remote": allow_remote, "has_original": selectors.raw_mail(message) is not None,
    })
    # The mail's own markup is sanitized already; this keeps anything that slipped through inert, and
    # remote images load only when the agent asked for them.
    img = "'self' https: http:" if allow_remote else "'self'"
    response["Content-Security-Policy"] = (
        f"default-src 'self'; img-src {img} data:; style-src 'self'; script-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
@login_required
def original(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.email_message(request.user, message_id)
    raw = selectors.raw_mail(message) if message is not None else None
    if message is None or raw is None:
        raise Http404(_("Message not found."))
    response = HttpResponse(raw, content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{message.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
