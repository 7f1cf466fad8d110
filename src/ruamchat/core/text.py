"""Text helpers shared by every channel: previews and HTML made safe to show."""

from __future__ import annotations

import re
import unicodedata

import nh3
from django.utils.translation import gettext as _
from pythainlp.util import normalize as thai_normalize

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_THAI_LETTER = re.compile(r"[\u0e01-\u0e4f]")
_REPEATED_THAI = re.compile(r"([\u0e01-\u0e2e])\1{2,}")  # consonants; normalize() already folds vowels
_REPEATED_LATIN = re.compile(r"([a-z])\1{2,}")

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


def normalise(text: str) -> str:
    """Text as search and triage read it: lower case, Thai normalised (PyThaiNLP), Thai digits as Arabic ones,
    no zero-width characters, a letter repeated three or more times ("ค่าาาา", "sooo") once."""
    text = unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH).translate(_THAI_DIGITS)
    text = thai_normalize(text.replace("’", "'").lower())
    text = _REPEATED_THAI.sub(r"\1", text)
    return _REPEATED_LATIN.sub(r"\1", text)


def detect_language(text: str) -> str:
    """"th" when the text has any Thai letter, else "en"."""
    return "th" if _THAI_LETTER.search(text) else "en"
