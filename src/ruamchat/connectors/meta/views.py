"""The public download of files sent to Messenger and Instagram customers (Meta fetches them by signed link)."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from ruamchat.connectors.meta.files import attachment_id_from
from ruamchat.connectors.meta.selectors import outbound_attachment

INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "audio/mpeg", "audio/mp4"}


@require_safe
def outbound_file(request: HttpRequest, token: str) -> FileResponse:
    attachment_id = attachment_id_from(token)
    found = outbound_attachment(attachment_id) if attachment_id is not None else None
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
