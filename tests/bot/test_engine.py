"""The bot's decision rules, without a database: short replies read on segmented words, buttons, signals
before search, and the confidence threshold."""

from __future__ import annotations

import pytest

from ruamchat.bot import engine
from ruamchat.bot.engine import Candidate, Decision, Signals


def _tokenize(text: str) -> list[str]:
    from ruamchat.triage.engine import tokens

    return tokens(text)


def _words(text: str) -> list[str]:
    return engine.words(text, _tokenize)


@pytest.mark.parametrize(("text", "expected"), [
    ("ใช่ค่ะ", "yes"), ("ได้แล้วครับ", "yes"), ("โอเคค่ะ 👍", "yes"), ("yes it did", "yes"), ("ok", "yes"),
    ("ขอบคุณมากค่ะ", "thanks"), ("thanks!", "thanks"),
    ("ไม่ใช่ค่ะ", "no"), ("ยังไม่ได้เลยครับ", "no"), ("no", "no"), ("not really", "no"), ("ไม่ตรงค่ะ", "no"),
    ("สวัสดีค่ะ", "greeting"), ("hi there", "greeting"), ("สวัสดีครับ สอบถามหน่อยครับ", "greeting"),
    # a new question is not a short reply, even when it holds "ไม่" or "ok"
    ("ไม่ค่อยเข้าใจเรื่องผ่อนค่ะ ผ่อนได้กี่เดือน", ""), ("ok how long does delivery take", ""),
    ("ได้", ""), ("", ""),
])
def test_short_replies_are_read_on_words_not_substrings(text: str, expected: str) -> None:
    assert engine.short_reply(_words(text)) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("1", 0), ("2", 1), ("ข้อ 3", 2), ("อันแรกค่ะ", 0), ("the second one", 1), ("๒", 1), ("4 ชิ้น", None),
    ("2 อันเลยได้ไหม ผ่อนด้วย", None),
])
def test_a_choice_is_a_number_alone(text: str, expected: int | None) -> None:
    assert engine.choice_number(_words(text)) == expected


def test_only_the_bots_own_button_data_is_understood() -> None:
    assert engine.parse_postback("bot:yes") == ("yes", "")
    assert engine.parse_postback("bot:pick:12") == ("pick", "12")
    assert engine.parse_postback("bot:pick:twelve") == ("", "")
    assert engine.parse_postback("survey:5") == ("", "")
    assert engine.parse_postback("") == ("", "")


def _candidate(article_id: int, score: float, confidence: float) -> Candidate:
    return Candidate(article_id=article_id, title=f"Article {article_id}", snippet="…", score=score,
                     confidence=confidence)


def _decide(text: str, *, hits: list[Candidate] | None = None, signals: Signals | None = None, postback: str = "",
            awaiting: str = "", choices: list[int] | None = None, threshold: float = 0.2) -> Decision:
    searched: list[str] = []

    def search(query: str) -> list[Candidate]:
        searched.append(query)
        return list(hits or [])

    decision = engine.decide(
        text=text, postback=postback, awaiting=awaiting, choices=choices or [], threshold=threshold,
        signals=signals or Signals(), tokenize=_tokenize, search=search,
        pick=lambda article_id: _candidate(article_id, 0, 1.0),
    )
    decision.notes["searched"] = searched
    return decision


def test_one_clear_best_article_is_the_answer() -> None:
    decision = _decide("ผ่อนได้กี่เดือนคะ", hits=[_candidate(1, 10.0, 0.6), _candidate(2, 4.0, 0.3)])
    assert (decision.action, [c.article_id for c in decision.candidates]) == (engine.ANSWER, [1])


def test_close_candidates_are_offered_as_up_to_three_choices() -> None:
    hits = [_candidate(1, 10.0, 0.5), _candidate(2, 9.0, 0.45), _candidate(3, 8.5, 0.4), _candidate(4, 8.4, 0.4)]
    decision = _decide("ส่งของ", hits=hits)
    assert decision.action == engine.CHOICES
    assert [c.article_id for c in decision.candidates] == [1, 2, 3]


def test_below_the_threshold_the_bot_hands_off() -> None:
    decision = _decide("ร้านรับสมัครงานไหม", hits=[_candidate(1, 2.0, 0.1)])
    assert (decision.action, decision.reason) == (engine.HANDOFF, "low_confidence")
    assert _decide("ร้านรับสมัครงานไหม", hits=[]).reason == "low_confidence"


@pytest.mark.parametrize(("signals", "reason"), [
    (Signals(urgent=True), "urgent"), (Signals(angry=True), "angry"), (Signals(wants_person=True), "person"),
])
def test_urgent_angry_or_asking_for_a_person_hands_off_without_searching(signals: Signals, reason: str) -> None:
    decision = _decide("ผ่อนได้ไหม", hits=[_candidate(1, 10.0, 0.9)], signals=signals)
    assert (decision.action, decision.reason) == (engine.HANDOFF, reason)
    assert decision.notes["searched"] == []


def test_buttons_decide_before_anything_else() -> None:
    assert _decide("ใช่", postback="bot:yes").action == engine.RESOLVE
    assert _decide("ไม่", postback="bot:no").reason == "declined"
    assert _decide("None of these", postback="bot:none").reason == "declined"
    assert _decide("Talk to a person", postback="bot:human").reason == "person"
    picked = _decide("This one", postback="bot:pick:7")
    assert (picked.action, picked.candidates[0].article_id) == (engine.ANSWER, 7)


def test_yes_and_no_after_an_answer() -> None:
    assert _decide("ใช่ค่ะ ขอบคุณค่ะ", awaiting="feedback").action == engine.RESOLVE
    declined = _decide("ไม่ใช่ค่ะ", awaiting="feedback")
    assert (declined.action, declined.reason, declined.helped) == (engine.HANDOFF, "declined", False)
    # with nothing asked, "ok" needs no answer (and is never searched)
    quiet = _decide("ok", hits=[_candidate(1, 10.0, 0.9)])
    assert quiet.action == engine.NOTHING and quiet.notes["searched"] == []


def test_a_number_picks_from_the_choices_offered() -> None:
    decision = _decide("2", awaiting="choice", choices=[11, 12, 13])
    assert (decision.action, decision.candidates[0].article_id) == (engine.ANSWER, 12)


def test_a_greeting_alone_is_greeted_not_searched() -> None:
    decision = _decide("สวัสดีค่ะ", hits=[_candidate(1, 10.0, 0.9)])
    assert decision.action == engine.GREET and decision.notes["searched"] == []
