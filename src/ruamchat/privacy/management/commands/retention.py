"""`ruamchat retention [--dry-run]`: apply the retention policy now, or only say what it would touch."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ruamchat.privacy import selectors
from ruamchat.privacy.retention import apply_retention


class Command(BaseCommand):
    help = ("Apply the retention policy as saved on the retention page (whether or not it runs every day); "
            "--dry-run only reports what it would touch.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="change nothing; print what would be touched")

    def handle(self, *args: Any, **options: Any) -> None:
        rule = selectors.policy()
        what = "attachments of " if rule.attachments_only else ""
        self.stdout.write(f"Policy: {rule.action} {what}conversations ended more than {rule.months} months ago"
                          f" ({'applied every day' if rule.enabled else 'not applied every day'})")
        if options["dry_run"]:
            r = selectors.retention_report(rule)
            self.stdout.write(
                f"Would touch, ended before {r.cutoff.isoformat()}: {r.conversations} conversations, "
                f"{r.messages} messages, {r.attachments} attachments ({r.files} files, {r.bytes} bytes), "
                f"{r.raw_events} raw events; oldest ended {r.oldest.isoformat() if r.oldest else '-'}")
            return
        run = apply_retention(actor=None)
        counts = ", ".join(f"{key} {value}" for key, value in run.removed.counts().items())
        self.stdout.write(f"Done, ended before {run.cutoff.isoformat()}: {counts}")
