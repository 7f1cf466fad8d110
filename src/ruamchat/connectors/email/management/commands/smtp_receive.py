"""`ruamchat smtp-receive`: receive mail for the email channels over SMTP (a relay set-up)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from ruamchat.connectors.email.smtpd import make_controller
from ruamchat.core.stopping import stop_on_signals


class Command(BaseCommand):
    help = ("Receive mail for the email channels over SMTP, from your mail server or relay. Listens on "
            "127.0.0.1:2525 unless told otherwise; put it behind your MTA rather than on the open internet.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)

    def handle(self, *args: Any, **opts: Any) -> None:
        stop = stop_on_signals()
        controller = make_controller(opts["host"], opts["port"])
        controller.start()
        self.stdout.write(f"ruamchat SMTP receiver on {opts['host']}:{opts['port']}; Ctrl+C to stop")
        try:
            stop.wait()
        finally:
            controller.stop()
