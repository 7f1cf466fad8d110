"""`ruamchat kb export [FILE]`, `ruamchat kb import FILE`, `ruamchat kb reindex [--all]`: move a whole knowledge
base in or out as JSON, and rebuild the search index (e.g. after restoring a database backup)."""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ruamchat.kb import actions, selectors
from ruamchat.kb.models import Article
from ruamchat.kb.search import index


class Command(BaseCommand):
    help = "Knowledge base: export [FILE] | import FILE | reindex [--all]"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["export", "import", "reindex"])
        parser.add_argument("file", nargs="?", help="export: where to write (default: standard output); "
                                                     "import: the export to read ('-' for standard input)")
        parser.add_argument("--no-files", action="store_true", help="export without attachments")
        parser.add_argument("--all", action="store_true", help="reindex every published article, not only stale ones")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "export":
            text = json.dumps(selectors.export_knowledge_base(include_files=not opts["no_files"]),
                              ensure_ascii=False, indent=1)
            if opts["file"] and opts["file"] != "-":
                Path(opts["file"]).write_text(text, encoding="utf-8")
            else:
                self.stdout.write(text)
        elif action == "import":
            if not opts["file"]:
                raise CommandError("give the file to import ('-' for standard input)")
            try:
                raw = sys.stdin.read() if opts["file"] == "-" else Path(opts["file"]).read_text(encoding="utf-8")
                data = json.loads(raw)
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                raise CommandError(f"cannot read {opts['file']}: {exc}") from exc
            try:
                counts = actions.import_knowledge_base(actor=None, data=data)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            self.stdout.write(
                f"{counts['categories']} categories, {counts['articles_created']} articles created, "
                f"{counts['articles_updated']} updated, {counts['attachments']} files; indexing in the background"
            )
        else:
            ids = None
            if opts["all"]:
                ids = list(Article.objects.filter(status=Article.Status.PUBLISHED).values_list("id", flat=True))
            self.stdout.write(f"{index.reindex(ids)} articles indexed")
