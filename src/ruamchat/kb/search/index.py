"""Keeps the search index: one ``SearchDocument`` per published article, and each term's document frequency.

SQLite's FTS5 table (``kb_fts``) follows ``kb_searchdocument`` through triggers; PostgreSQL's tsvector is a
generated column of it (see migration 0002), so writing the row is the whole update, in one transaction.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction

from ruamchat.kb.markdown import plain_text
from ruamchat.kb.models import Article, SearchDocument, SearchTerm
from ruamchat.kb.search import engine, vocabulary
from ruamchat.kb.search.analysis import Analyzer, fold
from ruamchat.kb.search.totals import TOTALS

logger = logging.getLogger("ruamchat.kb")


def _keywords_text(article: Article) -> str:
    return " ".join(word.strip() for word in article.keywords.split(",") if word.strip())


def _fields(article: Article, analyzer: Analyzer) -> dict[str, object]:
    keywords_text = _keywords_text(article) + " " + article.summary
    text = plain_text(article.body)
    title, keywords, body = (analyzer.index_terms(part) for part in (article.title, keywords_text, text))
    # lengths count the words, not the parts of compounds added for matching
    lengths = [len(analyzer.terms(part)) for part in (article.title, keywords_text, text)]
    return {
        "language": article.language,
        "internal": article.visibility == Article.Visibility.INTERNAL,
        "title_terms": " ".join(title), "keyword_terms": " ".join(keywords), "body_terms": " ".join(body),
        "fts_title": " ".join(map(fold, title)), "fts_keywords": " ".join(map(fold, keywords)),
        "fts_body": " ".join(map(fold, body)),
        "fts_scope": f"{article.language} {'internal' if article.visibility == 'internal' else 'public'}",
        "title_length": lengths[0], "keyword_length": lengths[1], "body_length": lengths[2],
        "text": text, "dictionary": analyzer.dictionary,
    }


def _folded_terms(document: SearchDocument | None) -> set[str]:
    if document is None:
        return set()
    return set(f"{document.fts_title} {document.fts_keywords} {document.fts_body}".split())


BATCH = 200  # articles indexed in one transaction by index_articles()


def _totals(document: SearchDocument | None) -> Counter[str]:
    if document is None:
        return Counter()
    return Counter({TOTALS["n"]: 1, TOTALS["title"]: document.title_length,
                    TOTALS["keywords"]: document.keyword_length, TOTALS["body"]: document.body_length})
FIELDS = ("language", "internal", "title_terms", "keyword_terms", "body_terms", "fts_title", "fts_keywords",
          "fts_body", "fts_scope", "title_length", "keyword_length", "body_length", "text", "dictionary")


def index_article(article_id: int, analyzer: Analyzer | None = None) -> bool:
    """Bring the article's index entry up to date; returns whether it is in the index now."""
    return bool(index_articles([article_id], analyzer))


def remove_article(article_id: int) -> None:
    index_articles([article_id], remove=True)


def index_articles(article_ids: Iterable[int], analyzer: Analyzer | None = None, *, remove: bool = False) -> int:
    """Bring the index entries of these articles up to date, in transactions of ``BATCH`` articles (one document
    frequency update per term and batch); published ones are (re)indexed, the others (and, with ``remove``,
    all) dropped. Returns how many are in the index now."""
    analyzer = analyzer or vocabulary.current().analyzer
    ids = list(dict.fromkeys(article_ids))
    indexed = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        with transaction.atomic():
            articles = Article.objects.select_for_update().in_bulk(chunk)
            documents = {d.article_id: d for d in SearchDocument.objects.filter(article_id__in=chunk)}
            delta: Counter[str] = Counter()
            created, updated, dropped = [], [], []
            for article_id in chunk:
                article, document = articles.get(article_id), documents.get(article_id)
                before = _folded_terms(document)
                delta.subtract(_totals(document))
                if remove or article is None or article.status != Article.Status.PUBLISHED:
                    if document is not None:
                        dropped.append(document.pk)
                        delta.subtract(before)
                    continue
                if document is None:
                    document = SearchDocument(article=article)
                    created.append(document)
                else:
                    updated.append(document)
                for name, value in _fields(article, analyzer).items():
                    setattr(document, name, value)
                after = _folded_terms(document)
                delta.update(after - before)
                delta.subtract(before - after)
                delta.update(_totals(document))
            SearchDocument.objects.filter(pk__in=dropped).delete()
            SearchDocument.objects.bulk_create(created)
            SearchDocument.objects.bulk_update(updated, fields=FIELDS)
            _adjust(delta)
            indexed += len(created) + len(updated)
            transaction.on_commit(engine.forget)  # this process's statistics; others re-read within seconds
    return indexed


def _adjust(delta: Counter[str]) -> None:
    """Document frequencies: + for the articles that gained a term, − for those that lost it (sorted, so two
    indexers lock rows in the same order); terms no article holds any more are deleted."""
    table = SearchTerm._meta.db_table
    gained = sorted((term, count) for term, count in delta.items() if count > 0)
    lost = sorted((term, -count) for term, count in delta.items() if count < 0)
    with connection.cursor() as cursor:
        if gained:
            cursor.executemany(
                f"INSERT INTO {table} (term, df) VALUES (%s, %s) "  # noqa: S608 (our table name)
                f"ON CONFLICT (term) DO UPDATE SET df = {table}.df + excluded.df",
                gained,
            )
        if lost:
            cursor.executemany(f"UPDATE {table} SET df = df - %s WHERE term = %s",  # noqa: S608
                               [(count, term) for term, count in lost])
            terms = [term for term, _count in lost]
            for start in range(0, len(terms), 500):
                SearchTerm.objects.filter(term__in=terms[start:start + 500], df__lte=0).delete()


def stale_articles(dictionary: str) -> list[int]:
    """Published articles whose index entry is missing or was segmented with another dictionary."""
    published = set(Article.objects.filter(status=Article.Status.PUBLISHED).values_list("id", flat=True))
    current = set(SearchDocument.objects.filter(dictionary=dictionary).values_list("article_id", flat=True))
    return sorted(published - current)


def reindex(article_ids: Iterable[int] | None = None) -> int:
    """Index the given articles (default: every stale one, e.g. after the dictionary changed); drops entries of
    articles no longer published. Returns how many were indexed."""
    analyzer = vocabulary.current().analyzer
    if article_ids is None:
        article_ids = stale_articles(analyzer.dictionary)
        orphans = SearchDocument.objects.exclude(article__status=Article.Status.PUBLISHED)
        index_articles(list(orphans.values_list("article_id", flat=True)), analyzer, remove=True)
    return index_articles(article_ids, analyzer)
