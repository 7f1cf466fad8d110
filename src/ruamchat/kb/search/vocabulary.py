"""The business's search vocabulary (dictionary words, synonyms) and the analyzer built from it, per process.

Admins change these rarely; every process re-reads them at most every few seconds (and at once in the
process that changed them), like the SLA calendars.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from ruamchat.kb.models import SearchWord, SynonymSet
from ruamchat.kb.search.analysis import Analyzer

RECHECK_SECONDS = 5.0


@dataclass(frozen=True)
class Vocabulary:
    words: tuple[str, ...]
    synonyms: tuple[tuple[str, ...], ...]
    analyzer: Analyzer
    #: term → the single terms that mean the same
    same_as: dict[str, frozenset[str]] = field(default_factory=dict)
    #: multi-term synonyms: (terms of a phrase, the other phrases' terms)
    phrases: tuple[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]], ...] = ()


_lock = threading.Lock()
_Signature = tuple[tuple[str, ...], tuple[str, ...]]
_cached: tuple[float, _Signature, Vocabulary] | None = None


def _signature() -> _Signature:
    words = tuple(SearchWord.objects.order_by("word").values_list("word", flat=True))
    synonyms = tuple(SynonymSet.objects.order_by("id").values_list("words", flat=True))
    return words, synonyms


def _build(words: tuple[str, ...], raw_synonyms: tuple[str, ...]) -> Vocabulary:
    synonyms = tuple(
        tuple(word.strip() for word in line.split(",") if word.strip()) for line in raw_synonyms
    )
    synonym_words = [word for group in synonyms for word in group]
    analyzer = Analyzer([*words, *synonym_words], keep=[*words, *synonym_words])
    same_as: dict[str, set[str]] = {}
    phrases: list[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]] = []
    for group in synonyms:
        analysed = [tuple(analyzer.terms(word)) for word in group]
        analysed = [terms for terms in analysed if terms]
        singles = {terms[0] for terms in analysed if len(terms) == 1}
        for term in singles:
            same_as.setdefault(term, set()).update(singles - {term})
        for terms in analysed:
            others = tuple(other for other in analysed if other != terms)
            if others and (len(terms) > 1 or any(len(other) > 1 for other in others)):
                phrases.append((terms, others))
    return Vocabulary(
        words=words, synonyms=synonyms, analyzer=analyzer,
        same_as={term: frozenset(others) for term, others in same_as.items() if others},
        phrases=tuple(phrases),
    )


def current() -> Vocabulary:
    global _cached
    now = time.monotonic()
    cached = _cached
    if cached is not None and now - cached[0] < RECHECK_SECONDS:
        return cached[2]
    signature = _signature()
    with _lock:
        if _cached is not None and _cached[1] == signature:
            _cached = (now, signature, _cached[2])
            return _cached[2]
        vocabulary = _build(*signature)
        _cached = (now, signature, vocabulary)
        return vocabulary


def forget() -> None:
    """Read the vocabulary again at the next search (called after this process changed it)."""
    global _cached
    _cached = None

