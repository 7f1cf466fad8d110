from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ruamchat.accounts.actions import create_api_token, revoke_api_token
from ruamchat.accounts.models import ApiToken


class Command(BaseCommand):
    help = ("API tokens for scripts: `token create --user NAME [--name LABEL] [--scope read|full]` prints a new "
            "token once; `token revoke PREFIX` revokes the tokens that start with it.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["create", "revoke"])
        parser.add_argument("prefix", nargs="?", default="", help="revoke: the token's first characters (rc_…)")
        parser.add_argument("--user", default="")
        parser.add_argument("--name", default="cli")
        parser.add_argument("--scope", choices=["read", "full"], default="full",
                            help="read: the token may only read (every change is refused with 403)")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "revoke":
            prefix = opts["prefix"].strip()
            if len(prefix) < 10:
                raise CommandError("give the token's first 10 characters or more (as the admin lists them)")
            found = [t for t in ApiToken.objects.filter(prefix=prefix[:10], revoked_at__isnull=True)
                     if t.prefix.startswith(prefix[:10])]
            for token in found:
                revoke_api_token(token=token)
            self.stdout.write(f"revoked {len(found)} token(s)")
            return
        if not opts["user"]:
            raise CommandError("--user is required to create a token")
        user = get_user_model().objects.filter(username=opts["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user named {opts['user']!r}")
        self.stdout.write(create_api_token(user=user, name=opts["name"], scope=opts["scope"]))
