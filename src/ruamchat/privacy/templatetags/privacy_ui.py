"""The audit log's details as a sentence fragment an administrator reads ("3 conversations · 12 messages")."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()

COUNTS: dict[str, tuple[str, str]] = {
    "conversations": ("%(count)s conversation", "%(count)s conversations"),
    "messages": ("%(count)s message", "%(count)s messages"),
    "attachments": ("%(count)s attachment", "%(count)s attachments"),
    "raw_events": ("%(count)s raw event", "%(count)s raw events"),
    "notes": ("%(count)s note", "%(count)s notes"),
    "identities": ("%(count)s account", "%(count)s accounts"),
    "resolved": ("%(count)s conversation resolved first", "%(count)s conversations resolved first"),
}


def _part(key: str, value: Any) -> str | None:
    if key in COUNTS and isinstance(value, int):
        singular, plural = COUNTS[key]
        return ngettext(singular, plural, value) % {"count": value}
    if key == "bytes" and isinstance(value, int):
        return str(filesizeformat(value)) if value else None
    if key in ("source_id", "target_id") and value:
        return (_("from #%(id)s") if key == "source_id" else _("into #%(id)s")) % {"id": value}
    if key == "merged_contacts":
        return _("with #%(ids)s") % {"ids": ", #".join(str(v) for v in value)} if value else None
    if key == "fields" and isinstance(value, list):
        return _("fields: %(fields)s") % {"fields": ", ".join(str(v) for v in value)}
    if key == "months":
        return ngettext("after %(count)s month", "after %(count)s months", int(value)) % {"count": value}
    if key == "action" and value in ("anonymise", "delete"):
        return _("anonymise") if value == "anonymise" else _("delete")
    if key == "attachments_only":
        return _("attachments only") if value else None
    if key == "finished":
        return None if value else _("to be continued")
    if key in ("merge_id", "cutoff"):
        return None
    if key == "purpose":
        from ruamchat.contacts.models import Consent

        return str(dict(Consent.Purpose.choices).get(value, value))
    if key == "granted":
        return _("agreed") if value else _("refused")
    return f"{key}: {value}"


@register.filter
def audit_detail(detail: Any) -> str:
    if not isinstance(detail, dict):
        return ""
    parts = [_part(str(key), value) for key, value in detail.items()]
    return " · ".join(p for p in parts if p)
