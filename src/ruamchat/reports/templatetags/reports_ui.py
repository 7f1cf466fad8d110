"""Showing report numbers: durations in words (Thai or English), percentages, scores, changes."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds: Any) -> str:
    """4 min 12 s · 2 h 14 min · 3 d 4 h — to the precision the report tables keep."""
    if seconds is None or seconds == "":
        return "–"
    total = round(float(seconds))
    negative = total < 0
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        text = _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    elif hours:
        text = _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    elif minutes:
        text = _("%(m)s min %(s)s s") % {"m": minutes, "s": secs}
    else:
        text = _("%(s)s s") % {"s": secs}
    return ("−" if negative else "") + text


@register.filter
def metric_value(value: Any, unit: str) -> str:
    if value is None or value == "":
        return "–"
    if unit == "seconds":
        return duration(value)
    if unit == "percent":
        return f"{float(value):.0f}%" if abs(float(value)) >= 10 else f"{float(value):.1f}%"
    if unit == "nps":
        return f"{float(value):+.0f}" if value else "0"
    if unit == "mean":
        return f"{float(value):.2f}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


@register.filter
def metric_change(metric: Any) -> str:
    """The change from the previous period, in the metric's own unit (percentage points for rates)."""
    change = metric.change
    if change is None:
        return ""
    if metric.unit == "seconds":
        return ("+" if change > 0 else "") + duration(change) if change else "±0"
    if metric.unit == "percent":
        return _("%(sign)s%(n).1f pts") % {"sign": "+" if change > 0 else "", "n": change}
    if metric.unit in ("nps", "mean"):
        return f"{change:+.1f}"
    return f"{change:+,.0f}" if isinstance(change, int | float) else str(change)


@register.filter
def sentiment_label(key: str) -> str:
    from ruamchat.surveys.models import Response

    return str(dict(Response.Sentiment.choices).get(key, key))


@register.filter
def outcome_label(key: str) -> str:
    from ruamchat.surveys.models import FollowUp

    return str(dict(FollowUp.Outcome.choices).get(key, key))
