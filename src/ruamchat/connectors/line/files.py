"""Signed links LINE's servers fetch images and video from (see ruamchat.connectors.files)."""

from __future__ import annotations

from datetime import timedelta

from ruamchat.connectors.files import OutboundFiles

SALT = "ruamchat.line.outbound-file"
#: LINE fetches images and video when the customer opens them, possibly days later
FILES = OutboundFiles(url_name="line:file", salt=SALT, max_age=timedelta(days=7), kinds=("line",))
signed_file_url = FILES.url
