"""What the benchmark scripts share (import as ``from benchmarks import common`` or, run as a script from
benchmarks/, ``import common``)."""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path


def machine() -> str:
    """The CPU and the load, printed under each table: the numbers mean little without them."""
    model = ""
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}) {model}; load average {load} at the end"
