from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from ruamchat.core.management.commands.serve import serve
from ruamchat.demo.seed import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Migrate, load the Thai demo data (once) and serve at http://127.0.0.1:8000."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=int(os.environ.get("RUAMCHAT_PORT", "8000")))
        parser.add_argument("--no-serve", action="store_true", help="load the data and stop")

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        created = seed_demo()
        url = f"http://{opts['host']}:{opts['port']}"
        self.stdout.write("")
        self.stdout.write(f"ruamchat demo — data in {settings.CONFIG.data_dir}")
        self.stdout.write("  " + ("demo data loaded" if created else "demo data kept from the last run"))
        self.stdout.write(f"  inbox:        {url}/")
        self.stdout.write(f"  website chat: {url}/widget/{created_or_key()}/demo")
        self.stdout.write(f"  LINE webhook: {url}/hooks/line/{created_or_key('line')}/ (demo OA, no LINE credentials)")
        self.stdout.write(f"  email:        ruamchat ingest-email --channel={created_or_key('email')} < mail.eml"
                          " (replies go to an SMTP sink on 127.0.0.1:1025 if one runs)")
        self.stdout.write(f"  logins (password {DEMO_PASSWORD}):")
        self.stdout.write("    admin (administrator), napat (supervisor),")
        self.stdout.write("    somchai, kanya (Service team), wichai, pim (Support team)")
        self.stdout.write("")
        if not opts["no_serve"]:
            serve(host=opts["host"], port=opts["port"], workers=1, run_worker=True,
                  stdout=self.stdout.write)


def created_or_key(kind: str = "website") -> str:
    from ruamchat.connectors.models import Channel

    channel = Channel.objects.filter(kind=kind).order_by("id").first()
    return channel.key if channel else "-"
