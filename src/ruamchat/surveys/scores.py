"""The survey numbers, defined once (DESIGN.md, "Metrics, defined once"). Pure functions on counts.

- CSAT: the share of 4–5 answers on the 1–5 scale, in percent.
- NPS: % promoters (9–10) − % detractors (0–6), from −100 to 100, with its 95% margin of error
  1.96 · 100 · √((p + d − (p − d)²) / n), p and d the shares of promoters and detractors.
- CES: the mean on the 1–7 scale, and the share of answers ≥ 5 in percent.
- Response rate: answers ÷ delivered invitations, in percent.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

Z95 = 1.96


def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


@dataclass(frozen=True)
class Csat:
    answers: int
    satisfied: int  # 4 or 5

    @property
    def percent(self) -> float | None:
        return _percent(self.satisfied, self.answers)

    def __add__(self, other: Csat) -> Csat:
        return Csat(self.answers + other.answers, self.satisfied + other.satisfied)


@dataclass(frozen=True)
class Nps:
    answers: int
    promoters: int  # 9–10
    passives: int  # 7–8
    detractors: int  # 0–6

    def __add__(self, other: Nps) -> Nps:
        return Nps(self.answers + other.answers, self.promoters + other.promoters, self.passives + other.passives,
                   self.detractors + other.detractors)

    @property
    def score(self) -> float | None:
        if not self.answers:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.answers

    @property
    def margin(self) -> float | None:
        """The 95% margin of error of the score, in NPS points."""
        if not self.answers:
            return None
        p = self.promoters / self.answers
        d = self.detractors / self.answers
        variance = max(p + d - (p - d) ** 2, 0.0)
        return Z95 * 100.0 * math.sqrt(variance / self.answers)


@dataclass(frozen=True)
class Ces:
    answers: int
    total: int  # the sum of the scores
    easy: int  # 5 or more

    def __add__(self, other: Ces) -> Ces:
        return Ces(self.answers + other.answers, self.total + other.total, self.easy + other.easy)

    @property
    def mean(self) -> float | None:
        return self.total / self.answers if self.answers else None

    @property
    def easy_percent(self) -> float | None:
        return _percent(self.easy, self.answers)


def csat(scores: Iterable[int]) -> Csat:
    values = list(scores)
    return Csat(answers=len(values), satisfied=sum(1 for s in values if s >= 4))


def nps(scores: Iterable[int]) -> Nps:
    values = list(scores)
    promoters = sum(1 for s in values if s >= 9)
    detractors = sum(1 for s in values if s <= 6)
    return Nps(answers=len(values), promoters=promoters, passives=len(values) - promoters - detractors,
               detractors=detractors)


def ces(scores: Iterable[int]) -> Ces:
    values = list(scores)
    return Ces(answers=len(values), total=sum(values), easy=sum(1 for s in values if s >= 5))


def response_rate(answers: int, delivered: int) -> float | None:
    return _percent(answers, delivered)


def nps_difference_significant(a: Nps, b: Nps) -> bool | None:
    """Whether two NPS differ beyond chance (95%): the difference is larger than the combined margin
    √(ma² + mb²). None when either has no answers."""
    if a.margin is None or b.margin is None or a.score is None or b.score is None:
        return None
    return abs(a.score - b.score) > math.sqrt(a.margin ** 2 + b.margin ** 2)


def csat_difference_significant(a: Csat, b: Csat) -> bool | None:
    """Two-proportion z-test at 95% on the shares of satisfied answers. None when either has no answers."""
    if not a.answers or not b.answers:
        return None
    pa, pb = a.satisfied / a.answers, b.satisfied / b.answers
    pooled = (a.satisfied + b.satisfied) / (a.answers + b.answers)
    se = math.sqrt(pooled * (1 - pooled) * (1 / a.answers + 1 / b.answers))
    if se == 0:
        return pa != pb
    return abs(pa - pb) / se > Z95
