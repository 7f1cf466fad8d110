"""Writes for triage keywords (administrators)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ruamchat.accounts.actions import check_admin
from ruamchat.triage.models import TriageKeyword


def known_rules() -> list[str]:
    from ruamchat.triage.engine import RULES

    return sorted(RULES)


def add_keyword(*, actor: User | None, rule: str, keyword: str) -> TriageKeyword:
    check_admin(actor)
    keyword = " ".join(keyword.split())
    if rule not in known_rules():
        raise ValidationError({"rule": _("Unknown list; use one of %(rules)s.") % {"rules": ", ".join(known_rules())}})
    if not keyword:
        raise ValidationError({"keyword": _("Write a word or phrase.")})
    found, _created = TriageKeyword.objects.get_or_create(rule=rule, keyword=keyword[:100])
    return found


def remove_keyword(*, actor: User | None, keyword: TriageKeyword) -> None:
    check_admin(actor)
    keyword.delete()
