"""`ruamchat ingest-email --channel KEY < message.eml`: for an MTA pipe (Postfix, Exim) or a manual import.

Exit codes follow sysexits.h, which MTAs understand: 0 stored (or already stored), 65 the input is not a
mail, 67 no such mailbox, 75 try again later (the database is unavailable: the MTA keeps the mail)."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db import DatabaseError

from ruamchat.connectors.email.actions import ingest
from ruamchat.connectors.models import Channel

EX_DATAERR = 65
EX_NOUSER = 67
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Store one raw email (read from standard input or files) in an email channel's inbox."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--channel", required=True, help="the email channel's key (shown in Administration)")
        parser.add_argument("files", nargs="*", help=".eml files to import (default: standard input)")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            channel = Channel.objects.filter(key=opts["channel"], kind="email").first()
        except DatabaseError as exc:
            self.stderr.write(f"ruamchat: database unavailable, try again later: {exc}")
            sys.exit(EX_TEMPFAIL)
        if channel is None:
            self.stderr.write(f"ruamchat: no email channel with key {opts['channel']!r}")
            sys.exit(EX_NOUSER)
        sources = opts["files"] or ["-"]
        failed = 0
        for source in sources:
            raw = sys.stdin.buffer.read() if source == "-" else open(source, "rb").read()  # noqa: SIM115
            name = "standard input" if source == "-" else source
            try:
                event = ingest(channel=channel, raw=raw)
            except ValidationError as exc:
                self.stderr.write(f"ruamchat: {name}: {' '.join(exc.messages)}")
                failed = failed or EX_DATAERR
                continue
            except DatabaseError as exc:
                self.stderr.write(f"ruamchat: database unavailable, try again later: {exc}")
                sys.exit(EX_TEMPFAIL)
            state = f"stored as event {event.pk}" if event is not None else "already stored"
            self.stdout.write(f"{name}: {state}")
        if failed:
            sys.exit(failed)
