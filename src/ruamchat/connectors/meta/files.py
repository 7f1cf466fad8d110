"""Signed, expiring public links to the files agents send, so Meta's servers can fetch them."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from ruamchat.inbox.models import Attachment

SALT = "ruamchat.meta.outbound-file"
#: Meta fetches the file once when the message is sent; a day leaves room for retries
MAX_AGE = timedelta(days=1)


def signed_file_url(attachment: Attachment) -> str:
    token = signing.TimestampSigner(salt=SALT).sign_object(attachment.pk)
    return settings.RUAMCHAT_PUBLIC_URL + reverse("meta:file", args=[token])


def attachment_id_from(token: str) -> int | None:
    """The attachment a link names, or None when the link is forged or older than ``MAX_AGE``."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    return value if isinstance(value, int) else None
