"""How well the bot does on a set of customer messages with the answers a person expects: the first message of
a conversation, decided exactly as ``actions.respond`` decides it (triage signals, short replies, the public
knowledge base), with the channel's threshold.

Each item: ``{"text": ..., "lang": "th" | "en", "expect": "<article key>" | "handoff", "why": ...}``.
Used by ``ruamchat bot evaluate FILE`` (a business can check its own messages against its own knowledge base),
by the regression test with floors, and by the benchmark (``benchmarks/bot_quality.py``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ruamchat.bot import engine, selectors
from ruamchat.core.text import detect_language

DEFAULT_THRESHOLD = 0.2


@dataclass
class Outcome:
    item: dict[str, Any]
    decision: engine.Decision
    seconds: float

    @property
    def answered_key(self) -> str:
        """The article the bot answered with (or offered first), "" when it handed off or said nothing."""
        if self.decision.action in (engine.ANSWER, engine.CHOICES) and self.decision.candidates:
            article = self.decision.candidates[0].article
            return str(getattr(article, "key", "")) if article is not None else ""
        return ""

    @property
    def offered_keys(self) -> list[str]:
        if self.decision.action not in (engine.ANSWER, engine.CHOICES):
            return []
        return [str(getattr(c.article, "key", "")) for c in self.decision.candidates if c.article is not None]


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def _share(self, hits: int, total: int) -> float:
        return hits / total if total else 0.0

    @property
    def answerable(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.item["expect"] != "handoff"]

    @property
    def top1(self) -> float:
        """Answerable messages whose answer (or first choice) is the expected article."""
        rows = self.answerable
        return self._share(sum(o.answered_key == o.item["expect"] for o in rows), len(rows))

    @property
    def offered(self) -> float:
        """Answerable messages where the expected article was the answer or among the choices."""
        rows = self.answerable
        return self._share(sum(o.item["expect"] in o.offered_keys for o in rows), len(rows))

    @property
    def handoff_precision(self) -> float:
        handed = [o for o in self.outcomes if o.decision.action == engine.HANDOFF]
        return self._share(sum(o.item["expect"] == "handoff" for o in handed), len(handed))

    @property
    def handoff_recall(self) -> float:
        expected = [o for o in self.outcomes if o.item["expect"] == "handoff"]
        return self._share(sum(o.decision.action == engine.HANDOFF for o in expected), len(expected))

    @property
    def actions(self) -> Counter[str]:
        return Counter(o.decision.action for o in self.outcomes)

    def by(self, key: str) -> dict[str, tuple[int, float]]:
        """(count, share handled right) per value of ``key`` ("why", "lang"): right = the expected article
        answered first, or a hand-off when one was expected."""
        groups: dict[str, list[bool]] = {}
        for o in self.outcomes:
            right = (o.decision.action == engine.HANDOFF) if o.item["expect"] == "handoff" \
                else o.answered_key == o.item["expect"]
            groups.setdefault(str(o.item.get(key, "")), []).append(right)
        return {name: (len(rows), sum(rows) / len(rows)) for name, rows in sorted(groups.items())}

    def latency_ms(self, percentile: float) -> float:
        values = sorted(o.seconds * 1000 for o in self.outcomes)
        if not values:
            return 0.0
        index = min(len(values) - 1, max(0, round(percentile / 100 * len(values) + 0.5) - 1))
        return values[index]


def decide_first_message(text: str, *, threshold: float = DEFAULT_THRESHOLD) -> engine.Decision:
    """What the bot does with ``text`` as the first message of a conversation."""
    from ruamchat.routing.actions import tokenize

    language = detect_language(text)
    return engine.decide(
        text=text, postback="", awaiting="", choices=[], threshold=threshold, signals=selectors.signals_for(text),
        tokenize=tokenize,
        search=lambda query: selectors.candidates(query, language), pick=selectors.offered_article,
    )


def evaluate(items: Iterable[dict[str, Any]], *, threshold: float = DEFAULT_THRESHOLD) -> Report:
    report = Report()
    for item in items:
        started = time.perf_counter()
        decision = decide_first_message(str(item["text"]), threshold=threshold)
        report.outcomes.append(Outcome(item=item, decision=decision, seconds=time.perf_counter() - started))
    return report
