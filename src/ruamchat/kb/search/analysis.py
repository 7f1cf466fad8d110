"""Text → search terms, the same at index and at query time.

- Thai runs are segmented into words by newmm (nlpo3, the Rust implementation, with PyThaiNLP's 62k-word
  dictionary plus the business's own words and synonyms); English words are lower-cased and stemmed
  (Snowball); digits stay as they are.
- A term's *folded* form has no Thai tone marks: the full-text index holds folded terms, so "ผอน" finds
  "ผ่อน"; ranking still prefers an exact match.
- Stop words (particles, pronouns, question words) are dropped, except words the business listed.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import nlpo3
import snowballstemmer
from pythainlp.corpus.common import thai_words
from pythainlp.tokenize import word_dict_trie

from ruamchat.core.text import normalise


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


TONE_MARKS = "\u0e48\u0e49\u0e4a\u0e4b"  # mai ek, mai tho, mai tri, mai chattawa
_NO_TONES = dict.fromkeys(map(ord, TONE_MARKS))
#: a Thai run (letters, vowels, marks; not the digits ๐-๙, which normalise() made Arabic), or a Latin/digit word
_PIECES = re.compile(r"(?P<thai>[\u0e01-\u0e2e\u0e30-\u0e3a\u0e40-\u0e4e]+)|(?P<word>[0-9a-z]+)")
_RAW_PIECES = re.compile(r"(?P<thai>[\u0e01-\u0e2e\u0e30-\u0e3a\u0e40-\u0e4e]+)|(?P<word>[0-9A-Za-z]+)")
_THAI_CONSONANT = re.compile(r"[\u0e01-\u0e2e]")

THAI_STOPWORDS = _words(
    "ครับ คับ ค่ะ คะ ค่า จ้า จ้ะ จ๊ะ นะ น่ะ นะคะ นะครับ ฮะ ฮับ อ่ะ อะ ล่ะ เลย หน่อย ด้วย เนี่ย เนอะ แหละ สิ ซิ "
    "ผม ดิฉัน ฉัน หนู เรา คุณ เค้า เขา มัน กระผม ท่าน "
    "ที่ ว่า ก็ จะ ไหม มั้ย มั๊ย ป่าว เปล่า หรือ หรอ เหรอ คือ เป็น อยู่ และ กับ แล้ว ไง ยังไง อย่างไร อะไร บ้าง "
    "ได้ ไม่ ถ้า ให้ นี้ นั้น นี่ นั่น โน้น ซึ่ง ของ ใน จาก ถึง โดย แต่ เพราะ หาก ทั้ง "
    "อยาก ทราบ สอบถาม ขอ ต้องการ รบกวน สวัสดี ขอบคุณ ไป มา ยัง ตั้งแต่ กี่ เมื่อไหร่ เมื่อไร ตอนนี้ เอง"
)  # "ของ" (of; also "goods"): a business that lists it as a synonym keeps it
ENGLISH_STOPWORDS = _words(
    "a an the is are was were be been am do does did i me my we our you your he she it its they them their "
    "this that these those to of for in on at by with from and or but if so as can could would should will "
    "shall may might how what when where which who why there here please hi hello thanks thank just about "
    "into any some get got"
)

_stemmer_local = threading.local()


def fold(term: str) -> str:
    """The term without Thai tone marks (what the full-text index holds)."""
    return term.translate(_NO_TONES)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball's English stem (cached: the pure-Python stemmer costs ~90 µs a word, and words repeat)."""
    stemmer = getattr(_stemmer_local, "stemmer", None)
    if stemmer is None:  # Snowball stemmers keep state: one per thread
        stemmer = _stemmer_local.stemmer = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(word))


@dataclass(frozen=True)
class Token:
    start: int  # offsets in the text given to ``tokens()``
    end: int
    term: str  # the analysed term ("" for a stop word)


