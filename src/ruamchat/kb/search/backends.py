"""Candidates from the database's full-text index: SQLite FTS5, or PostgreSQL's tsvector with a GIN index.

Both get the same folded terms (any of them may match) and return up to ``limit`` documents, best first by
their own measure (FTS5's bm25 / ``ts_rank``); the engine ranks those candidates with one BM25F, the same
on both, so both give the same top results.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

WEIGHTS = {"title": 3.0, "keywords": 2.0, "body": 1.0}


def _fts5_quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _sqlite(terms: Sequence[str], languages: Sequence[str], internal: bool, limit: int) -> list[int]:
    match = "{fts_title fts_keywords fts_body} : (" + " OR ".join(map(_fts5_quote, terms)) + ")"
    scope = " OR ".join(_fts5_quote(language) for language in languages)
    match += f" AND fts_scope : ({scope})"
    if not internal:
        match += ' AND fts_scope : "public"'
    sql = (
        "SELECT rowid FROM kb_fts WHERE kb_fts MATCH %s "  # noqa: S608 (the weights are our constants)
        f"ORDER BY bm25(kb_fts, {WEIGHTS['title']}, {WEIGHTS['keywords']}, {WEIGHTS['body']}, 0.0) LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, limit])
        return [row[0] for row in cursor.fetchall()]


def _tsquery_quote(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _postgres(terms: Sequence[str], languages: Sequence[str], internal: bool, limit: int) -> list[int]:
    query = " | ".join(map(_tsquery_quote, terms))
    sql = (
        "SELECT id FROM kb_searchdocument, to_tsquery('simple', %s) AS q "
        "WHERE tsv @@ q AND language = ANY(%s) AND (%s OR NOT internal) "
        "ORDER BY ts_rank(tsv, q, 1) DESC, id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, list(languages), internal, limit])
        return [row[0] for row in cursor.fetchall()]


def candidates(terms: Sequence[str], languages: Sequence[str], *, internal: bool, limit: int) -> list[int]:
    """Ids of ``SearchDocument`` rows holding any of ``terms`` (folded), in ``languages``; ``internal``: also
    agent-only articles."""
    terms = [term for term in dict.fromkeys(terms) if term]
    if not terms or not languages:
        return []
    if connection.vendor == "postgresql":
        return _postgres(terms, languages, internal, limit)
    return _sqlite(terms, languages, internal, limit)
