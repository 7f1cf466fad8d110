"""`ruamchat export_contact ID PATH`: everything held about a customer as a zip (a PDPA access request)."""

from __future__ import annotations

import shutil
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ruamchat.privacy.export import export_contact


class Command(BaseCommand):
    help = "Write everything held about a customer (contact.json and the attachments) into a zip file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("contact_id", type=int, help="the customer's number")
        parser.add_argument("path", help="the zip file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            archive, exported = export_contact(actor=None, contact_id=options["contact_id"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        with archive, open(options["path"], "wb") as out:
            shutil.copyfileobj(archive, out, 1024 * 1024)
        self.stdout.write(f"{options['path']}: {exported.conversations} conversations, {exported.messages} messages, "
                          f"{exported.attachments} attachments ({exported.bytes} bytes)")
