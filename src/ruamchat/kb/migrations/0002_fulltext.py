"""The database's full-text index over ``kb_searchdocument``.

SQLite: an FTS5 table reading the row's folded terms (external content), kept in step by triggers.
PostgreSQL: a generated tsvector column (title A, keywords B, text C) with a GIN index.
Terms are already segmented and space-separated, so the plain tokenizers (``unicode61``, ``simple``) split
them exactly where the analyzer did.
"""

from django.db import migrations

SQLITE = [
    """CREATE VIRTUAL TABLE kb_fts USING fts5(
        fts_title, fts_keywords, fts_body, fts_scope,
        content='kb_searchdocument', content_rowid='id', tokenize='unicode61 remove_diacritics 0')""",
    """CREATE TRIGGER kb_fts_insert AFTER INSERT ON kb_searchdocument BEGIN
        INSERT INTO kb_fts(rowid, fts_title, fts_keywords, fts_body, fts_scope)
        VALUES (new.id, new.fts_title, new.fts_keywords, new.fts_body, new.fts_scope);
    END""",
    """CREATE TRIGGER kb_fts_delete AFTER DELETE ON kb_searchdocument BEGIN
        INSERT INTO kb_fts(kb_fts, rowid, fts_title, fts_keywords, fts_body, fts_scope)
        VALUES ('delete', old.id, old.fts_title, old.fts_keywords, old.fts_body, old.fts_scope);
    END""",
    """CREATE TRIGGER kb_fts_update AFTER UPDATE ON kb_searchdocument BEGIN
        INSERT INTO kb_fts(kb_fts, rowid, fts_title, fts_keywords, fts_body, fts_scope)
        VALUES ('delete', old.id, old.fts_title, old.fts_keywords, old.fts_body, old.fts_scope);
        INSERT INTO kb_fts(rowid, fts_title, fts_keywords, fts_body, fts_scope)
        VALUES (new.id, new.fts_title, new.fts_keywords, new.fts_body, new.fts_scope);
    END""",
]
SQLITE_UNDO = ["DROP TRIGGER kb_fts_update", "DROP TRIGGER kb_fts_delete", "DROP TRIGGER kb_fts_insert",
               "DROP TABLE kb_fts"]
POSTGRES = [
    """ALTER TABLE kb_searchdocument ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', fts_title), 'A') || setweight(to_tsvector('simple', fts_keywords), 'B')
        || setweight(to_tsvector('simple', fts_body), 'C')) STORED""",
    "CREATE INDEX kb_doc_tsv ON kb_searchdocument USING gin (tsv)",
]
POSTGRES_UNDO = ["DROP INDEX kb_doc_tsv", "ALTER TABLE kb_searchdocument DROP COLUMN tsv"]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("kb", "0001_initial")]

    operations = [
        migrations.RunPython(_run({"sqlite": SQLITE, "postgresql": POSTGRES}),
                             _run({"sqlite": SQLITE_UNDO, "postgresql": POSTGRES_UNDO})),
    ]
