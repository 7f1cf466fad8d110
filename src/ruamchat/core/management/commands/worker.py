from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from ruamchat.core.stopping import stop_on_signals
from ruamchat.jobs.worker import run_threads


class Command(BaseCommand):
    help = "Run background job workers until stopped (SIGTERM/SIGINT finish the running jobs first)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--concurrency", type=int, default=2)
        parser.add_argument("--poll", type=float, default=0.5, help="seconds between polls when idle")

    def handle(self, *args: Any, **opts: Any) -> None:
        stop = stop_on_signals()
        self.stdout.write(f"ruamchat worker: {opts['concurrency']} threads; Ctrl+C to stop")
        run_threads(opts["concurrency"], stop, poll=opts["poll"])
