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


def _sqlite(groups: Sequence[Sequence[str]], every: bool, languages: Sequence[str], internal: bool,
            limit: int, budget: int) -> list[int]:
    joiner = " AND " if every else " OR "
    words = joiner.join("(" + " OR ".join(map(_fts5_quote, group)) + ")" for group in groups)
    match = "{fts_title fts_keywords fts_body} : (" + words + ")"
    scope = " OR ".join(_fts5_quote(language) for language in languages)
    match += f" AND fts_scope : ({scope})"
    if not internal:
        match += ' AND fts_scope : "public"'
    sql = (
        f"SELECT rowid FROM (SELECT rowid, bm25(kb_fts, {WEIGHTS['title']}, {WEIGHTS['keywords']}, "  # noqa: S608
        f"{WEIGHTS['body']}, 0.0) AS score FROM kb_fts WHERE kb_fts MATCH %s LIMIT %s) ORDER BY score LIMIT %s"
    )  # (the weights are our constants)
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, budget, limit])
        return [row[0] for row in cursor.fetchall()]


def _tsquery_quote(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _postgres(groups: Sequence[Sequence[str]], every: bool, languages: Sequence[str], internal: bool,
              limit: int, budget: int) -> list[int]:
    joiner = " & " if every else " | "
    query = joiner.join("(" + " | ".join(map(_tsquery_quote, group)) + ")" for group in groups)
    sql = (
        "SELECT m.id FROM (SELECT id, tsv FROM kb_searchdocument WHERE tsv @@ to_tsquery('simple', %s) "
        "AND language = ANY(%s) AND (%s OR NOT internal) LIMIT %s) AS m "
        "ORDER BY ts_rank(m.tsv, to_tsquery('simple', %s), 1) DESC, m.id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, list(languages), internal, budget, query, limit])
        return [row[0] for row in cursor.fetchall()]


def candidates(groups: Sequence[Sequence[str]], languages: Sequence[str], *, internal: bool, limit: int,
               fetching: Sequence[Sequence[str]] | None = None, budget: int = 3000) -> list[int]:
    """Ids of ``SearchDocument`` rows for a query: first those holding every group (a group: alternative folded
    terms, any of which will do), then, if that is not ``limit`` yet, those holding any of the ``fetching``
    groups (default: all). ``internal``: also agent-only articles. Each step lets the database rank at most
    ``budget`` matching rows, so a query of very common words costs no more than one of rare ones."""
    groups = [list(dict.fromkeys(term for term in group if term)) for group in groups]
    groups = [group for group in groups if group]
    if not groups or not languages:
        return []
    run = _postgres if connection.vendor == "postgresql" else _sqlite
    found: list[int] = []
    if len(groups) > 1:
        found = run(groups, True, languages, internal, limit, budget)
        if len(found) >= limit:
            return found
    seen = set(found)
    anyof = [g for g in ([list(g) for g in fetching] if fetching is not None else groups) if g]
    found.extend(doc for doc in run(anyof or groups, False, languages, internal, limit, budget) if doc not in seen)
    return found[:limit]
