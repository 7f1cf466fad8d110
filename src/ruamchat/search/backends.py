"""The database's full-text index: SQLite FTS5 (``search_*_fts``) or PostgreSQL's tsvector with a GIN index.

Both answer the same question: the newest documents holding every word (the last one possibly as the start of a
longer word), a few at a time. Newest first lets the search stop after the rows it shows: a word found in half
the messages costs no more than a rare one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction


def _fts5_quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _tsquery_quote(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def fts5_match(words: Sequence[str], prefix: bool) -> str:
    parts = [_fts5_quote(word) for word in words]
    if prefix and parts:
        parts[-1] += "*"
    return " AND ".join(parts)


def tsquery(words: Sequence[str], prefix: bool) -> str:
    """A tsquery in its input syntax (cast, not parsed by a text search configuration: the terms are final)."""
    parts = [_tsquery_quote(word) for word in words]
    if prefix and parts:
        parts[-1] += ":*"
    return " & ".join(parts)


#: PostgreSQL: matches read through the GIN index before deciding how to find the newest (see ``Newest``)
PROBE = 2000
#: PostgreSQL: words its statistics expect in this many documents are common without a probe
COMMON = 10_000


class Newest:
    """The indexed documents holding every word, newest first, read as they are needed (``take``): rows of
    (document id, conversation id) for messages, (contact id, 0) for contacts.

    SQLite: FTS5 walks its index newest first and stops after ``n`` rows, for rare and common words alike.
    PostgreSQL: a GIN index gives matches in no order. Its planner picks between the GIN index (read every match,
    sort) and walking the primary key backwards (stop after ``n`` matches) by how common it guesses the words
    are, and a wrong guess for a word it has no statistics on (a name, a number) walks a million rows to find
    nothing. So the choice is not left to it: words its statistics know as common (``COMMON``) are walked; for
    the others the first ``PROBE`` matches are read through the GIN index: fewer than that is every match
    (sorted here); ``PROBE`` of them means a common word after all, walked too."""

    def __init__(self, kind: str, words: Sequence[str], prefix: bool) -> None:
        self.table, self.key, self.fts, self.extra = {
            "messages": ("search_messagedocument", "message_id", "search_message_fts", "conversation_id"),
            "contacts": ("search_contactdocument", "contact_id", "search_contact_fts", "0"),
        }[kind]
        self.words, self.prefix = list(words), prefix
        self.before = 2 ** 62
        self.done = not self.words
        self._all: list[tuple[int, int]] | None = None  # PostgreSQL, rare words: every match
        self._common = False  # PostgreSQL: more than PROBE matches

    def take(self, n: int) -> list[tuple[int, int]]:
        """The next ``n`` newest matches (fewer at the end)."""
        if self.done or n <= 0:
            return []
        rows = self._postgres(n) if connection.vendor == "postgresql" else self._sqlite(n)
        if len(rows) < n:
            self.done = True
        if rows:
            self.before = rows[-1][0]
        return rows

    def _sqlite(self, n: int) -> list[tuple[int, int]]:
        extra = f"d.{self.extra}" if self.extra != "0" else "0"
        join = f"JOIN {self.table} AS d ON d.{self.key} = f.rowid " if self.extra != "0" else ""
        sql = (f"SELECT f.rowid, {extra} FROM {self.fts} AS f {join}"  # noqa: S608 (our names)
               f"WHERE {self.fts} MATCH %s AND f.rowid < %s ORDER BY f.rowid DESC LIMIT %s")
        return self._fetch(sql, [fts5_match(self.words, self.prefix), self.before, n])

    def _postgres(self, n: int) -> list[tuple[int, int]]:
        query = tsquery(self.words, self.prefix)
        if self._all is None and not self._common and self._estimate(query) >= COMMON:
            self._common = True
        if self._all is None and not self._common:
            with transaction.atomic():
                _plan(connection, walk=False)
                found = self._fetch(f"SELECT {self.key}, {self.extra} FROM {self.table} "  # noqa: S608
                                    f"WHERE tsv @@ %s::tsquery LIMIT %s", [query, PROBE])
            if len(found) < PROBE:
                self._all = sorted(found, reverse=True)
            else:
                self._common = True
        if self._all is not None:
            return [row for row in self._all if row[0] < self.before][:n]
        with transaction.atomic():
            _plan(connection, walk=True)
            return self._fetch(f"SELECT {self.key}, {self.extra} FROM {self.table} "  # noqa: S608
                               f"WHERE tsv @@ %s::tsquery AND {self.key} < %s ORDER BY {self.key} DESC LIMIT %s",
                               [query, self.before, n])

    def _estimate(self, query: str) -> float:
        """How many documents PostgreSQL expects to match (its statistics know the common words well)."""
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {self.table} WHERE tsv @@ %s::tsquery",  # noqa: S608
                           [query])
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return float(plan[0]["Plan"]["Plan Rows"])

    @staticmethod
    def _fetch(sql: str, params: list[Any]) -> list[tuple[int, int]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [(int(row[0]), int(row[1])) for row in cursor.fetchall()]


def _plan(db: Any, *, walk: bool) -> None:
    """PostgreSQL, for the current transaction: walk the primary key backwards (``walk``), or read through the
    GIN index only."""
    with db.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off" if walk else "SET LOCAL enable_indexscan = off")


def contacts(words: Sequence[str], prefix: bool, *, limit: int) -> list[int]:
    """Ids of the newest indexed contacts holding every word."""
    return [row[0] for row in Newest("contacts", words, prefix).take(limit)]
