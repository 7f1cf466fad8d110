"""The database's full-text index over the documents' ``terms``.

SQLite: FTS5 tables reading the rows' terms (external content), kept in step by triggers; ``detail=none``: the
search needs which rows hold every word, newest first, not positions or ranks, and the index is smaller so.
PostgreSQL: a generated tsvector column with a GIN index.

Terms are already segmented and space-separated: the database must take them as they are. SQLite's ``ascii``
tokenizer splits at spaces and keeps every non-ASCII letter in its word (``unicode61`` would cut Thai words at
their vowel marks: "สี" would be indexed as "ส", and match "สุข"); PostgreSQL gets the array of terms
(``array_to_tsvector``), so no parser or locale decides where a Thai word ends.
"""

from django.db import migrations


def _fts5(name: str, table: str, key: str) -> list[str]:
    return [
        f"""CREATE VIRTUAL TABLE {name} USING fts5(terms, content='{table}', content_rowid='{key}',
            tokenize='ascii', detail=none, columnsize=0)""",
        f"""CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN
            INSERT INTO {name}(rowid, terms) VALUES (new.{key}, new.terms);
        END""",
        f"""CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN
            INSERT INTO {name}({name}, rowid, terms) VALUES ('delete', old.{key}, old.terms);
        END""",
        f"""CREATE TRIGGER {name}_update AFTER UPDATE ON {table} BEGIN
            INSERT INTO {name}({name}, rowid, terms) VALUES ('delete', old.{key}, old.terms);
            INSERT INTO {name}(rowid, terms) VALUES (new.{key}, new.terms);
        END""",
    ]


def _fts5_undo(name: str) -> list[str]:
    return [f"DROP TRIGGER {name}_update", f"DROP TRIGGER {name}_delete", f"DROP TRIGGER {name}_insert",
            f"DROP TABLE {name}"]


SQLITE = [*_fts5("search_message_fts", "search_messagedocument", "message_id"),
          *_fts5("search_contact_fts", "search_contactdocument", "contact_id")]
SQLITE_UNDO = [*_fts5_undo("search_contact_fts"), *_fts5_undo("search_message_fts")]
POSTGRES = [
    "ALTER TABLE search_messagedocument ADD COLUMN tsv tsvector GENERATED ALWAYS AS "
    "(array_to_tsvector(array_remove(string_to_array(terms, ' '), ''))) STORED",
    "CREATE INDEX search_message_tsv ON search_messagedocument USING gin (tsv)",
    "ALTER TABLE search_contactdocument ADD COLUMN tsv tsvector GENERATED ALWAYS AS "
    "(array_to_tsvector(array_remove(string_to_array(terms, ' '), ''))) STORED",
    "CREATE INDEX search_contact_tsv ON search_contactdocument USING gin (tsv)",
]
POSTGRES_UNDO = ["DROP INDEX search_contact_tsv", "ALTER TABLE search_contactdocument DROP COLUMN tsv",
                 "DROP INDEX search_message_tsv", "ALTER TABLE search_messagedocument DROP COLUMN tsv"]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(_run({"sqlite": SQLITE, "postgresql": POSTGRES}),
                             _run({"sqlite": SQLITE_UNDO, "postgresql": POSTGRES_UNDO})),
    ]
