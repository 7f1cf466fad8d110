"""The survey formulas (DESIGN.md, "Metrics, defined once") against numbers worked out by hand."""

from __future__ import annotations

import math

import pytest

from ruamchat.surveys import scores


def test_csat_is_the_share_of_four_and_five() -> None:
    found = scores.csat([5, 4, 4, 3, 1, 2, 5, 3])
    assert (found.answers, found.satisfied) == (8, 4)
    assert found.percent == pytest.approx(50.0)
    assert scores.csat([]).percent is None


def test_nps_and_its_margin_of_error_by_hand() -> None:
    # 20 answers: 9 promoters (9–10), 5 passives (7–8), 6 detractors (0–6)
    answers = [10, 10, 9, 9, 9, 10, 9, 10, 9, 8, 8, 7, 7, 8, 6, 5, 0, 3, 6, 2]
    found = scores.nps(answers)
    assert (found.promoters, found.passives, found.detractors) == (9, 5, 6)
    # NPS = 45% − 30% = 15
    assert found.score == pytest.approx(15.0)
    # margin = 1.96 · 100 · √((p + d − (p − d)²) / n) = 1.96 · 100 · √((0.45 + 0.30 − 0.0225) / 20)
    #        = 196 · √(0.036375) = 196 · 0.190722… = 37.38
    assert found.margin == pytest.approx(37.38, abs=0.01)
    assert found.margin == pytest.approx(1.96 * 100 * math.sqrt((0.45 + 0.30 - 0.15 ** 2) / 20))


def test_nps_extremes() -> None:
    everyone_promotes = scores.nps([10] * 12)
    assert everyone_promotes.score == 100.0 and everyone_promotes.margin == 0.0
    everyone_detracts = scores.nps([0, 6, 3])
    assert everyone_detracts.score == -100.0 and everyone_detracts.margin == 0.0
    split = scores.nps([10, 0])  # p = d = 0.5: variance 1 → margin 1.96·100·√(1/2) = 138.6
    assert split.score == 0.0 and split.margin == pytest.approx(138.59, abs=0.01)
    assert scores.nps([]).score is None and scores.nps([]).margin is None


def test_ces_mean_and_share_of_five_or_more() -> None:
    found = scores.ces([7, 6, 5, 4, 2, 1, 5])
    assert found.mean == pytest.approx(30 / 7)
    assert found.easy_percent == pytest.approx(400 / 7)
    assert scores.ces([]).mean is None


def test_response_rate() -> None:
    assert scores.response_rate(3, 12) == pytest.approx(25.0)
    assert scores.response_rate(0, 0) is None


def test_significance_of_a_change() -> None:
    # 60 of 100 satisfied vs 80 of 100: z = 0.2 / √(0.7·0.3·0.02) = 3.09 > 1.96
    assert scores.csat_difference_significant(scores.Csat(100, 60), scores.Csat(100, 80)) is True
    # 8 of 10 vs 7 of 10: far from significant
    assert scores.csat_difference_significant(scores.Csat(10, 8), scores.Csat(10, 7)) is False
    assert scores.csat_difference_significant(scores.Csat(0, 0), scores.Csat(10, 7)) is None
    a = scores.nps([10] * 60 + [0] * 40)  # NPS 20, margin 1.96·100·√((1 − 0.04)/100) = 19.2
    b = scores.nps([10] * 30 + [0] * 70)  # NPS −40
    assert scores.nps_difference_significant(a, b) is True
    c = scores.nps([10] * 6 + [0] * 4)
    d = scores.nps([10] * 5 + [0] * 5)
    assert scores.nps_difference_significant(c, d) is False
