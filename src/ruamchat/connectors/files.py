"""Signed, expiring public links to the files agents send, for channels whose provider fetches them by
URL (LINE, Messenger, Instagram). Shared here so the channel packages never import each other."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from ruamchat.connectors.selectors import outbound_attachment
from ruamchat.inbox.models import Attachment

INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "audio/mpeg", "audio/mp4"}


class OutboundFiles:
    """One channel's signed links: ``url(attachment)`` to hand the provider, ``view`` to serve them."""

    def __init__(self, *, url_name: str, salt: str, max_age: timedelta, kinds: tuple[str, ...]) -> None:
        self.url_name, self.salt, self.max_age, self.kinds = url_name, salt, max_age, kinds
        self.view: Callable[[HttpRequest, str], FileResponse] = require_safe(self._serve)

    def url(self, attachment: Attachment) -> str:
        token = signing.TimestampSigner(salt=self.salt).sign_object(attachment.pk)
        return settings.RUAMCHAT_PUBLIC_URL + reverse(self.url_name, args=[token])

    def attachment_id_from(self, token: str) -> int | None:
        """The attachment a link names, or None when the link is forged or older than ``max_age``."""
        try:
            value = signing.TimestampSigner(salt=self.salt).unsign_object(token, max_age=self.max_age)
        except signing.BadSignature:  # includes SignatureExpired
            return None
        return value if isinstance(value, int) else None

    def _serve(self, request: HttpRequest, token: str) -> FileResponse:
        attachment_id = self.attachment_id_from(token)
        found = outbound_attachment(attachment_id, self.kinds) if attachment_id is not None else None
        if found is None or not found.file:
            raise Http404("no such file")
        try:
            handle = found.file.open("rb")
        except FileNotFoundError:
            raise Http404("file missing") from None
        content_type = found.content_type or "application/octet-stream"
        response = FileResponse(handle, content_type=content_type, as_attachment=content_type not in INLINE_TYPES,
                                filename=found.filename or "file")
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        patch_cache_control(response, private=True, max_age=3600)
        return response
