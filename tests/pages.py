"""Reading server-rendered pages in tests: a signed-in client, and the visible text of an element."""

from __future__ import annotations

import html
import re
from typing import Any

from django.test import Client


def login(user: Any) -> Client:
    """A browser session for ``user`` (agents made by ``make_agent`` speak English)."""
    client = Client()
    client.force_login(user)
    return client


def text_of(fragment: str) -> str:
    """What a reader sees of an HTML fragment: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def element_text(page: str, element_id: str) -> str:
    """The visible text of the element with ``element_id`` (up to its first closing tag of that name)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', page, re.S)
    assert match, f"#{element_id} not on the page"
    return text_of(match.group(2))
