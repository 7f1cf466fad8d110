from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand

from ruamchat.jobs.worker import run_threads


class Command(BaseCommand):
    help = "Run background job workers until stopped (SIGTERM/SIGINT finish the running jobs first)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--concurrency", type=int, default=2)
        parser.add_argument("--poll", type=float, default=0.5, help="seconds between polls when idle")

    def handle(self, *args: Any, **opts: Any) -> None:
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.stdout.write(f"ruamchat worker: {opts['concurrency']} threads; Ctrl+C to stop")
        run_threads(opts["concurrency"], stop, poll=opts["poll"])
