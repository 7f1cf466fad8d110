"""Search: a query → the best articles, ranked by BM25F over title, keywords and text, with a highlighted passage.

1. The query is analysed like the articles; each query term becomes a *group* of alternatives with weights:
   the term itself (1.0), the same word without tone marks (``FOLDED``), the business's synonyms
   (``SYNONYM``) and, for a word no article holds, known words one or two typing mistakes away (``TYPO``).
2. The database's full-text index returns candidates holding any alternative (``backends``).
3. Every candidate is scored here, the same on SQLite and PostgreSQL:
   ``score = Σ_groups idf · tf~ (k1 + 1) / (tf~ + k1)``, ``tf~ = Σ_fields w_f · tf_f / (1 − b_f + b_f · len_f/avg_f)``.
4. The top articles get their best passage, with the matched words marked.
"""

from __future__ import annotations

import html
import math
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from rapidfuzz import process
from rapidfuzz.distance import OSA

from ruamchat.kb.models import Article, SearchDocument, SearchTerm
from ruamchat.kb.search import backends, vocabulary
from ruamchat.kb.search.analysis import Analyzer, Token, fold
from ruamchat.kb.search.totals import TOTALS

K1 = 1.2
B = {"title": 0.5, "keywords": 0.5, "body": 0.75}
WEIGHTS = backends.WEIGHTS
#: a word matched only once tone marks are ignored: likely the same word when the query has no tone marks
#: ("ผอน" for "ผ่อน"), rarely when it has them and they differ ("ข้าว" rice is not "ขาว" white)
FOLDED, FOLDED_TONED = 0.6, 0.25
SYNONYM, TYPO = 0.8, 0.6
CANDIDATES = 50
BUDGET = 1000  # matching rows the database ranks per step of a search, at most
SNIPPET_CHARS = 220
PASSAGES = 3  # the passages per article segmented to find the best one (of those that look best)
STATS_SECONDS = 10.0
VOCABULARY_SECONDS = 60.0


@dataclass
class Group:
    """One query word and what else may stand for it: term → weight (terms as the index holds them)."""

    word: str
    alternatives: dict[str, float] = field(default_factory=dict)
    idf: float = 0.0


@dataclass(frozen=True)
class Hit:
    article_id: int
    score: float
    title_html: SafeString
    snippet_html: SafeString
    article: Article
    #: ``score`` as a share of the most this query could score (every word, saturated), 0..1: comparable across
    #: queries, unlike ``score`` (the chatbot's confidence)
    confidence: float = 0.0


@dataclass(frozen=True)
class Result:
    query: str
    hits: list[Hit]
    groups: list[Group]

    @property
    def corrected(self) -> list[tuple[str, str]]:
        """(word typed, word searched instead) for the words the search corrected, as readers write them:
        the analysed terms (English stems such as "deliveri") are looked up again in the query and in the
        articles found."""
        pairs = []
        for group in self.groups:
            typo = next((term for term, weight in group.alternatives.items() if weight == TYPO), None)
            if typo is not None:
                pairs.append((group.word, typo))
        if not pairs:
            return []
        analyzer = vocabulary.current().analyzer
        found = [text for hit in self.hits
                 for text in (hit.article.title, html.unescape(strip_tags(hit.snippet_html)))]

        def surface(term: str, texts: list[str]) -> str:
            for text in texts:
                for token in analyzer.tokens(text):
                    if token.term and fold(token.term) == fold(term):
                        return text[token.start:token.end]
            return term

        return [(surface(typed, [self.query]), surface(searched, found)) for typed, searched in pairs]


# -- corpus statistics, per process, refreshed every few seconds -------------------------------------------

_lock = threading.Lock()
_stats: tuple[float, dict[str, float]] | None = None
_vocabulary: tuple[float, dict[int, list[str]], dict[str, int]] | None = None


def _corpus() -> dict[str, float]:
    """How many articles are indexed and each field's average length (from the running totals the indexer
    keeps in ``kb_searchterm``), refreshed every few seconds."""
    global _stats
    now = time.monotonic()
    if _stats is None or now - _stats[0] > STATS_SECONDS:
        totals = dict(SearchTerm.objects.filter(term__in=list(TOTALS.values())).values_list("term", "df"))
        n = float(totals.get(TOTALS["n"], 0))
        stats = {"n": n}
        for field in ("title", "keywords", "body"):
            stats[field] = totals.get(TOTALS[field], 0) / n if n else 0.0
        _stats = (now, stats)
    return _stats[1]


