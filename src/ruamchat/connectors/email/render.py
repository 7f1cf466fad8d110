"""Showing a customer's HTML mail to an agent safely: sanitized again, inline images (cid:) pointed at the
stored attachments, remote images left out until the agent asks, and tracking pixels never loaded."""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from ruamchat.core.text import sanitize_html

_IMG = re.compile(r"<img\b([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(r'([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"]*)"')


@dataclass(frozen=True)
class Rendered:
    html: str
    blocked: int  # remote images left out (the agent may ask for them)
    pixels: int  # tracking pixels dropped for good


def _tiny(attrs: dict[str, str]) -> bool:
    for name in ("width", "height"):
        value = attrs.get(name, "").strip().lower().removesuffix("px")
        if value.isdigit() and int(value) <= 2:
            return True
    return False


def render_email_html(raw_html: str, *, cid_url: Callable[[str], str | None], allow_remote: bool) -> Rendered:
    safe = sanitize_html(raw_html)
    counts = {"blocked": 0, "pixels": 0}

    def image(match: re.Match[str]) -> str:
        attrs = {k.lower(): htmllib.unescape(v) for k, v in _ATTR.findall(match.group(1))}
        src = attrs.get("src", "").strip()
        alt = attrs.get("alt", "")
        if src.lower().startswith("cid:"):
            url = cid_url(src[4:].strip("<>"))
            if url is None:
                return _placeholder(alt or _("image"))
            attrs["src"] = url
        elif src.lower().startswith(("http://", "https://")):
            if _tiny(attrs):
                counts["pixels"] += 1
                return ""
            if not allow_remote:
                counts["blocked"] += 1
                return _placeholder(alt or _("remote image"))
        else:
            return _placeholder(alt or _("image"))
        keep = " ".join(f'{k}="{htmllib.escape(v)}"' for k, v in attrs.items()
                        if k in ("src", "alt", "width", "height"))
        return f'<img {keep} loading="lazy" referrerpolicy="no-referrer">'

    rendered = _IMG.sub(image, safe)
    return Rendered(rendered, counts["blocked"], counts["pixels"])


def _placeholder(label: str) -> str:
    return f'<span class="email-image-placeholder">[{htmllib.escape(label)}]</span>'