class Analyzer:
    """One per dictionary (the business's words). Segmenters are shared per process (nlpo3 keeps them)."""

    def __init__(self, words: Iterable[str] = (), keep: Iterable[str] = ()) -> None:
        extra = sorted({normalise(word).strip() for word in words if word and word.strip()})
        self.words = tuple(word for word in extra if _THAI_CONSONANT.search(word))
        self.dictionary = hashlib.sha256("\n".join(self.words).encode()).hexdigest()[:16]
        self._exact = _load_dictionary(self.words, folded=False, version=self.dictionary)
        self._folded = _load_dictionary(self.words, folded=True, version=self.dictionary)
        self._known = _dictionary_words(self.words)
        self._known_folded = frozenset(fold(word) for word in self._known)
        keep_terms = {term for word in keep for term in self._plain_terms(normalise(word))}
        self._stopwords = (THAI_STOPWORDS | ENGLISH_STOPWORDS) - keep_terms
        self._shown: dict[str, str] = {}
        #: a shown term → the index terms it stands for (engine._keys), remembered per analyzer
        self.keys: dict[str, tuple[str, ...]] = {}

    # -- the parts --------------------------------------------------------------------------------

    def _segment(self, piece: str, folded: bool = False) -> list[str]:
        return [word for word in nlpo3.segment(piece, self._folded if folded else self._exact) if word.strip()]

    def _stop(self, word: str) -> bool:
        """A stop word, also typed without its tone marks ("ได" for "ได้")."""
        return word in self._stopwords or fold(word) in _folded(self._stopwords)

    def _term(self, word: str, thai: bool) -> str:
        return word if thai else stem(word) if word.isalpha() else word

    def _plain_terms(self, text: str) -> list[str]:
        out: list[str] = []
        for match in _PIECES.finditer(text):
            if match.lastgroup == "thai":
                out.extend(self._segment(match.group()))
            else:
                out.append(self._term(match.group(), thai=False))
        return out

    # -- what callers use -------------------------------------------------------------------------

    def terms(self, text: str) -> list[str]:
        """The terms of a text, stop words dropped, in order (repeats kept: they are the term frequency)."""
        out = []
        for match in _PIECES.finditer(normalise(text)):
            thai = match.lastgroup == "thai"
            words = self._segment(match.group()) if thai else [match.group()]
            for word in words:
                if self._stop(word) or not _useful(word, thai):
                    continue
                out.append(self._term(word, thai))
        return out

    def index_terms(self, text: str) -> list[str]:
        """``terms()``, each Thai compound followed by its parts ("ผ่อนชำระ" → ผ่อนชำระ, ผ่อน, ชำระ), so a search
        for a part finds the compound."""
        out = []
        for term in self.terms(text):
            out.append(term)
            for part in self.parts(term):  # two levels: ค่าจัดส่ง → ค่า, จัดส่ง → จัด, ส่ง
                out.extend(word for word in (part, *self.parts(part)) if not self._stop(word))
        return out

    def parts(self, term: str) -> tuple[str, ...]:
        """A Thai word that is two or three dictionary words, as those words; else ()."""
        return _parts(term, self.words) if len(term) >= 4 and not term.isascii() else ()

    def query_terms(self, text: str) -> list[str]:
        """The terms of a query, like ``terms()``; but a Thai run typed without its tone marks ("ผอนบัตร") is
        segmented as tone-less text with a tone-less dictionary (ผอน | บัตร) when that leaves fewer letters outside
        words, or the same and fewer words ("ขันตอน": ขันตอน, not ขัน | ตอน), than the ordinary segmentation."""
        out: list[str] = []
        for match in _PIECES.finditer(normalise(text)):
            if match.lastgroup != "thai":
                word = match.group()
                if not self._stop(word) and _useful(word, thai=False):
                    out.append(self._term(word, thai=False))
                continue
            piece = match.group()
            exact = self._segment(piece)
            words = exact
            if fold(piece) == piece or not all(word in self._known for word in exact):
                toneless = self._segment(fold(piece), folded=True)
                # fewer letters outside words wins; then fewer, longer words (as newmm itself prefers)
                if (_unknown(toneless, self._known_folded), len(toneless)) < (_unknown(exact, self._known), len(exact)):
                    words = toneless
            out.extend(word for word in words if not self._stop(word) and _useful(word, thai=True))
        return out

    def tokens(self, text: str) -> Iterator[Token]:
        """Words of a text to show, with their offsets in it, for highlighting."""
        for match in _RAW_PIECES.finditer(text):
            thai = match.lastgroup == "thai"
            piece = match.group()
            position = match.start()
            for word in self._segment(piece) if thai else [piece]:
                start = text.find(word, position)
                if start < 0:
                    continue
                position = start + len(word)
                yield Token(start=start, end=position, term=self._shown_term(word, thai))

    def _shown_term(self, word: str, thai: bool) -> str:
        """The term of a word as written in a text ("" for a stop word); remembered, as words repeat."""
        found = self._shown.get(word)
        if found is None:
            key = normalise(word)
            found = "" if self._stop(key) or not _useful(key, thai) else self._term(key, thai)
            if len(self._shown) > 100_000:
                self._shown.clear()
            self._shown[word] = found
        return found


