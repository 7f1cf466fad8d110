"""Long-running commands (worker, SMTP receiver) stop cleanly on SIGTERM or Ctrl+C."""

from __future__ import annotations

import signal
import threading
from types import FrameType


def stop_on_signals() -> threading.Event:
    """An event that is set when the process is asked to stop (SIGTERM, SIGINT)."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return stop
