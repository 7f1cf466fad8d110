"""Sentiment of a survey comment: positive, neutral or negative, with a score from -1 to 1.

No database, no Django settings: ``analyse(text, language)`` is a pure function (its lexicons are loaded
once per process, on first use).

How a comment is read:

* Text with a Thai letter (or any text when ``language == "th"``) takes the Thai path. It is normalised
  like triage and search read text (``core.text.normalise``: lower case, PyThaiNLP ``normalize``, Thai
  digits as Arabic ones, "มากกกก" → "มาก") and segmented with the triage engine's tokenizer (PyThaiNLP
  newmm over the default dictionary) with every lexicon word, negator and intensifier added to the
  dictionary, so a several-word entry ("รอนาน", "ไม่มีปัญหา") is one token. Words are looked up whole,
  never as substrings. The lexicon is ``lexicon_th.txt`` (``word<TAB>weight``, -3..+3) plus the words
  of PyThaiNLP's profanity list at ``PROFANITY_WEIGHT`` unless the file weighs them itself.

  - negation: a negator ("ไม่", "ไม่ค่อย", "ยังไม่", "ไม่มี", …) one or two tokens before a word, in the
    same clause, flips it: a positive word strongly ("ไม่ดี", "ไม่ค่อยประทับใจ" → negative), a negative
    one mildly ("ไม่แย่", "ไม่ช้า" → mildly positive);
  - intensifiers right after a word ("มาก", "สุดๆ", "ที่สุด", "จริงๆ", "เลย", "ๆ") or right before it
    ("โคตร", "สุด") add ``BOOST`` to its strength each (two at most); softeners ("นิดหน่อย",
    "ค่อนข้าง") take some away;
  - "แต่" (but): what comes before the last one weighs half, what comes after one and a half times
    (as VADER does with "but");
  - "!" adds emphasis as in VADER.

  The ASCII words of a Thai comment ("ok", "good job", "fast") are read by the English path below and
  its raw valence is ADDED to the Thai one before normalising (not averaged: an "ok" that carries no
  sentiment must not halve a Thai "แย่มาก").

* Other text takes the English path: VADER (``vaderSentiment``), with a few words of customer-service
  feedback added to its lexicon (``EN_DOMAIN_WORDS``: "slow", "fast", "late", …; "ok" is neutral), a few
  complaint idioms VADER cannot see ("doesn't work", "never got a reply", "out of stock"), and the emoji
  of the Thai lexicon (VADER reads emoji by their names, and "thumbs up" or "enraged face" carry no
  sentiment in its lexicon). VADER's compound is turned back into its raw valence sum, the extras are
  added, and the sum is normalised again.

The raw sum ``s`` is normalised as VADER does, ``s / sqrt(s² + 15)``; a score ≥ 0.05 is positive, ≤ -0.05
negative. Empty text, punctuation only, or no sentiment word → neutral 0.0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from pythainlp.tokenize.newmm import segment

from ruamchat.core.text import normalise
from ruamchat.triage.engine import KeywordTrie, _is_punctuation, _pieces

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
THRESHOLD = 0.05
ALPHA = 15.0  # VADER's normalisation constant
BOOST = 0.6  # strength an intensifier adds to a word's weight
DAMPEN = 0.6  # a softener multiplies a word's weight by this
NEGATE_POSITIVE = -0.9  # "ไม่ดี": a negated positive word becomes almost as negative
NEGATE_NEGATIVE = -0.5  # "ไม่แย่": a negated negative word becomes mildly positive
BEFORE_BUT, AFTER_BUT = 0.5, 1.5
EXCLAIM = 0.292  # per "!", up to four, as VADER
PROFANITY_WEIGHT = -2.0
NEGATION_REACH = 2  # tokens before a word looked at for a negator

NEGATORS = frozenset({
    "ไม่", "ไม่ได้", "ไม่ค่อย", "ไม่เคย", "ยังไม่", "ยังไม่ได้", "มิ", "มิได้", "ไม่มี", "ไม่ใช่", "ไม่ต้อง", "ไม่ถึงกับ",
    "ไม่เห็น", "ไร้", "ปราศจาก", "ไม่ค่อยจะ",
})
AFTER_INTENSIFIERS = frozenset({
    "มาก", "มากๆ", "สุดๆ", "ที่สุด", "จริงๆ", "จริง", "เลย", "ๆ", "สุด", "มั่ก", "มากมาย", "ชะมัด", "เว่อร์", "เวอร์",
    "จัง", "จังเลย", "ไปเลย", "เกินไป", "โคตรๆ", "สุดๆเลย", "ขั้นสุด", "สุดขีด",
})
BEFORE_INTENSIFIERS = frozenset({"โคตร", "สุด", "แสน", "ยิ่ง", "มากๆ", "เกิน", "ที่สุด"})
AFTER_SOFTENERS = frozenset({"นิดหน่อย", "หน่อย", "นิดนึง", "เล็กน้อย", "บ้าง", "นิดๆ", "นิดๆหน่อยๆ"})
BEFORE_SOFTENERS = frozenset({"ค่อนข้าง", "ออกจะ", "แอบ"})
# between a word and its intensifier: "ช้าไปมาก", "แพงไปหน่อย", "ดีนะคะมาก" is rare and not covered
BRIDGES = frozenset({"ไป", "ได้"})
CONTRAST = frozenset({"แต่", "แต่ว่า", "ทว่า", "แต่ก็"})
_SKIN_TONES_AND_JOINERS = re.compile("[\U0001f3fb-\U0001f3ff\ufe0e\ufe0f\u200d]")
_LAUGH = re.compile(r"5{3,}")
_THAI_LETTER = re.compile(r"[\u0e01-\u0e4f]")
_ASCII_WORDS = re.compile(r"[A-Za-z][A-Za-z'’]*(?:[ \t]+[A-Za-z][A-Za-z'’]*)*[.!?,]*")

# Customer-service words VADER does not weigh (or weighs for other genres), added to its lexicon.
EN_DOMAIN_WORDS = {
    "slow": -1.5, "slowly": -1.2, "late": -1.2, "delay": -1.2, "delays": -1.2, "delayed": -1.5,
    "fast": 1.2, "quick": 1.2, "quickly": 1.2, "promptly": 1.5, "speedy": 1.5,
    "overpriced": -1.8, "expensive": -1.0, "pricey": -1.0,
    "crashing": -1.7, "crashes": -1.7, "crashed": -1.7, "buggy": -1.5, "laggy": -1.5,
    "unhelpful": -2.0, "hassle": -1.2, "polite": 1.5, "impolite": -2.0, "patient": 1.2,
    "waiting": -0.6, "waited": -0.6,
    "ok": 0.0, "okay": 0.0, "k": 0.0,
}
# Complaint idioms whose words carry no sentiment for VADER ("work", "reply" …).
EN_IDIOMS = (
    (re.compile(
        r"\b(?:doesn'?t|does not|didn'?t|did not|won'?t|will not|can'?t|cannot|couldn'?t|could not|isn'?t|is not"
        r"|wasn'?t|was not|not|never|stopped|stops)\s+(?:work|working|load|loading|open|opening|arrive|arrived"
        r"|answer|answered|reply|replied|respond|responded|turn on|charge|charging)\b"), -1.5),
    (re.compile(
        r"\b(?:never|didn'?t|did not|haven'?t|have not|hasn'?t|has not|not yet|still no|no)\s+(?:got|get|gotten"
        r"|received|receive|heard)?\s*(?:a |any |my |the )?(?:reply|response|answer|refund|callback|call back"
        r"|item|order|package|parcel)s?\b"), -1.5),
    (re.compile(r"\bout of stock\b"), -1.0),
    (re.compile(r"\btook (?:forever|ages|too long|so long|a while|long)\b"), -1.2),
    (re.compile(r"\bstill waiting\b"), -0.8),
)
_BUT = re.compile(r"\bbut\b")


@dataclass(frozen=True)
class Sentiment:
    label: str  # "positive" | "neutral" | "negative"
    score: float  # -1..1


def label_of(score: float) -> str:
    if score >= THRESHOLD:
        return POSITIVE
    if score <= -THRESHOLD:
        return NEGATIVE
    return NEUTRAL


def normalise_score(raw: float) -> float:
    """VADER's normalisation of a raw valence sum into -1..1."""
    if raw == 0:
        return 0.0
    return max(-1.0, min(1.0, raw / math.sqrt(raw * raw + ALPHA)))


