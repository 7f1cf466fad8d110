"""A comment's sentiment and topics (``sentiment`` and ``topics`` do the work; the topic keywords are the
administrators' ``Topic`` rows, the matcher rebuilt when they change)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ruamchat.surveys.models import Topic


@dataclass(frozen=True)
class Analysis:
    sentiment: str
    score: float
    topics: list[str]


@lru_cache(maxsize=2)
def _matcher(version: str) -> object:
    from ruamchat.surveys.topics import TopicMatcher, TopicRule, parse_keywords

    rules = [TopicRule(key=topic.key, keywords=parse_keywords(topic.keywords))
             for topic in Topic.objects.filter(active=True).order_by("key")]
    return TopicMatcher(rules)


def _version() -> str:
    latest = Topic.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
    return f"{Topic.objects.count()}:{latest.isoformat() if latest else ''}"


def analyse(text: str, language: str = "") -> Analysis:
    from ruamchat.surveys.sentiment import analyse as sentiment_of

    found = sentiment_of(text, language)
    matcher = _matcher(_version())
    return Analysis(sentiment=found.label, score=round(found.score, 3),
                    topics=list(matcher.match(text)))  # type: ignore[attr-defined]
