"""Global search fixtures: two teams with an agent each, a way to index as the background job does, and the
full-text index read directly (SQLite FTS5 or PostgreSQL tsvector), to prove what it holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection


@pytest.fixture
def index(db: None) -> Callable[[], Any]:
    """Run the catch-up the background job runs every few seconds."""
    from ruamchat.search.actions import catch_up

    return catch_up


@pytest.fixture
def other_team(db: None) -> Any:
    from ruamchat.accounts.actions import create_team

    return create_team(actor=None, name="ทีมขายส่ง", kind="service")


@pytest.fixture
def other_agent(make_agent: Callable[..., Any], other_team: Any) -> Any:
    return make_agent(teams=[other_team], username="malee")


@pytest.fixture
def other_website(other_team: Any) -> Any:
    from ruamchat.connectors.actions import create_channel

    return create_channel(actor=None, kind="website", name="เว็บขายส่ง", default_team=other_team)


def indexed_message_ids(term: str) -> set[int]:
    """Messages whose indexed terms include ``term``, read from the database's full-text index itself."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT message_id FROM search_messagedocument WHERE tsv @@ %s::tsquery",
                           ["'" + term.replace("'", "''") + "'"])
        else:
            cursor.execute("SELECT rowid FROM search_message_fts WHERE search_message_fts MATCH %s",
                           ['"' + term.replace('"', '""') + '"'])
        return {row[0] for row in cursor.fetchall()}


def indexed_contact_ids(term: str) -> set[int]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT contact_id FROM search_contactdocument WHERE tsv @@ %s::tsquery",
                           ["'" + term.replace("'", "''") + "'"])
        else:
            cursor.execute("SELECT rowid FROM search_contact_fts WHERE search_contact_fts MATCH %s",
                           ['"' + term.replace('"', '""') + '"'])
        return {row[0] for row in cursor.fetchall()}


def index_vocabulary() -> set[str]:
    """Every term the full-text index holds (SQLite: FTS5's own vocabulary; PostgreSQL: the tsvectors' lexemes)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT DISTINCT unnest(tsvector_to_array(tsv)) FROM search_messagedocument "
                           "UNION SELECT DISTINCT unnest(tsvector_to_array(tsv)) FROM search_contactdocument")
        else:
            cursor.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocab_m "
                           "USING fts5vocab(main, search_message_fts, 'row')")
            cursor.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocab_c "
                           "USING fts5vocab(main, search_contact_fts, 'row')")
            cursor.execute("SELECT term FROM temp.search_vocab_m UNION SELECT term FROM temp.search_vocab_c")
        return {row[0] for row in cursor.fetchall()}
