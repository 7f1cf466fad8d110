"""A throwaway database holding the demo knowledge base, imported and indexed: what the accuracy scripts
(kb_accuracy.py, bot_quality.py) measure on. SQLite in a temporary folder, or a new database on the test
PostgreSQL (``--db postgres``), dropped again by ``drop``."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KB = ROOT / "src" / "ruamchat" / "demo" / "kb.json"
DEFAULT_POSTGRES = os.environ.get("RUAMCHAT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:55432/postgres")


def create(db: str, postgres: str, prefix: str) -> None:
    """Point Django at a new database (``db``: "sqlite" or "postgres"), migrate it and load the demo knowledge
    base; call before anything imports Django models."""
    os.environ["RUAMCHAT_DATA_DIR"] = tempfile.mkdtemp(prefix=f"{prefix}-")
    if db == "postgres":
        import psycopg

        name = f"{prefix.replace('-', '_')}_{os.getpid()}"
        with psycopg.connect(postgres, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["RUAMCHAT_DATABASE_URL"] = postgres.rsplit("/", 1)[0] + f"/{name}"
    else:
        os.environ.pop("RUAMCHAT_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ruamchat.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from ruamchat.jobs.queue import run_until_empty
    from ruamchat.kb.actions import import_knowledge_base

    import_knowledge_base(actor=None, data=json.loads(KB.read_text(encoding="utf-8")))
    run_until_empty("bench")


def drop(db: str, postgres: str) -> None:
    """Drop the PostgreSQL database ``create`` made (SQLite's folder is left to the system's temp cleaning)."""
    if db != "postgres":
        return
    import psycopg
    from django.db import connections

    connections.close_all()
    name = os.environ["RUAMCHAT_DATABASE_URL"].rsplit("/", 1)[1]
    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
