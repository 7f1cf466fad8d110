"""Text → search terms for messages and contacts, and a typed query → what to look for.

The analysis is the knowledge base's (``ruamchat.kb.search.analysis``): Thai segmented by newmm, English
stemmed, stop words dropped, Thai tone marks folded away in the index. Messages use PyThaiNLP's dictionary
alone (not the business's extra words): a message is indexed once, and a dictionary that changed under it
would segment a query differently from the text it was indexed with.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from django.utils.safestring import SafeString

from ruamchat.contacts.phones import phone_key
from ruamchat.kb.search.analysis import TONE_MARKS, Analyzer, Token, fold
from ruamchat.kb.search.engine import mark_spans

MAX_QUERY = 200
SNIPPET_CHARS = 160
_NUMBER = re.compile(r"#?\s*(\d{1,9})")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[\d\s\-().]{8,20}")
_LATIN_END = re.compile(r"[a-z]$")

_lock = threading.Lock()
_analyzer: Analyzer | None = None


def analyzer() -> Analyzer:
    """The analyzer of the global search (one per process; loading its dictionaries takes a second)."""
    global _analyzer
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                _analyzer = Analyzer()
    return _analyzer


def document_terms(*texts: str) -> str:
    """What the index holds for these texts: their terms without tone marks, space-separated (compounds are
    followed by their parts, so "ผ่อน" finds "ผ่อนชำระ")."""
    found = analyzer().index_terms(" \n ".join(text for text in texts if text))
    return " ".join(fold(term) for term in found)


def query_words(text: str) -> list[str]:
    """The folded terms of a query, in order, without repeats. A Thai run typed with its tone marks is
    segmented exactly as the indexed text was; one typed without them is segmented as tone-less text."""
    words: list[str] = []
    for chunk in text.split():
        toned = any(mark in chunk for mark in TONE_MARKS)
        terms = analyzer().terms(chunk) if toned else analyzer().query_terms(chunk)
        words.extend(fold(term) for term in terms)
    return list(dict.fromkeys(words))


@dataclass(frozen=True)
class Query:
    """A typed query: what each kind of result is looked up by."""

    text: str
    #: folded terms: a message or a contact must hold every one
    words: tuple[str, ...] = ()
    #: the last word may be the start of a longer one (typing in progress, English)
    prefix: bool = False
    number: int | None = None
    email: str = ""
    phone: str = ""  # E.164

    @property
    def too_short(self) -> bool:
        """Nothing to look for: one letter, or only words too common to search for."""
        return self.number is None and not self.email and not self.phone and not self.words


def parse(raw: str) -> Query:
    text = " ".join(raw.split())[:MAX_QUERY]
    if len(text) < 2 and not text.isdigit():
        return Query(text=text)
    number = _NUMBER.fullmatch(text)
    email = text.lower() if _EMAIL.fullmatch(text) else ""
    digits = sum(ch.isdigit() for ch in text)
    phone = phone_key(text) if _PHONE.fullmatch(text) and digits >= 9 else ""
    words = tuple(query_words(text))
    last = text.lower().split()[-1] if text else ""
    # typing in progress: the last word, English, not followed by a space, may be the start of a longer one
    prefix = (bool(words) and not raw[-1:].isspace() and bool(_LATIN_END.search(last))
              and query_words(last)[-1:] == [words[-1]])
    return Query(text=text, words=words, prefix=prefix,
                 number=int(number.group(1)) if number and not phone else None, email=email, phone=phone)


def _parts(term: str, keys: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The folded parts of a compound that the index holds besides it (two levels, as ``index_terms``)."""
    found = keys.get(term)
    if found is None:
        parts = analyzer().parts(term)
        found = keys[term] = tuple(fold(word) for part in parts for word in (part, *analyzer().parts(part)))
    return found


def _spans(text: str, token: Token, query: Query, words: set[str],
           keys: dict[str, tuple[str, ...]]) -> list[tuple[int, int]]:
    """Where ``token`` matches the query: the whole word, or the parts of a compound that matched ("สี" in
    "เปลี่ยนสี"), found in the word's tone-less letters."""
    if not token.term:
        return []
    whole = fold(token.term)
    if whole in words or (query.prefix and whole.startswith(query.words[-1])):
        return [(token.start, token.end)]
    matched = [part for part in _parts(token.term, keys) if part in words]
    if not matched:
        return []
    raw = text[token.start:token.end]
    letters = [i for i, ch in enumerate(raw) if ch not in TONE_MARKS]
    folded = "".join(raw[i] for i in letters)
    spans = []
    for part in matched:
        at = folded.find(part)
        if at < 0:  # written differently from its normal form: mark the whole word
            return [(token.start, token.end)]
        end = letters[at + len(part) - 1] + 1
        while end < len(raw) and raw[end] in TONE_MARKS:
            end += 1
        spans.append((token.start + letters[at], token.start + end))
    return spans


def highlight(text: str, query: Query, limit: int = SNIPPET_CHARS) -> SafeString:
    """``text`` escaped, the words the query matched in ``<mark>``: the window of about ``limit`` characters
    around the first of them."""
    text = " ".join(text.split())
    keys: dict[str, tuple[str, ...]] = {}
    words = set(query.words)
    spans = [span for token in analyzer().tokens(text) for span in _spans(text, token, query, words, keys)]
    return mark_spans(text, spans, limit)
