"""Triage: a suggested team, support category and priority for a customer's message, with reasons.

Thai text is normalised (PyThaiNLP ``normalize``, zero-width characters removed, a letter repeated three
times or more kept once: "ควันนนน" → "ควัน") and segmented with PyThaiNLP's newmm over its default
dictionary plus every Thai keyword, so several-word keywords ("ไฟดูด", "ตัดเงินซ้ำ") come out as one
token. Keywords are segmented with the same tokenizer and matched as token sequences, never as
substrings; a keyword unit that is not a dictionary word is also looked into, at its dictionary words,
on both sides alike, so a longer keyword ("ไม่ได้รับของ") never hides a shorter one ("ไม่ได้รับ").
English is lower-cased, split on word boundaries and lightly stemmed.

The engine needs no Django settings, except ``Suggestion.explain()``, which translates.

How the suggestion is made (the keyword lists and rules are in ``keywords.py``):

* priority: urgent (0) when a safety, fraud or legal keyword matched; else high (1) for a lost or very
  late order, an item broken on arrival, or an angry message from a customer who was angry before
  (``angry_before`` ≥ 1); else low (3) for thanks, a "resolved" note or a general question — but not
  when a "but" follows it, nor for a bare thanks in a message that also names a problem (a category
  keyword); else normal (2).
* category: each category keyword that matched is a vote; a safety match gives technical two votes, a
  broken-on-arrival match gives return one, a late order gives order_status one, fraud gives payment
  one when nothing else voted. The most votes win; ties go to ``CATEGORY_PRECEDENCE``; no vote → other.
* team: the category's team in ``team_of_category`` (default ``DEFAULT_TEAM_OF_CATEGORY``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from pythainlp.tokenize import word_dict_trie
from pythainlp.tokenize.newmm import segment
from pythainlp.util import Trie, dict_trie

from ruamchat.core.text import detect_language, normalise

from . import keywords as kw

URGENT, HIGH, NORMAL, LOW = 0, 1, 2, 3  # the numbers of inbox.models.Conversation.Priority
RULES = kw.RULES  # the rule names ``extra`` accepts
COMBO_WINDOW = 8  # the parts of an "a + b" keyword must lie within this many tokens
NEGATION_REACH = 4  # tokens looked at before a keyword for a negation

_PIECES = re.compile(r"(?P<thai>[\u0e01-\u0e4f]+)|(?P<word>[a-z0-9]+(?:'[a-z]+)*)|(?P<space>\s+)|(?P<other>.)", re.S)
_EXCLAIM = re.compile(r"[!！]{3,}")
_LATIN_LETTER = re.compile(r"[A-Za-z]")

_IRREGULAR = {
    "burnt": "burn", "broke": "break", "broken": "break", "caught": "catch", "lost": "lose", "paid": "pay",
    "sent": "send", "got": "get", "gotten": "get", "came": "come", "froze": "freeze", "frozen": "freeze",
}


def _stem(word: str) -> str:
    """A small English stemmer, the same on keywords and messages: burning/burned/burnt → burn."""
    if not word.isascii() or (not word.isalpha() and "'" not in word):
        return word
    if word.endswith("'s"):
        word = word[:-2]
    word = _IRREGULAR.get(word, word)
    if len(word) > 4 and word.endswith(("ies", "ied")):
        return word[:-3] + "y"
    if len(word) >= 6 and word.endswith("ing"):
        word = _undouble(word[:-3])
    elif len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
        word = _undouble(word[:-2])
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 3 and word.endswith("e") and not word.endswith("ee"):
        word = word[:-1]
    return word


def _undouble(stem: str) -> str:
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        return stem[:-1]
    return stem


@dataclass(frozen=True)
class Reason:
    field: str  # "priority" | "category" | "team"
    value: str  # "0" / "refund" / "support"
    keyword: str  # the keyword that matched, as written in the list ("" for a default)
    rule: str  # "safety", "fraud", …, "category:refund", "team_of_category:refund", "default"


@dataclass(frozen=True)
class Suggestion:
    team_kind: str
    category: str
    priority: int
    reasons: tuple[Reason, ...]
    language: str  # "th" | "en"
    angry: bool = False  # this message reads angry; the caller counts these for the next angry_before
    wants_person: bool = False  # the customer asks to talk to a person ("ขอคุยกับพนักงาน", "talk to a human")

    def explain(self) -> list[str]:
        """One sentence per reason, for agents, in the active language."""
        return [_explain(reason) for reason in self.reasons]


PRIORITY_LABELS = {
    URGENT: gettext_lazy("Urgent"),
    HIGH: gettext_lazy("High"),
    NORMAL: gettext_lazy("Normal"),
    LOW: gettext_lazy("Low"),
}
CATEGORY_LABELS = {
    "technical": pgettext_lazy("triage category", "technical"),
    "return": pgettext_lazy("triage category", "return"),
    "exchange": pgettext_lazy("triage category", "exchange"),
    "refund": pgettext_lazy("triage category", "refund"),
    "order_status": pgettext_lazy("triage category", "order status"),
    "payment": pgettext_lazy("triage category", "payment"),
    "account": pgettext_lazy("triage category", "account"),
    "other": pgettext_lazy("triage category", "other"),
}
TEAM_LABELS = {"service": gettext_lazy("Customer service"), "support": gettext_lazy("Customer support")}
RULE_LABELS = {
    "safety": pgettext_lazy("triage rule", "safety hazard"),
    "fraud": pgettext_lazy("triage rule", "fraud or double charge"),
    "legal": pgettext_lazy("triage rule", "legal threat"),
    "late_order": pgettext_lazy("triage rule", "lost or very late order"),
    "broken": pgettext_lazy("triage rule", "broken on arrival"),
    "thanks": pgettext_lazy("triage rule", "thanks"),
    "resolved": pgettext_lazy("triage rule", "problem solved"),
    "info": pgettext_lazy("triage rule", "general question"),
    "person": pgettext_lazy("triage rule", "asks for a person"),
}


def _explain(reason: Reason) -> str:
    if reason.field == "priority":
        priority = PRIORITY_LABELS[int(reason.value)]
        if reason.rule == "default":
            return _("no priority keyword matched → %(priority)s") % {"priority": priority}
        if reason.rule == "angry":
            return _("angry (“%(keyword)s”) and angry before → %(priority)s") % {
                "keyword": reason.keyword, "priority": priority,
            }
        return _("contains “%(keyword)s” (%(rule)s) → %(priority)s") % {
            "keyword": reason.keyword, "rule": RULE_LABELS.get(reason.rule, reason.rule), "priority": priority,
        }
    if reason.field == "category":
        category = CATEGORY_LABELS.get(reason.value, reason.value)
        if reason.rule == "default":
            return _("no category keyword matched → %(category)s") % {"category": category}
        if reason.rule.startswith("category:"):
            return _("contains “%(keyword)s” → category %(category)s") % {
                "keyword": reason.keyword, "category": category,
            }
        return _("contains “%(keyword)s” (%(rule)s) → category %(category)s") % {
            "keyword": reason.keyword, "rule": RULE_LABELS.get(reason.rule, reason.rule), "category": category,
        }
    category = reason.rule.partition(":")[2]
    return _("category %(category)s → %(team)s") % {
        "category": CATEGORY_LABELS.get(category, category), "team": TEAM_LABELS.get(reason.value, reason.value),
    }


@dataclass(frozen=True)
class _Pattern:
    rule: str
    keyword: str  # as written
    parts: tuple[tuple[str, ...], ...]  # each part: a sequence of match keys


@dataclass
class _Text:
    tokens: list[str]  # surface tokens (normalised), punctuation included, whitespace left out
    keys: list[str]  # what is matched: English stemmed, Thai as is
    breaks: list[bool]  # a clause ends before this token (punctuation, or a space next to Thai)


@dataclass
class _Hit:
    pattern: _Pattern
    start: int
    end: int


@dataclass
class _Matches:
    by_rule: dict[str, list[_Hit]] = field(default_factory=dict)

    def add(self, hit: _Hit) -> None:
        """Keep a hit unless the rule already has it, or a longer hit around it ("ออเดอร์" in "ยกเลิกออเดอร์")."""
        hits = self.by_rule.setdefault(hit.pattern.rule, [])
        if all(
            other.pattern.keyword != hit.pattern.keyword
            and not (len(other.pattern.parts) <= 1 and other.start <= hit.start and hit.end <= other.end)
            for other in hits
        ):
            hits.append(hit)

    def get(self, rule: str) -> list[_Hit]:
        return self.by_rule.get(rule, [])

    def first(self, rules: Iterable[str]) -> list[_Hit]:
        return [hit for rule in rules for hit in self.get(rule)]


class KeywordTrie(Trie):
    """PyThaiNLP's default dictionary plus the keywords, for newmm.

    Segments exactly like ``dict_trie(thai_words() + keywords)`` (newmm asks a dictionary only for the
    words that start at a position, shortest first) but shares the default 62k-word trie, which PyThaiNLP
    builds once per process (~0.4 s, ~60 MB), instead of copying it for every engine.
    """

    def __init__(self, keywords: Iterable[str], base: Trie | None = None) -> None:
        self.base = base if base is not None else word_dict_trie()
        self.keywords = dict_trie([word for word in keywords if word not in self.base])
        super().__init__(())

    def prefixes(self, text: str, start: int = 0) -> list[str]:
        found = self.base.prefixes(text, start)
        extra = self.keywords.prefixes(text, start)
        if not extra:
            return found
        return sorted({*found, *extra}, key=len)

    def add(self, word: str) -> None:
        self.keywords.add(word)

    def remove(self, word: str) -> None:
        """Removes a keyword; the shared default words stay."""
        self.keywords.remove(word)

    def __contains__(self, key: str) -> bool:
        return key in self.base or key in self.keywords

    def __iter__(self) -> Iterator[str]:
        yield from self.base
        yield from self.keywords

    def __len__(self) -> int:
        return len(self.base) + len(self.keywords)


def _pieces(text: str) -> Iterable[tuple[str, str]]:
    for match in _PIECES.finditer(text):
        kind = match.lastgroup
        assert kind is not None
        yield kind, match.group()


def _is_punctuation(token: str) -> bool:
    return len(token) == 1 and unicodedata.category(token).startswith("P")


class Triage:
    """The triage engine. Build one per set of keywords and keep it (the first in a process loads PyThaiNLP's
    dictionary, ~0.5 s; later ones take ~0.1 s).

    ``extra`` maps rule names (``keywords.RULES``: "safety", "fraud", …, "category:refund") to extra
    keywords, e.g. the ones admins add; ``team_of_category`` overrides entries of the default mapping.
    """

    def __init__(
        self,
        extra: Mapping[str, Iterable[str]] | None = None,
        team_of_category: Mapping[str, str] | None = None,
    ) -> None:
        lists = {rule: list(words) for rule, words in kw.BUILTIN_KEYWORDS.items()}
        for rule, words in (extra or {}).items():
            if rule not in lists:
                raise ValueError(f"unknown triage rule {rule!r}; known: {', '.join(kw.RULES)}")
            lists[rule].extend(word for word in words if word and word.strip())
        self.team_of_category = dict(kw.DEFAULT_TEAM_OF_CATEGORY)
        for category, team in (team_of_category or {}).items():
            if category not in kw.CATEGORIES or team not in kw.TEAM_KINDS:
                raise ValueError(f"bad team_of_category entry {category!r}: {team!r}")
            self.team_of_category[category] = team

        thai_keywords = {
            piece
            for words in lists.values()
            for word in words
            for kind, piece in _pieces(normalise(word))
            if kind == "thai"
        }
        self._trie = KeywordTrie(thai_keywords)
        # A keyword that is not a dictionary word is one token in a message ("ไม่ได้รับของ"); matching
        # also looks inside it, at its dictionary words (ไม่ | ได้รับ | ของ), so a shorter keyword of
        # another rule ("ไม่ได้รับ") still matches: adding a keyword never hides another one.
        self._inside: dict[str, list[str]] = {}
        for word in thai_keywords:
            if word in self._trie.base:
                continue
            words_inside = segment(word, self._trie.base)
            if len(words_inside) > 1:
                self._inside[word] = words_inside
        self._negators = frozenset(self._key(word) for word in kw.NEGATORS)
        self._bridges = frozenset(self._key(word) for word in kw.BRIDGES)
        self._contrast = frozenset(self._key(word) for word in kw.CONTRAST)
        self._units = {self._key(word): days for word, days in kw.DURATION_UNITS.items()}
        self._numbers = {self._key(word): n for word, n in kw.NUMBER_WORDS.items()}
        self._ago = frozenset(self._key(word) for word in kw.AGO)

        # first key of a part → (part keys, pattern, part index)
        self._index: dict[str, list[tuple[tuple[str, ...], _Pattern, int]]] = {}
        for rule, words in lists.items():
            seen: set[tuple[tuple[str, ...], ...]] = set()
            for word in words:
                parts = tuple(self._keyword_keys(part) for part in word.split(" + "))
                if not all(parts) or parts in seen:
                    continue
                seen.add(parts)
                pattern = _Pattern(rule=rule, keyword=word.strip(), parts=parts)
                for number, part in enumerate(parts):
                    self._index.setdefault(part[0], []).append((part, pattern, number))

    # -- tokenizing --------------------------------------------------------------------------------

    def _key(self, word: str) -> str:
        keys = self._analyse(word).keys
        return keys[0] if len(keys) == 1 else normalise(word)

    def _segment(self, text: str) -> list[tuple[str, bool]]:
        """(token, a clause ends before it) for the text, with the keyword dictionary."""
        out: list[tuple[str, bool]] = []
        space_before = False
        previous_kind = ""
        for kind, piece in _pieces(normalise(text)):
            if kind == "space":
                space_before = True
                continue
            words = segment(piece, self._trie) if kind == "thai" else [piece]
            for number, word in enumerate(words):
                clause_break = number == 0 and bool(out) and (
                    _is_punctuation(out[-1][0]) or (space_before and "thai" in (kind, previous_kind))
                )
                out.append((word, clause_break or _is_punctuation(word)))
            space_before = False
            previous_kind = kind
        return out

    def _analyse(self, text: str) -> _Text:
        """The tokens matched on: the segmentation, with keyword units opened into dictionary words."""
        tokens: list[str] = []
        breaks: list[bool] = []
        for token, clause_break in self._segment(text):
            inside = self._inside.get(token)
            if inside is None:
                tokens.append(token)
                breaks.append(clause_break)
            else:
                tokens.extend(inside)
                breaks.append(clause_break)
                breaks.extend([False] * (len(inside) - 1))
        keys = [_stem(token) if token.isascii() else token for token in tokens]
        return _Text(tokens=tokens, keys=keys, breaks=breaks)

    def _keyword_keys(self, keyword: str) -> tuple[str, ...]:
        analysed = self._analyse(keyword)
        pairs = zip(analysed.keys, analysed.tokens, strict=True)
        return tuple(key for key, token in pairs if not _is_punctuation(token))

    def tokens(self, text: str) -> list[str]:
        """The segmentation: normalised tokens, keywords as units, whitespace dropped, punctuation kept."""
        return [token for token, _clause_break in self._segment(text)]

    # -- matching ----------------------------------------------------------------------------------

    def _negated(self, text: _Text, start: int) -> bool:
        position = start - 1
        while position >= 0 and start - position <= NEGATION_REACH and not text.breaks[position + 1]:
            key = text.keys[position]
            if key in self._negators:
                return True
            if key not in self._bridges:
                return False
            position -= 1
        return False

    def _match(self, text: _Text) -> _Matches:
        keys = text.keys
        # (pattern keyword, rule) → per part, the (start, end) spans where it occurs, not negated
        found: dict[tuple[str, str], tuple[_Pattern, dict[int, list[tuple[int, int]]]]] = {}
        negated: list[tuple[int, int]] = []
        for start, key in enumerate(keys):
            for part, pattern, number in self._index.get(key, ()):
                end = start + len(part)
                if tuple(keys[start:end]) != part:
                    continue
                if pattern.rule in kw.CATEGORY_RULES or not self._negated(text, start):
                    entry = found.setdefault((pattern.keyword, pattern.rule), (pattern, {}))
                    entry[1].setdefault(number, []).append((start, end))
                else:
                    negated.append((start, end))
        # what lies inside a negated keyword is negated too: "ช็อต" in "ไม่ได้มีไฟช็อต"
        for pattern, spans in found.values():
            if pattern.rule not in kw.CATEGORY_RULES:
                for number, occurrences in spans.items():
                    spans[number] = [
                        (start, end)
                        for start, end in occurrences
                        if not any(low <= start and end <= high for low, high in negated)
                    ]

        hits: list[_Hit] = []
        for pattern, spans in found.values():
            if sum(1 for occurrences in spans.values() if occurrences) < len(pattern.parts):
                continue
            span = _within_window(spans, len(pattern.parts))
            if span is not None:
                hits.append(_Hit(pattern=pattern, start=span[0], end=span[1]))

        hidden = [(hit.start, hit.end) for hit in hits if hit.pattern.rule == "ignore"]
        matches = _Matches()
        for hit in sorted(hits, key=lambda hit: (hit.start, hit.start - hit.end, len(hit.pattern.parts))):
            if hit.pattern.rule == "ignore":
                continue
            if any(hit.start < end and start < hit.end for start, end in hidden):
                continue
            matches.add(hit)
        return matches

    def _long_wait(self, text: _Text) -> _Hit | None:
        """The first "สองอาทิตย์" / "10 days"-like wait of LONG_WAIT_DAYS or more."""
        for position in range(len(text.keys)):
            days = self._units.get(text.keys[position])
            if days is None:
                continue
            before = text.keys[position - 1] if position else ""
            count = int(before) if before.isdigit() and len(before) < 5 else self._numbers.get(before)
            start, end = position - 1, position + 1
            if count is None and position + 1 < len(text.keys) and text.keys[position + 1] in self._ago:
                count, start, end = 1, position, position + 2  # "เดือนที่แล้ว"
            if count is not None and count * days >= kw.LONG_WAIT_DAYS:
                separator = " " if text.tokens[position].isascii() else ""
                written = separator.join(text.tokens[start:end])
                return _Hit(pattern=_Pattern("late_order", written, ()), start=start, end=end)
        return None

    # -- the suggestion ----------------------------------------------------------------------------

    def suggest(self, text: str, *, angry_before: int = 0) -> Suggestion:
        analysed = self._analyse(text)
        matches = self._match(analysed)

        if not matches.get("late_order") and (matches.get("waiting") or matches.get("category:order_status")):
            wait = self._long_wait(analysed)
            if wait is not None:
                matches.add(wait)

        anger = list(matches.get("angry"))
        if _EXCLAIM.search(text):
            anger.append(_Hit(_Pattern("angry", "!!!", ()), 0, 0))
        letters = _LATIN_LETTER.findall(text)
        if len(letters) >= 10 and sum(letter.isupper() for letter in letters) >= 0.8 * len(letters):
            anger.append(_Hit(_Pattern("angry", "ALL CAPS", ()), 0, 0))
        angry = bool(anger)

        priority, priority_hits = self._priority(analysed, matches, anger if angry_before > 0 else [])
        category, category_reasons = self._category(matches)
        team = self.team_of_category[category]

        reasons = [Reason("priority", str(priority), hit.pattern.keyword, hit.pattern.rule) for hit in priority_hits]
        if not reasons:
            reasons.append(Reason("priority", str(priority), "", "default"))
        reasons.extend(category_reasons)
        deciding = category_reasons[0].keyword if category_reasons else ""
        reasons.append(Reason("team", team, deciding, f"team_of_category:{category}"))
        return Suggestion(
            team_kind=team,
            category=category,
            priority=priority,
            reasons=tuple(reasons),
            language=detect_language(text),
            angry=angry,
            wants_person=bool(matches.get("person")),
        )

    def _priority(self, text: _Text, matches: _Matches, anger: list[_Hit]) -> tuple[int, list[_Hit]]:
        urgent = matches.first(kw.URGENT_RULES)
        if urgent:
            return URGENT, urgent
        high = matches.first(("late_order", "broken")) + anger
        if high:
            return HIGH, high
        low = matches.first(kw.LOW_RULES)
        if not low:
            return NORMAL, []
        first_low = min(hit.start for hit in low)
        if any(key in self._contrast for key in text.keys[first_low + 1 :]):
            return NORMAL, []
        names_a_problem = any(matches.get(rule) for rule in kw.CATEGORY_RULES)
        if names_a_problem and not (matches.get("info") or matches.get("resolved")):
            return NORMAL, []
        return LOW, low

    def _category(self, matches: _Matches) -> tuple[str, list[Reason]]:
        votes: dict[str, float] = {}
        voters: dict[str, list[Reason]] = {}

        def vote(category: str, weight: float, hit: _Hit) -> None:
            votes[category] = votes.get(category, 0) + weight
            voters.setdefault(category, []).append(Reason("category", category, hit.pattern.keyword, hit.pattern.rule))

        for rule in kw.CATEGORY_RULES:
            for hit in matches.get(rule):
                vote(rule.partition(":")[2], 1, hit)
        implied = (("safety", "technical", 2), ("broken", "return", 1), ("late_order", "order_status", 1))
        for rule, category, weight in implied:
            hits = matches.get(rule)
            if hits:
                vote(category, weight, hits[0])
        if not votes and matches.get("fraud"):
            vote("payment", 1, matches.get("fraud")[0])
        if not votes:
            return "other", [Reason("category", "other", "", "default")]
        order = {name: rank for rank, name in enumerate(kw.CATEGORY_PRECEDENCE)}
        winner = max(votes, key=lambda name: (votes[name], -order.get(name, len(order))))
        return winner, voters[winner]


def _within_window(spans: Mapping[int, list[tuple[int, int]]], parts: int) -> tuple[int, int] | None:
    """The span covering one occurrence of every part, all within COMBO_WINDOW tokens, if any."""
    if parts == 1:
        return spans[0][0]
    for anchor_start, anchor_end in spans[0]:
        lowest, highest = anchor_start, anchor_end
        for number in range(1, parts):
            near = [
                (start, end)
                for start, end in spans[number]
                if max(end, anchor_end) - min(start, anchor_start) <= COMBO_WINDOW
            ]
            if not near:
                break
            start, end = min(near, key=lambda span: abs(span[0] - anchor_start))
            lowest, highest = min(lowest, start), max(highest, end)
        else:
            return lowest, highest
    return None


@lru_cache(maxsize=1)
def default_triage() -> Triage:
    """The engine with the built-in keywords only (built on first use, then shared)."""
    return Triage()


def tokens(text: str) -> list[str]:
    """The segmentation the engine uses (built-in keyword dictionary), for tests and other modules."""
    return default_triage().tokens(text)