def _raw_of(compound: float) -> float:
    """The raw valence sum VADER normalised into ``compound`` (the inverse of ``normalise_score``)."""
    compound = max(-0.9999, min(0.9999, compound))
    return compound * math.sqrt(ALPHA) / math.sqrt(1 - compound * compound)


def analyse(text: str, language: str = "") -> Sentiment:
    """The sentiment of a comment. ``language`` is a hint: "th" reads text without Thai letters the Thai way
    too ("555", "👍"); otherwise the text decides (a Thai letter → Thai path, else English)."""
    text = text or ""
    if not text.strip():
        return Sentiment(NEUTRAL, 0.0)
    thai = language == "th" or _THAI_LETTER.search(text)
    raw = _thai_raw(text) if thai else _english_raw(text)
    score = round(normalise_score(raw), 4)
    return Sentiment(label_of(score), score)


# -- Thai ------------------------------------------------------------------------------------------


def parse_lexicon(lines: Iterable[str]) -> dict[str, float]:
    """``word<TAB>weight`` lines (# comments and blank lines skipped) → {normalised word: weight}."""
    lexicon: dict[str, float] = {}
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _tab, weight = line.rpartition("\t")
        if not word:
            raise ValueError(f"lexicon line {number}: expected word<TAB>weight, got {line!r}")
        value = float(weight)
        if not -3 <= value <= 3:
            raise ValueError(f"lexicon line {number}: weight {value} outside -3..3")
        lexicon[_key(word.strip())] = value
    return lexicon


