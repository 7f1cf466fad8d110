"""Text helpers shared by every channel: previews and HTML made safe to show."""

from __future__ import annotations

import nh3
from django.utils.translation import gettext as _

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "hr", "i", "img",
    "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead",
    "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}, "td": {"colspan"},
                      "th": {"colspan"}}


def sanitize_html(html: str) -> str:
    """Keep formatting, drop scripts, styles, event handlers and dangerous URLs."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "cid", "tel"},
        link_rel="noopener noreferrer nofollow",
    )


def preview_of(text: str, attachment_kinds: list[str] | None = None, length: int = 140) -> str:
    flat = " ".join((text or "").split())
    if flat:
        return flat[:length]
    kinds = attachment_kinds or []
    labels = {
        "image": _("[image]"), "video": _("[video]"), "audio": _("[audio]"), "file": _("[file]"),
        "sticker": _("[sticker]"), "location": _("[location]"),
    }
    return " ".join(str(labels.get(k, _("[file]"))) for k in kinds)[:length]
