"""The vocabulary of routing rules: what a condition may test and what an action may do, how both are
checked when an admin saves a rule, and how conditions are evaluated against a new conversation."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.utils.translation import gettext as _

CONDITION_FIELDS: dict[str, tuple[str, ...]] = {
    "channel": ("is", "is_not"),              # value: channel id or list of ids
    "channel_kind": ("is", "is_not"),         # value: "line", "email", … or a list
    "text": ("contains_word", "not_contains_word", "matches_regex"),
    "triage_team": ("is", "is_not"),          # "service" | "support"
    "triage_category": ("is", "is_not"),      # technical, return, exchange, refund, order_status, payment, …
    "triage_priority": ("is", "at_most"),     # 0 urgent … 3 low; at_most 1 = urgent or high
    "contact_attribute": ("is", "is_not", "contains", "exists"),  # value: {"name": …, "value": …}
    "tag": ("has", "has_not"),
    "language": ("is", "is_not"),             # "th" | "en"
    "business_hours": ("inside", "outside"),
}
ACTION_TYPES = ("set_team", "set_priority", "set_category", "add_tag", "assign", "auto_reply")
CATEGORIES = ("technical", "return", "exchange", "refund", "order_status", "payment", "account", "other")
MAX_REGEX_TEXT = 5000


@dataclass
class Context:
    """What the conditions of a rule look at, for one new conversation."""

    channel_id: int
    channel_kind: str
    text: str
    language: str
    triage: dict[str, Any]
    contact_attributes: dict[str, Any] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)
    open_now: Callable[[], bool] = lambda: True
    tokenize: Callable[[str], list[str]] = lambda text: text.lower().split()

    @cached_property
    def tokens(self) -> list[str]:
        return self.tokenize(self.text)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _contains_sequence(tokens: list[str], phrase: list[str]) -> bool:
    if not phrase:
        return False
    n = len(phrase)
    return any(tokens[i:i + n] == phrase for i in range(len(tokens) - n + 1))


def holds(condition: dict[str, Any], ctx: Context) -> bool:
    name, op, value = condition.get("field"), condition.get("op"), condition.get("value")
    if name == "channel":
        found = ctx.channel_id in [int(v) for v in _as_list(value)]
        return found if op == "is" else not found
    if name == "channel_kind":
        found = ctx.channel_kind in _as_list(value)
        return found if op == "is" else not found
    if name == "text":
        if op == "matches_regex":
            return re.search(str(value), ctx.text[:MAX_REGEX_TEXT], re.IGNORECASE) is not None
        found = any(_contains_sequence(ctx.tokens, ctx.tokenize(str(v))) for v in _as_list(value))
        return found if op == "contains_word" else not found
    if name in ("triage_team", "triage_category"):
        key = "team_kind" if name == "triage_team" else "category"
        found = ctx.triage.get(key) in _as_list(value)
        return found if op == "is" else not found
    if name == "triage_priority":
        got = ctx.triage.get("priority")
        if got is None:
            return False
        return int(got) == _int(value) if op == "is" else int(got) <= _int(value)
    if name == "contact_attribute":
        spec = value if isinstance(value, dict) else {}
        attr = ctx.contact_attributes.get(str(spec.get("name", "")))
        if op == "exists":
            return attr not in (None, "")
        if op == "contains":
            return str(spec.get("value", "")).lower() in str(attr or "").lower()
        found = str(attr) == str(spec.get("value")) if attr is not None else False
        return found if op == "is" else not found
    if name == "tag":
        found = any(str(v).lower() in ctx.tags for v in _as_list(value))
        return found if op == "has" else not found
    if name == "language":
        found = ctx.language in _as_list(value)
        return found if op == "is" else not found
    if name == "business_hours":
        return ctx.open_now() if op == "inside" else not ctx.open_now()
    return False


def matches(conditions: list[dict[str, Any]], ctx: Context, *, match_any: bool) -> bool:
    if not conditions:
        return True
    results = (holds(c, ctx) for c in conditions)
    return any(results) if match_any else all(results)


def validate(conditions: Any, actions: Any) -> dict[str, list[str]]:
    """Problems with a rule as an admin wrote it, by field ("conditions" / "actions")."""
    errors: dict[str, list[str]] = {}
    if not isinstance(conditions, list):
        errors["conditions"] = [_("Conditions are a list.")]
    else:
        for i, c in enumerate(conditions, start=1):
            problem = _condition_problem(c)
            if problem:
                errors.setdefault("conditions", []).append(_("Condition %(n)s: %(problem)s") % {
                    "n": i, "problem": problem})
    if not isinstance(actions, list) or not actions:
        errors["actions"] = [_("A rule needs at least one action.")]
    else:
        for i, a in enumerate(actions, start=1):
            problem = _action_problem(a)
            if problem:
                errors.setdefault("actions", []).append(_("Action %(n)s: %(problem)s") % {"n": i, "problem": problem})
    return errors


def _condition_problem(c: Any) -> str | None:
    if not isinstance(c, dict) or c.get("field") not in CONDITION_FIELDS:
        return _("unknown field; use one of %(fields)s.") % {"fields": ", ".join(CONDITION_FIELDS)}
    if c.get("op") not in CONDITION_FIELDS[c["field"]]:
        return _("unknown test; use one of %(ops)s.") % {"ops": ", ".join(CONDITION_FIELDS[c["field"]])}
    value = c.get("value")
    if c["field"] == "text" and c["op"] == "matches_regex":
        try:
            re.compile(str(value))
        except re.error as exc:
            return _("the pattern is not a valid regular expression (%(error)s).") % {"error": exc}
        if len(str(value)) > 500:
            return _("the pattern is too long.")
    if c["field"] == "triage_priority" and str(value) not in ("0", "1", "2", "3"):
        return _("a priority is 0 (urgent), 1 (high), 2 (normal) or 3 (low).")
    if c["field"] == "contact_attribute" and not (isinstance(value, dict) and value.get("name")):
        return _('name the attribute: {"name": "…", "value": "…"}.')
    if c["field"] not in ("business_hours",) and c["field"] != "contact_attribute" and value in (None, "", []):
        return _("give a value.")
    return None


def _action_problem(a: Any) -> str | None:
    from ruamchat.accounts.models import AgentProfile, Team

    if not isinstance(a, dict) or a.get("type") not in ACTION_TYPES:
        return _("unknown action; use one of %(types)s.") % {"types": ", ".join(ACTION_TYPES)}
    value = a.get("value")
    if a["type"] == "set_team" and not Team.objects.filter(pk=_int(value)).exists():
        return _("no team with id %(id)s.") % {"id": value}
    if a["type"] == "assign" and not AgentProfile.objects.filter(user_id=_int(value), user__is_active=True).exists():
        return _("no active agent with user id %(id)s.") % {"id": value}
    if a["type"] == "set_priority" and str(value) not in ("0", "1", "2", "3"):
        return _("a priority is 0 (urgent), 1 (high), 2 (normal) or 3 (low).")
    if a["type"] == "set_category" and value not in CATEGORIES:
        return _("a category is one of %(values)s.") % {"values": ", ".join(CATEGORIES)}
    if a["type"] in ("add_tag", "auto_reply") and not str(value or "").strip():
        return _("give a value.")
    return None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
