"""Comment sentiment: what the survey report shows next to a customer's comment (positive / neutral /
negative). Pure functions: no database."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from ruamchat.surveys.sentiment import Sentiment, analyse, parse_lexicon, thai_tokens

COMMENTS = Path(__file__).resolve().parents[1] / "fixtures" / "surveys" / "comments.jsonl"


def label(text: str, language: str = "") -> str:
    return analyse(text, language).label


def score(text: str, language: str = "") -> float:
    return analyse(text, language).score


@pytest.mark.parametrize(("text", "expected"), [
    ("บริการดีค่ะ", "positive"),
    ("แอดมินตอบไว ประทับใจมากค่ะ", "positive"),
    ("ส่งของช้ามาก เซ็งเลย", "negative"),
    ("ห่วยแตก ไม่ซื้ออีกแล้ว", "negative"),
    ("ได้รับของแล้วค่ะ", "neutral"),
    ("เปลี่ยนที่อยู่จัดส่งได้มั้ยคะ", "neutral"),
    ("เริ่ดมากค่าาาา", "positive"),  # slang, a drawn-out vowel
    ("รอนานมากกกก", "negative"),  # a repeated letter
])
def test_thai_comments(text: str, expected: str) -> None:
    assert label(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("ไม่ดี", "negative"),
    ("ไม่ค่อยประทับใจ", "negative"),
    ("ไม่ได้ดีมาก", "negative"),
    ("ไม่ช้าเลยค่ะ", "positive"),
    ("ไม่แย่", "positive"),
    ("ไม่มีปัญหาค่ะ", "positive"),
    ("ไม่เคยผิดหวังกับร้านนี้", "positive"),
    ("ไม่ต้องรอนานเลย", "positive"),
])
def test_a_negator_flips_the_word_after_it(text: str, expected: str) -> None:
    assert label(text) == expected


def test_a_negated_bad_word_is_only_mildly_good() -> None:
    assert 0 < score("ไม่แย่") < score("ดีมาก")
    assert score("ไม่ดี") < 0 < score("ดี")


def test_negation_stays_in_its_clause_and_reaches_two_words() -> None:
    assert label("ไม่ค่อยจะดี") == "negative"  # ไม่ค่อย | จะ | ดี
    # "slow? no. very good": the ไม่ answers the question, it does not negate ดีมาก across the break
    assert score("ช้าไหม? ไม่ ดีมากค่ะ") > 0
    assert score("ช้าไหม? ไม่ดีมากค่ะ") < 0


def test_intensifiers_strengthen_and_softeners_weaken() -> None:
    assert score("ดี") < score("ดีมากๆ") < score("ดีมากๆเลย")
    assert score("โคตรดี") > score("ดี")
    assert score("ช้ามาก") < score("ช้า") < score("ช้านิดหน่อย") < 0
    assert score("แย่ที่สุด") < score("แย่")


def test_what_follows_but_weighs_more() -> None:
    assert label("ของดี แต่ส่งช้า") == "negative"
    assert label("ส่งช้า แต่ของดี") == "positive"
    assert label("สินค้าดีค่ะ แต่ค่าส่งแพงไปหน่อย") == "negative"


def test_profanity_is_negative() -> None:
    from pythainlp.corpus.common import thai_profanity_words

    listed = set(parse_lexicon(resources.files("ruamchat.surveys").joinpath("lexicon_th.txt")
                               .read_text(encoding="utf-8").splitlines()))
    from_pythainlp_only = sorted(set(thai_profanity_words()) - listed)
    assert "สัส" in from_pythainlp_only
    assert label("สัส") == "negative"
    assert label("ไอ้เหี้ย ส่งของมาพังหมด") == "negative"
    assert label("แอดมินกากมาก") == "negative"


def test_emoji_and_laughing() -> None:
    assert label("👍") == "positive" and label("👍🏻") == "positive"  # a skin tone does not hide the emoji
    assert label("😡") == "negative"
    assert label("ได้ของแล้ว 😍") == "positive"
    assert label("ได้ของแล้ว 😭") == "negative"
    assert label("Delivery was on time 👍") == "positive"
    assert label("555", "th") == "positive" and label("5555555", "th") == "positive"
    assert label("ฮ่าๆ แอดมินตลกดี 555") == "positive"
    assert label("555") == "neutral"  # without Thai letters nor a Thai hint it is read as English: a number


def test_words_match_whole_never_inside_another_word() -> None:
    assert label("เติมดีเซล") == "neutral"  # ดีเซล contains ดี
    assert label("เสียงเพลงเพราะ") != "negative"  # เสียง contains เสีย
    # a lexicon entry the default dictionary would split is one token
    assert "รอนาน" in [token for token, _break in thai_tokens("รอนานมาก")]
    assert "ไม่มีปัญหา" in [token for token, _break in thai_tokens("ก็ไม่มีปัญหาค่ะ")]


@pytest.mark.parametrize(("text", "expected"), [
    ("The agent was very helpful, thank you!", "positive"),
    ("Terrible service, never again.", "negative"),
    ("Delivery was slow.", "negative"),  # a customer-service word added to VADER
    ("The app doesn't work on my phone.", "negative"),  # an idiom VADER cannot weigh
    ("ok", "neutral"),
    ("Got my order today.", "neutral"),
    ("Not bad at all", "positive"),
])
def test_english_through_vader(text: str, expected: str) -> None:
    assert label(text, "en") == expected


def test_mixed_thai_and_english_adds_the_english_words() -> None:
    assert score("ส่งไวมาก good job") > score("ส่งไวมาก") > 0
    assert score("แย่มาก ok") == score("แย่มาก")  # a neutral English word does not water a Thai one down
    assert label("ของพังค่ะ terrible") == "negative"


@pytest.mark.parametrize("text", ["", "   ", "...!!!", "?", "\n\t"])
def test_empty_or_punctuation_is_neutral_zero(text: str) -> None:
    assert analyse(text) == Sentiment("neutral", 0.0)
    assert analyse(text, "th") == Sentiment("neutral", 0.0)


def test_scores_stay_within_minus_one_and_one() -> None:
    loud = "แย่มาก ห่วยที่สุด 😡😡😡 โกง!!! " * 20
    assert -1 <= score(loud) <= -0.9
    assert 0.9 <= score("ดีมาก ประทับใจที่สุด 👍👍👍 " * 20) <= 1


def test_the_lexicon_file() -> None:
    text = resources.files("ruamchat.surveys").joinpath("lexicon_th.txt").read_text(encoding="utf-8")
    lexicon = parse_lexicon(text.splitlines())
    thai = [word for word in lexicon if any("\u0e01" <= char <= "\u0e4f" for char in word)]
    assert len(thai) >= 150
    assert all(-3 <= weight <= 3 for weight in lexicon.values())
    assert sum(weight > 0 for weight in lexicon.values()) >= 60
    assert sum(weight < 0 for weight in lexicon.values()) >= 60
    with pytest.raises(ValueError, match="line 2"):
        parse_lexicon(["# a comment", "ดี 2"])
    with pytest.raises(ValueError, match="outside"):
        parse_lexicon(["ดี\t5"])


def _items() -> list[dict]:
    return [json.loads(line) for line in COMMENTS.read_text(encoding="utf-8").splitlines() if line.strip()]


# Measured when written: development set Thai 0.944, English 0.952 (the lexicon and the English domain
# words were written looking at it); held-out set (written after the lexicon, never tuned on) Thai 0.808,
# English 0.600 — the honest estimate of how it does on new comments.
FLOORS = {("dev", "th"): 0.90, ("dev", "en"): 0.90, ("heldout", "th"): 0.75, ("heldout", "en"): 0.55}


def test_accuracy_on_the_labelled_comments() -> None:
    items = _items()
    assert len(items) >= 200
    assert {item["sentiment"] for item in items} == {"positive", "neutral", "negative"}
    report = {}
    for (part, language), floor in FLOORS.items():
        subset = [item for item in items if item.get("set", "dev") == part and item["language"] == language]
        right = sum(analyse(item["text"], item["language"]).label == item["sentiment"] for item in subset)
        report[part, language] = (right / len(subset), len(subset), floor)
    for (part, language), (accuracy, count, floor) in report.items():
        print(f"sentiment {part} {language}: {accuracy:.3f} on {count} (floor {floor})")
    for (part, language), (accuracy, _count, floor) in report.items():
        assert accuracy >= floor, (part, language, accuracy)
