"""Thai-aware triage: a suggested team, support category and priority for a customer's message.

    from ruamchat.triage import Triage
    engine = Triage(extra={"safety": ["ควันโขมง"]})        # build once, keep it (~0.5 s)
    suggestion = engine.suggest("เครื่องมีกลิ่นไหม้ค่ะ", angry_before=0)
    suggestion.priority, suggestion.category, suggestion.team_kind   # 0, "technical", "support"
    suggestion.explain()   # ["contains “ไหม้” (safety hazard) → Urgent", …]

Settings-free to import; ``Suggestion.explain()`` translates, so it needs Django settings.
"""

from .engine import (
    HIGH,
    LOW,
    NORMAL,
    URGENT,
    KeywordTrie,
    Reason,
    Suggestion,
    Triage,
    default_triage,
    detect_language,
    normalise,
    tokens,
)
from .keywords import BUILTIN_KEYWORDS, CATEGORIES, DEFAULT_TEAM_OF_CATEGORY, RULES

__all__ = [
    "BUILTIN_KEYWORDS",
    "CATEGORIES",
    "DEFAULT_TEAM_OF_CATEGORY",
    "HIGH",
    "LOW",
    "NORMAL",
    "RULES",
    "URGENT",
    "KeywordTrie",
    "Reason",
    "Suggestion",
    "Triage",
    "default_triage",
    "detect_language",
    "normalise",
    "tokens",
]