def _known_terms() -> tuple[dict[int, list[str]], dict[str, int]]:
    """Every indexed term (folded), by length, and its document frequency, for typo correction."""
    global _vocabulary
    now = time.monotonic()
    with _lock:
        if _vocabulary is None or now - _vocabulary[0] > VOCABULARY_SECONDS:
            known = dict(SearchTerm.objects.filter(df__gt=0).exclude(term__startswith=" ").order_by("term")
                         .values_list("term", "df"))
            by_length: dict[int, list[str]] = {}
            for term in known:
                by_length.setdefault(len(term), []).append(term)
            _vocabulary = (now, by_length, known)
        return _vocabulary[1], _vocabulary[2]


def forget() -> None:
    """Read the statistics again at the next search (tests, and after a bulk import)."""
    global _stats, _vocabulary
    _stats = None
    _vocabulary = None


# -- the query ----------------------------------------------------------------------------------------------

def _typo_candidates(term: str) -> list[str]:
    """Known terms one typing mistake away (two for long words), or a known stem the word starts with."""
    thai = not term.isascii()
    if len(term) < 4 or term.isdigit():
        return []
    by_length, known = _known_terms()
    allowed = 1 if len(term) < 8 or thai else 2
    pool = [t for length in range(len(term) - allowed, len(term) + allowed + 1) for t in by_length.get(length, ())]
    near = process.extract(term, pool, scorer=OSA.distance, score_cutoff=allowed, limit=None)
    # the closest, then the most common, then alphabetical: the same choice on every database
    ranked = sorted((distance, -known[choice], choice) for choice, distance, _i in near)
    found = [choice for _distance, _df, choice in ranked[:3]]
    if not thai and not found:
        for end in range(len(term) - 1, 3, -1):  # "installmant" → the stem "instal"
            if term[:end] in known and end >= 0.6 * len(term):
                found.append(term[:end])
                break
    return found


def parse(query: str, vocab: vocabulary.Vocabulary | None = None) -> list[Group]:
    vocab = vocab or vocabulary.current()
    terms = vocab.analyzer.query_terms(query)
    groups: dict[str, Group] = {}
    for term in terms:
        key = fold(term)
        if key in groups:
            continue
        group = groups[key] = Group(word=term, alternatives={term: 1.0})
        for same in vocab.same_as.get(term, ()):
            group.alternatives.setdefault(same, SYNONYM)
    for phrase, others in vocab.phrases:
        if all(fold(part) in groups for part in phrase):
            for other in others:
                for word in other:
                    groups.setdefault(fold(word), Group(word=word, alternatives={word: SYNONYM}))
    known_df = _document_frequencies(
        [fold(t) for g in groups.values() for t in g.alternatives]
        + [fold(part) for g in groups.values() for part in vocab.analyzer.parts(g.word)])
    out: list[Group] = []
    for group in groups.values():
        if any(known_df.get(fold(term)) for term in group.alternatives):
            out.append(group)
            continue
        parts = [part for part in vocab.analyzer.parts(group.word) if known_df.get(fold(part))]
        if parts:  # a compound no article holds ("ค่าส่ง"): its words ("ค่า", "ส่ง") may be there
            out.extend(Group(word=part, alternatives={part: 1.0}) for part in parts if fold(part) not in groups)
            continue
        for candidate in _typo_candidates(fold(group.word)):
            group.alternatives.setdefault(candidate, TYPO)
        out.append(group)
    return out


def _document_frequencies(terms: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(terms))
    if not wanted:
        return {}
    return dict(SearchTerm.objects.filter(term__in=wanted).values_list("term", "df"))


# -- scoring ------------------------------------------------------------------------------------------------

class _Terms:
    """A field's terms, counted on demand: ``" a  b  c "`` (each term between its own spaces), so counting a
    term is one C-speed ``str.count`` instead of a Python Counter over every term of a long article."""

    __slots__ = ("_text",)

    def __init__(self, terms: str) -> None:
        self._text = " " + terms.replace(" ", "  ") + " " if terms else ""

    def get(self, term: str, default: int = 0) -> int:
        return self._text.count(f" {term} ") if self._text else default


@dataclass
class _Doc:
    id: int
    article_id: int
    fields: dict[str, tuple[_Terms, _Terms, int]]  # name → (exact terms, tone-less terms, length in words)


