"""Signed links Meta's servers fetch attachments from (see ruamchat.connectors.files)."""

from __future__ import annotations

from datetime import timedelta

from ruamchat.connectors.files import OutboundFiles

SALT = "ruamchat.meta.outbound-file"
#: Meta fetches the file once when the message is sent; a day leaves room for retries
FILES = OutboundFiles(url_name="meta:file", salt=SALT, max_age=timedelta(days=1), kinds=("messenger", "instagram"))
signed_file_url = FILES.url