def _key(word: str) -> str:
    return _SKIN_TONES_AND_JOINERS.sub("", normalise(word))


@dataclass(frozen=True)
class _Thai:
    lexicon: dict[str, float]
    trie: KeywordTrie


@lru_cache(maxsize=1)
def _thai() -> _Thai:
    from pythainlp.corpus.common import thai_profanity_words

    text = resources.files("ruamchat.surveys").joinpath("lexicon_th.txt").read_text(encoding="utf-8")
    lexicon = {_key(word): PROFANITY_WEIGHT for word in thai_profanity_words()}
    lexicon.update(parse_lexicon(text.splitlines()))
    words = set(lexicon) | NEGATORS | AFTER_INTENSIFIERS | BEFORE_INTENSIFIERS | AFTER_SOFTENERS | BEFORE_SOFTENERS
    words |= CONTRAST
    thai_words = {word for word in words if _THAI_LETTER.search(word) and len(list(_pieces(word))) == 1}
    return _Thai(lexicon=lexicon, trie=KeywordTrie(thai_words))


def thai_tokens(text: str) -> list[tuple[str, bool]]:
    """(token, a clause ends before it) for the Thai path: normalised, lexicon words as units, whitespace
    dropped; a clause ends at punctuation and at a space next to Thai."""
    trie = _thai().trie
    out: list[tuple[str, bool]] = []
    space_before = False
    previous_kind = ""
    for kind, piece in _pieces(normalise(_SKIN_TONES_AND_JOINERS.sub("", text))):
        if kind == "space":
            space_before = True
            continue
        words = segment(piece, trie) if kind == "thai" else [piece]
        for number, word in enumerate(words):
            clause_break = number == 0 and bool(out) and (
                _is_punctuation(out[-1][0]) or (space_before and "thai" in (kind, previous_kind))
            )
            out.append((word, clause_break))
        space_before = False
        previous_kind = kind
    return out