@lru_cache(maxsize=50_000)
def _parts(term: str, custom: tuple[str, ...]) -> tuple[str, ...]:
    """The fewest dictionary words (each two letters or more, not the term itself) that spell the term."""
    trie = word_dict_trie()
    best: list[tuple[str, ...] | None] = [None] * (len(term) + 1)
    best[0] = ()
    for start in range(len(term)):
        sofar = best[start]
        if sofar is None or len(sofar) >= 3:
            continue
        words = set(trie.prefixes(term, start)) | {word for word in custom if term.startswith(word, start)}
        for word in words:
            end = start + len(word)
            if len(word) < 2 or word == term:
                continue
            candidate = (*sofar, word)
            if best[end] is None or len(candidate) < len(best[end] or ()):
                best[end] = candidate
    found = best[len(term)]
    return found if found is not None and len(found) > 1 else ()


def _unknown(words: list[str], known: frozenset[str]) -> int:
    """How many of the segmented pieces are not dictionary words (letters left over, weighed by length)."""
    return sum(len(word) for word in words if word not in known and _THAI_CONSONANT.search(word))


def _useful(word: str, thai: bool) -> bool:
    if thai:  # a lone vowel or mark left by the segmenter is not a word
        return len(word) > 1 and bool(_THAI_CONSONANT.search(word))
    return len(word) > 1 or word.isdigit()


@lru_cache(maxsize=4)
def _dictionary_words(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(thai_words()) | frozenset(words)


@lru_cache(maxsize=8)
def _folded(stopwords: frozenset[str]) -> frozenset[str]:
    return frozenset(fold(word) for word in stopwords)


_load_lock = threading.Lock()
_loaded: dict[tuple[str, bool], str] = {}


def _load_dictionary(words: tuple[str, ...], *, folded: bool, version: str) -> str:
    """The nlpo3 name of PyThaiNLP's dictionary plus ``words`` (folded: without tone marks), loading it once
    per process. nlpo3 reads dictionaries from files: the words are written to a temporary file first."""
    name = f"ruamchat-{'folded' if folded else 'exact'}-{version}"
    with _load_lock:
        if (version, folded) in _loaded:
            return name
        everything = set(thai_words()) | set(words)
        if folded:
            everything = {fold(word) for word in everything}
        with tempfile.TemporaryDirectory(prefix="ruamchat-dict-") as directory:
            path = Path(directory) / "words.txt"
            path.write_text("\n".join(sorted(word for word in everything if word.strip())), encoding="utf-8")
            message, ok = nlpo3.load_dict(str(path), name)
        if not ok and "already" not in message.lower():
            raise RuntimeError(f"could not load the Thai dictionary: {message}")
        _loaded[(version, folded)] = name
        return name
