"""`ruamchat rebuild_reports`: recompute every conversation's report measures and every day's sums (after an
upgrade that changes a definition, or to fill the reports of data imported from elsewhere)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from ruamchat.reports import actions


class Command(BaseCommand):
    help = "Recompute the report tables (facts and daily sums) from the conversations, messages and events."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        result = actions.rebuild_all()
        self.stdout.write(f"{result.conversations} conversations, {len(result.days)} days "
                          f"in {time.monotonic() - started:.1f} s")
