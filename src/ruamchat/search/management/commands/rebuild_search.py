"""`ruamchat rebuild_search`: index every message and contact again (after an upgrade that changes how text is
analysed, after importing data from elsewhere, or to repair the index). Documents that would not change are
left alone; the background catch-up keeps indexing new messages meanwhile."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from ruamchat.search import actions


class Command(BaseCommand):
    help = "Index every message and contact of the global search again."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--processes", type=int, default=1,
                            help="processes analysing the text (default 1; up to the CPUs to spare)")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        progress = self.stdout.write if options["verbosity"] > 1 else None
        result = actions.rebuild_all(processes=max(1, options["processes"]), progress=progress)
        self.stdout.write(f"{result.messages} messages and {result.contacts} contacts re-indexed "
                          f"in {time.monotonic() - started:.1f} s")