def _thai_raw(text: str) -> float:
    lexicon = _thai().lexicon
    tokens = thai_tokens(text)
    words = [token for token, _break in tokens]
    breaks = [clause_break for _token, clause_break in tokens]
    last_but = max((i for i, word in enumerate(words) if word in CONTRAST), default=-1)

    total = 0.0
    for i, word in enumerate(words):
        weight = lexicon.get("555" if _LAUGH.fullmatch(word) else word)
        if weight is None:
            continue
        magnitude, sign = abs(weight), math.copysign(1.0, weight)
        # intensifiers and softeners after the word (over "ไป": "ช้าไปมาก", "แพงไปหน่อย")
        boosts = 0
        j = i + 1
        while j < len(words) and not breaks[j] and j - i <= 3:
            if words[j] in AFTER_INTENSIFIERS:
                boosts += 1
            elif words[j] in AFTER_SOFTENERS:
                magnitude *= DAMPEN
            elif words[j] not in BRIDGES:
                break
            j += 1
        # right before it ("โคตรดี", "ค่อนข้างช้า"); a negator up to NEGATION_REACH tokens before, in the clause
        negated = False
        for j in range(i - 1, max(-1, i - 1 - NEGATION_REACH), -1):
            if breaks[j + 1]:
                break
            before = words[j]
            if before in NEGATORS:
                negated = True
                break
            if j == i - 1 and before in BEFORE_INTENSIFIERS:
                boosts += 1
            elif j == i - 1 and before in BEFORE_SOFTENERS:
                magnitude *= DAMPEN
            elif before in lexicon or _is_punctuation(before):
                break
        magnitude += BOOST * min(boosts, 2)
        value = sign * magnitude
        if negated:
            value *= NEGATE_POSITIVE if value > 0 else NEGATE_NEGATIVE
        if last_but >= 0:
            value *= BEFORE_BUT if i < last_but else AFTER_BUT
        total += value

    total += _emphasis(text, total)
    ascii_part = " ".join(match.group() for match in _ASCII_WORDS.finditer(text))
    if ascii_part:
        total += _english_raw(ascii_part, with_emoji=False)
    return total


def _emphasis(text: str, total: float) -> float:
    if total == 0:
        return 0.0
    marks = min(text.count("!") + text.count("！"), 4)
    return math.copysign(marks * EXCLAIM, total)


# -- English ---------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    analyser.lexicon.update(EN_DOMAIN_WORDS)
    return analyser


def _english_raw(text: str, *, with_emoji: bool = True) -> float:
    """VADER's raw valence of the text, plus the idioms and (unless the Thai path already counted them)
    the emoji of the Thai lexicon, weighed around the last "but" as VADER weighs words."""
    extras: list[tuple[int, float]] = []  # (position, weight)
    if with_emoji:
        lexicon = _thai().lexicon
        kept = []
        for position, char in enumerate(_SKIN_TONES_AND_JOINERS.sub("", text)):
            weight = lexicon.get(char) if not char.isalnum() else None
            if weight is None:
                kept.append(char)
            else:
                extras.append((position, weight))
                kept.append(" ")
        text = "".join(kept)
    lowered = text.lower().replace("’", "'")
    for pattern, weight in EN_IDIOMS:
        extras.extend((match.start(), weight) for match in pattern.finditer(lowered))

    raw = 0.0
    has_words = any(char.isalpha() for char in text)
    if has_words:
        raw = _raw_of(_vader().polarity_scores(text)["compound"])
    last_but = max((match.start() for match in _BUT.finditer(lowered)), default=-1)
    for position, weight in extras:
        if last_but >= 0:
            weight *= BEFORE_BUT if position < last_but else AFTER_BUT
        raw += weight
    if not has_words:  # "👍!!": VADER, which weighs "!", did not run
        raw += _emphasis(text, raw)
    return raw


__all__ = ["NEGATIVE", "NEUTRAL", "POSITIVE", "Sentiment", "analyse", "label_of", "normalise_score", "parse_lexicon"]
