"""Keeps the search index: one ``SearchDocument`` per published article, and each term's document frequency.

SQLite's FTS5 table (``kb_fts``) follows ``kb_searchdocument`` through triggers; PostgreSQL's tsvector is a
generated column of it (see migration 0002), so writing the row is the whole update, in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import F

from ruamchat.kb.markdown import plain_text
from ruamchat.kb.models import Article, SearchDocument, SearchTerm
from ruamchat.kb.search import engine, vocabulary
from ruamchat.kb.search.analysis import Analyzer, fold

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


def index_article(article_id: int, analyzer: Analyzer | None = None) -> bool:
    """Bring the article's index entry up to date; returns whether it is in the index now."""
    analyzer = analyzer or vocabulary.current().analyzer
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        document = SearchDocument.objects.filter(article_id=article_id).first()
        if article is None or article.status != Article.Status.PUBLISHED:
            if document is not None:
                _adjust(removed=_folded_terms(document), added=set())
                document.delete()
                transaction.on_commit(engine.forget)
            return False
        fields = _fields(article, analyzer)
        before = _folded_terms(document)
        if document is None:
            document = SearchDocument(article=article)
        for name, value in fields.items():
            setattr(document, name, value)
        document.save()
        after = _folded_terms(document)
        _adjust(removed=before - after, added=after - before)
        transaction.on_commit(engine.forget)  # this process's statistics; others re-read within seconds
    return True


def remove_article(article_id: int) -> None:
    with transaction.atomic():
        document = SearchDocument.objects.filter(article_id=article_id).first()
        if document is not None:
            _adjust(removed=_folded_terms(document), added=set())
            document.delete()


def _adjust(*, removed: Iterable[str], added: Iterable[str]) -> None:
    """Document frequencies: +1 for the terms an article gained, −1 for the ones it lost (sorted, so two
    indexers lock rows in the same order)."""
    table = SearchTerm._meta.db_table
    with connection.cursor() as cursor:
        gained = sorted(added)
        if gained:
            cursor.executemany(
                f"INSERT INTO {table} (term, df) VALUES (%s, 1) "  # noqa: S608 (our table name)
                f"ON CONFLICT (term) DO UPDATE SET df = {table}.df + 1",
                [(term,) for term in gained],
            )
        lost = sorted(removed)
        for start in range(0, len(lost), 500):
            chunk = lost[start:start + 500]
            SearchTerm.objects.filter(term__in=chunk).update(df=F("df") - 1)
            SearchTerm.objects.filter(term__in=chunk, df__lte=0).delete()


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
        for article_id in orphans.values_list("article_id", flat=True):
            remove_article(article_id)
    count = 0
    for article_id in article_ids:
        count += index_article(article_id, analyzer)
    return count