def _load(ids: Sequence[int]) -> list[_Doc]:
    rows = SearchDocument.objects.filter(id__in=ids).values_list(
        "id", "article_id", "title_terms", "keyword_terms", "body_terms", "fts_title", "fts_keywords", "fts_body",
        "title_length", "keyword_length", "body_length")
    docs = []
    for (doc_id, article_id, title, keywords, body, fts_title, fts_keywords, fts_body,
         title_len, keywords_len, body_len) in rows:
        docs.append(_Doc(doc_id, article_id, {
            "title": (_Terms(title), _Terms(fts_title), title_len),
            "keywords": (_Terms(keywords), _Terms(fts_keywords), keywords_len),
            "body": (_Terms(body), _Terms(fts_body), body_len),
        }))
    return docs


def _tf(group: Group, exact: _Terms, folded: _Terms) -> float:
    total = 0.0
    for term, weight in group.alternatives.items():
        same = exact.get(term, 0)
        loose = FOLDED if fold(term) == term else FOLDED_TONED
        total += weight * (same + loose * (folded.get(fold(term), 0) - same))
    return total


def score(groups: Sequence[Group], doc: _Doc, stats: dict[str, float]) -> float:
    value = 0.0
    for group in groups:
        tf = 0.0
        for name, (exact, folded, length) in doc.fields.items():
            raw = _tf(group, exact, folded)
            if raw:
                average = stats[name] or 1.0
                tf += WEIGHTS[name] * raw / (1 - B[name] + B[name] * length / average)
        if tf:
            value += group.idf * tf * (K1 + 1) / (tf + K1)
    return value


# -- passages -----------------------------------------------------------------------------------------------

def _passages(text: str) -> list[str]:
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        while len(paragraph) > SNIPPET_CHARS * 2:
            cut = paragraph.rfind(" ", SNIPPET_CHARS, SNIPPET_CHARS * 2)
            cut = cut if cut > 0 else SNIPPET_CHARS * 2
            out.append(paragraph[:cut])
            paragraph = paragraph[cut:].strip()
        if paragraph:
            out.append(paragraph)
    return out


def _matcher(groups: Sequence[Group]) -> dict[str, tuple[int, float]]:
    """folded term → (group number, idf)."""
    out: dict[str, tuple[int, float]] = {}
    for number, group in enumerate(groups):
        for term in group.alternatives:
            out.setdefault(fold(term), (number, group.idf))
    return out


def _keys(term: str, analyzer: Analyzer) -> tuple[str, ...]:
    """The index terms a shown word stands for: itself and, for a compound, its parts (all tone-less)."""
    if not term:
        return ()
    found = analyzer.keys.get(term)
    if found is None:
        found = analyzer.keys[term] = (fold(term), *(fold(part) for part in analyzer.parts(term)))
    return found


def _matches(term: str, matches: dict[str, tuple[int, float]], analyzer: Analyzer) -> bool:
    return any(key in matches for key in _keys(term, analyzer))


def highlight(text: str, groups: Sequence[Group], analyzer: Analyzer, limit: int | None = None,
              tokens: Sequence[Token] | None = None) -> SafeString:
    """``text`` escaped, the matched words in ``<mark>``; with ``limit``, the window of that many characters
    around the first match. ``tokens``: the text's tokens when the caller has them already."""
    matches = _matcher(groups)
    shown: Iterable[Token] = analyzer.tokens(text) if tokens is None else tokens
    spans = [(t.start, t.end) for t in shown if _matches(t.term, matches, analyzer)]
    return mark_spans(text, spans, limit)


