from __future__ import annotations

import getpass
import os
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ruamchat.accounts.actions import create_agent


class Command(BaseCommand):
    help = "Create an administrator (password from --password, RUAMCHAT_ADMIN_PASSWORD or a prompt)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="")
        parser.add_argument("--name", default="")
        parser.add_argument("--password", default=None)

    def handle(self, *args: Any, **opts: Any) -> None:
        password = opts["password"] or os.environ.get("RUAMCHAT_ADMIN_PASSWORD")
        if not password:
            if not os.isatty(0):
                raise CommandError("give --password or RUAMCHAT_ADMIN_PASSWORD when not on a terminal")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the passwords differ")
        from django.contrib.auth.password_validation import validate_password

        try:
            validate_password(password)
            create_agent(actor=None, username=opts["username"], password=password, email=opts["email"],
                         display_name=opts["name"], role="admin")
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"administrator {opts['username']!r} created")
