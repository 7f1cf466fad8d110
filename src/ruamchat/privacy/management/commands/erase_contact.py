"""`ruamchat erase_contact ID --yes [--force]`: erase a customer's personal data (a PDPA erasure request)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ruamchat.contacts.models import Contact
from ruamchat.privacy import selectors
from ruamchat.privacy.erasure import erase_contact


class Command(BaseCommand):
    help = ("Erase a customer's personal data: profile, notes, message content, attachments, raw provider events. "
            "Conversations and report numbers stay. Cannot be undone.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("contact_id", type=int, help="the customer's number")
        parser.add_argument("--yes", action="store_true", help="really erase (without it: only say what would go)")
        parser.add_argument("--force", action="store_true",
                            help="resolve the customer's conversations still going first (else they are refused)")

    def handle(self, *args: Any, **options: Any) -> None:
        contact = Contact.objects.filter(pk=options["contact_id"]).first()
        if contact is None:
            raise CommandError(f"There is no customer #{options['contact_id']}.")
        if not options["yes"]:
            p = selectors.erasure_preview(contact)
            self.stdout.write(
                f"Would erase customer #{contact.pk}: {p.conversations} conversations ({p.active} still going), "
                f"{p.messages} messages, {p.attachments} attachments ({p.bytes} bytes), {p.notes} notes, "
                f"{p.identities} accounts, {p.raw_events} raw events. Run again with --yes to erase.")
            return
        try:
            record = erase_contact(actor=None, contact_id=contact.pk, force=options["force"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        counts = ", ".join(f"{key} {value}" for key, value in record.detail.items() if isinstance(value, int))
        self.stdout.write(f"Erased customer #{contact.pk}: {counts}")