def mark_spans(text: str, spans: Iterable[tuple[int, int]], limit: int | None = None) -> SafeString:
    """``text`` escaped, the character ``spans`` (start, end) in ``<mark>`` (touching or overlapping spans in one);
    with ``limit``, the window of about that many characters around the first span. Shared by the knowledge
    base's and the global search's highlights."""
    joined: list[tuple[int, int]] = []
    for span_start, span_end in sorted(spans):
        if joined and span_start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(span_end, joined[-1][1]))
        else:
            joined.append((span_start, span_end))
    start, end = 0, len(text)
    if limit is not None and len(text) > limit:
        first = joined[0][0] if joined else 0
        start = max(0, min(first - limit // 4, len(text) - limit))
        end = start + limit
        if start > 0:
            space = text.find(" ", start, start + 20)
            start = space + 1 if 0 <= space < first else start
    out: list[str] = []
    position = start
    for span_start, span_end in joined:
        if span_start < position or span_end > end:
            continue
        out.append(escape(text[position:span_start]))
        out.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        position = span_end
    out.append(escape(text[position:end]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(prefix + "".join(out) + suffix)  # noqa: S308 (every piece escaped above)


def best_passage(text: str, groups: Sequence[Group], analyzer: Analyzer) -> tuple[str, list[Token]]:
    """The paragraph (or part of a long one) with the most, and the rarest, query words, and its tokens.

    Passages are first scored cheaply, by which query words' first letters appear in their tone-less text
    (English stems end where the word may not: "deliveri" of "delivery"); only the best few are segmented
    and scored by the words they really hold."""
    matches = _matcher(groups)
    hints: dict[str, float] = {}
    for term, (_number, idf) in matches.items():
        hint = term if not term.isascii() else term[:max(3, len(term) - 1)]
        hints[hint] = max(hints.get(hint, 0.0), idf)
    rough = []
    for position, passage in enumerate(_passages(text)):
        folded = fold(passage.lower())
        value = sum(idf for hint, idf in hints.items() if hint in folded)
        if value:
            rough.append((-value, position, passage))
    best: tuple[str, list[Token]] = ("", [])
    best_score = -1.0
    for _rough, _position, passage in sorted(rough)[:PASSAGES]:
        tokens = list(analyzer.tokens(passage))
        found = Counter(matches[key] for t in tokens for key in _keys(t.term, analyzer) if key in matches)
        value = sum(idf for (_number, idf) in found) + 0.01 * sum(found.values())
        if value > best_score:
            best, best_score = (passage, tokens), value
    return best


# -- the search ---------------------------------------------------------------------------------------------

def _df_of(group: Group, df: dict[str, int]) -> int:
    return max((df.get(fold(term), 0) for term in group.alternatives), default=0)


def search(
    query: str,
    *,
    languages: Sequence[str] = ("th", "en"),
    internal: bool = False,
    limit: int = 10,
    offset: int = 0,
    exclude: Iterable[int] = (),
) -> Result:
    """Published articles for ``query``, best first. ``internal``: include agent-only articles."""
    vocab = vocabulary.current()
    groups = parse(query, vocab)
    if not groups:
        return Result(query, [], [])
    stats = _corpus()
    df = _document_frequencies(fold(term) for group in groups for term in group.alternatives)
    n = max(stats["n"], 1.0)
    for group in groups:
        frequency = _df_of(group, df)
        group.idf = math.log(1 + (n - frequency + 0.5) / (frequency + 0.5))
    # candidates: articles with every word, then with any of the rarest words, as many as fit the budget of rows
    # the database ranks (more common words still count in the score; they would only add weaker candidates)
    fetching: list[Group] = []
    expected = 0
    for group in sorted(groups, key=lambda g: _df_of(g, df)):
        if fetching and expected + _df_of(group, df) > BUDGET:
            break
        fetching.append(group)
        expected += _df_of(group, df)
    ids = backends.candidates(
        [[fold(term) for term in group.alternatives] for group in groups], languages, internal=internal,
        limit=max(CANDIDATES, offset + limit), budget=BUDGET,
        fetching=[[fold(term) for term in group.alternatives] for group in fetching])
    excluded = set(exclude)
    ceiling = sum(group.idf for group in groups) * (K1 + 1)
    scored = sorted(
        ((score(groups, doc, stats), doc) for doc in _load(ids) if doc.article_id not in excluded),
        key=lambda pair: (-pair[0], pair[1].article_id),
    )[offset:offset + limit]
    # the text is not needed for a result list (the suggestions panel reads it for its few hits)
    articles = Article.objects.select_related("category").defer("body").in_bulk(
        [doc.article_id for _s, doc in scored])
    texts = dict(SearchDocument.objects.filter(id__in=[doc.id for _s, doc in scored]).values_list("id", "text"))
    hits = []
    for value, doc in scored:
        article = articles.get(doc.article_id)
        if article is None:
            continue
        passage, tokens = best_passage(texts.get(doc.id, ""), groups, vocab.analyzer)
        if not passage:
            passage, tokens = article.summary, list(vocab.analyzer.tokens(article.summary))
        hits.append(Hit(
            article_id=article.id, score=round(value, 4), article=article,
            title_html=highlight(article.title, groups, vocab.analyzer),
            snippet_html=highlight(passage, groups, vocab.analyzer, limit=SNIPPET_CHARS, tokens=tokens),
            confidence=round(value / ceiling, 4) if ceiling else 0.0,
        ))
    return Result(query, hits, groups)
