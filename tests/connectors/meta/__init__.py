"""Tests of the Messenger and Instagram connector, and helpers to load its webhook fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"

PAGE_ID = "105000000000001"
IG_ACCOUNT_ID = "17841400000000001"
PSID = "7034567890123456"  # the Messenger customer
PSID_2 = "7045678901234567"  # a second Messenger customer (messenger_batched)
IGSID = "6789012345678901"  # the Instagram customer
OUR_APP_ID = "1111111111"  # the app id of ruamchat's Meta app in these fixtures (Meta sends it as a number)
PAGE_INBOX_APP_ID = "263902037430900"  # another app: a person answering in the Page's own inbox

PLACEHOLDER_MEDIA_HOST = "https://cdn.fake.test"


def fixture_bytes(name: str, media_base: str | None = None) -> bytes:
    """The raw webhook body of ``fixtures/<name>.json``, byte for byte (sign these bytes, not a re-dump).

    With ``media_base`` (e.g. ``graph_api.base_url``) attachment URLs on the placeholder host
    ``https://cdn.fake.test`` point there instead, so the fake serves what ``add_media`` was given.
    """
    body = (FIXTURES / f"{name}.json").read_bytes()
    if media_base is not None:
        base = media_base.rstrip("/")
        body = body.replace(PLACEHOLDER_MEDIA_HOST.replace("/", "\\/").encode(), base.replace("/", "\\/").encode())
        body = body.replace(PLACEHOLDER_MEDIA_HOST.encode(), base.encode())
    return body


def fixture_json(name: str, media_base: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture_bytes(name, media_base))
    return data


def fixture_names() -> list[str]:
    return sorted(path.stem for path in FIXTURES.glob("*.json"))


def messaging_items(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every messaging item of a webhook body, from ``messaging`` and ``standby``, in order."""
    return [item for entry in body["entry"] for key in ("messaging", "standby") for item in entry.get(key, [])]
