"""Article Markdown → safe HTML (CommonMark with tables, by markdown-it-py, then nh3) and → plain text."""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

from ruamchat.core.text import ALLOWED_ATTRIBUTES, ALLOWED_TAGS

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
_TAGS = ALLOWED_TAGS | {"h5", "h6", "figure", "figcaption", "caption"}
_ATTRIBUTES = {**ALLOWED_ATTRIBUTES, "th": {"colspan", "style"}, "td": {"colspan", "style"}}
_BLOCK_END = re.compile(r"</(p|h[1-6]|li|pre|blockquote|tr|table|ul|ol)>|<br\s*/?>|<hr\s*/?>", re.I)
_CELL_END = re.compile(r"</t[dh]>", re.I)


def render(markdown: str) -> str:
    """HTML to show: raw HTML in the Markdown is shown as text, links get rel=noopener, no scripts or styles
    survive (table alignment is the only inline style kept)."""
    return nh3.clean(
        _md.render(markdown or ""),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
        filter_style_properties={"text-align"},
    )


def plain_text(markdown: str) -> str:
    """The text a reader sees, paragraphs separated by blank lines (for search, snippets and meta tags)."""
    marked = _CELL_END.sub(" ", _BLOCK_END.sub("\n\n", _md.render(markdown or "")))
    text = html.unescape(nh3.clean(marked, tags=set()))
    paragraphs = (" ".join(part.split()) for part in re.split(r"\n\s*\n", text))
    return "\n\n".join(part for part in paragraphs if part)
