"""Reads for triage: the administrators' extra keywords, and a version that changes when they do."""

from __future__ import annotations

from django.db.models import Count, Max

from ruamchat.triage.models import TriageKeyword


def extra_keywords() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for rule, keyword in TriageKeyword.objects.values_list("rule", "keyword"):
        found.setdefault(rule, []).append(keyword)
    return found


def keywords_version() -> str:
    """Changes whenever a keyword is added or removed (one cheap aggregate query)."""
    info = TriageKeyword.objects.aggregate(n=Count("id"), last=Max("id"), newest=Max("created_at"))
    return f"{info['n']}:{info['last']}:{info['newest']}"
