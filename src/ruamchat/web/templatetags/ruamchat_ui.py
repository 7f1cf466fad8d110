"""Small display helpers for the agent UI: times in the agent's zone (Buddhist era in Thai), waiting time,
priority styling, and query strings that keep the current filters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone, translation
from django.utils.dates import MONTHS_AP
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

register = template.Library()

PRIORITY_CLASSES = {0: "urgent", 1: "high", 2: "normal", 3: "low"}

# Our own units: Django's Thai catalogue lacks timesince's ("5 นาที", not "5 minutes").
WAITING_UNITS: dict[str, Any] = {  # lazy: translated when used
    "year": ngettext_lazy("%(num)d year", "%(num)d years", "num"),
    "month": ngettext_lazy("%(num)d month", "%(num)d months", "num"),
    "week": ngettext_lazy("%(num)d week", "%(num)d weeks", "num"),
    "day": ngettext_lazy("%(num)d day", "%(num)d days", "num"),
    "hour": ngettext_lazy("%(num)d hour", "%(num)d hours", "num"),
    "minute": ngettext_lazy("%(num)d minute", "%(num)d minutes", "num"),
}


WAITING_SIZES = (
    ("year", 365 * 86400), ("month", 30 * 86400), ("week", 7 * 86400), ("day", 86400), ("hour", 3600),
    ("minute", 60),
)


def _year(value: date) -> int:
    # Thai readers expect the Buddhist era (2568 = 2025).
    return value.year + 543 if (translation.get_language() or "").startswith("th") else value.year


@register.filter
def rc_when(value: datetime | None) -> str:
    """Short time: "14:05" today, "3 ม.ค. 14:05" this year, with the year otherwise."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    now = timezone.localtime()
    clock = local.strftime("%H:%M")
    if local.date() == now.date():
        return clock
    day = f"{local.day} {MONTHS_AP[local.month]}"
    if local.year == now.year:
        return f"{day} {clock}"
    return f"{day} {_year(local)} {clock}"


@register.filter
def rc_year(value: date | None) -> str:
    """The year as the reader counts it: the Buddhist era in Thai (2568 = 2025)."""
    return "" if value is None else str(_year(value))


@register.filter
def rc_day(value: date | None) -> str:
    """A day as a Thai reader writes it: "25 ต.ค. 2569" (Buddhist era); "25 Oct 2026" in English."""
    if value is None:
        return ""
    return f"{value.day} {MONTHS_AP[value.month]} {_year(value)}"


@register.filter
def rc_full(value: datetime | None) -> str:
    """Full date and time for tooltips: "3 ม.ค. 2568 14:05:09"."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{local.day} {MONTHS_AP[local.month]} {_year(local)} {local.strftime('%H:%M:%S')}"


@register.filter
def rc_waiting(value: datetime | None) -> str:
    """How long the customer has waited for us: "Waiting 5 minutes" ("รอ 5 นาที"), in its largest unit.

    Worked out directly rather than with django.utils.timesince: the queue shows it on every row."""
    if value is None:
        return ""
    seconds = (timezone.now() - value).total_seconds()
    if seconds < 60:
        return _("Waiting under a minute")
    for unit, size in WAITING_SIZES:
        if seconds >= size:
            duration = WAITING_UNITS[unit] % {"num": int(seconds // size)}
            return _("Waiting %(duration)s") % {"duration": duration}
    return ""  # unreachable: the last unit is one minute


@register.filter
def priority_class(value: Any) -> str:
    try:
        return PRIORITY_CLASSES.get(int(value), "normal")
    except (TypeError, ValueError):
        return "normal"


SLA_CLASSES = {0: "breached", 1: "at_risk", 2: "ok"}


@register.filter
def sla_class(state: Any) -> str:
    try:
        return SLA_CLASSES.get(int(state), "")
    except (TypeError, ValueError):
        return ""


def sla_label(state: Any, due: Any) -> str:
    kind = sla_class(state)
    if not kind or due is None:
        return ""
    when = timezone.localtime(due)
    if kind == "breached":
        return str(_("SLA breached %(when)s") % {"when": rc_when(due)})
    return str(_("Due %(time)s") % {"time": when.strftime("%H:%M") if when.date() == timezone.localdate()
                                      else when.strftime("%d/%m %H:%M")})


@register.simple_tag
def sla_due(due: Any) -> str:
    if due is None:
        return ""
    return timezone.localtime(due).strftime("%d/%m/%Y %H:%M")


@register.simple_tag
def query(params: dict[str, Any], **changes: Any) -> str:
    """``params`` with ``changes`` applied, as a query string starting with "?" (empty values dropped)."""
    merged = {**(params if isinstance(params, dict) else {}), **changes}
    clean = {k: v for k, v in merged.items() if v not in (None, "")}
    return "?" + urlencode(clean) if clean else ""


@register.simple_tag
def sender_name(message: Any, contact: Any) -> str:
    """Who wrote ``message``: the customer's name, the agent's display name, or Bot / System."""
    if message.sender_type == "contact":
        return str(contact.display_name)
    if message.sender_type == "bot":
        return _("Bot")
    if message.sender_type == "system":
        return _("System")
    user = message.sender_user
    if user is None:
        return _("Agent")
    try:
        return str(user.agent.name)
    except ObjectDoesNotExist:
        return str(user.get_username())


@register.filter
def http_url(value: str) -> str:
    """``value`` if it is an http(s) link, else "" (never javascript: or data: in an href)."""
    return value if isinstance(value, str) and value.lower().startswith(("https://", "http://")) else ""


@register.filter
def is_inline_image(attachment: Any) -> bool:
    return bool(attachment.file) and attachment.content_type in ("image/jpeg", "image/png", "image/gif", "image/webp")


@register.filter
def percent(value: Any) -> str:
    """0.4567 → "46%" (a share shown to people); "" for nothing."""
    if value is None or value == "":
        return ""
    return f"{float(value) * 100:.0f}%"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``mapping[key]`` in a template, or "" when it has no such key."""
    return mapping.get(key, "") if isinstance(mapping, dict) else ""
