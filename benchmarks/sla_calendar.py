"""How fast are SLA due times? Per-call time of BusinessCalendar.add() and .between().

Pure Python, no database. Prints one Markdown table: p50/p95 microseconds per call, for typical SLA
targets (due at most a week after they start) and long ones (due 30 calendar days after), on a few
calendars:

    .venv/bin/python benchmarks/sla_calendar.py
    .venv/bin/python benchmarks/sla_calendar.py --calls 20000 --cold

Each calendar is one instance reused for all calls (as the SLA sweeper should do), so its per-day
cache is warm after the first calls; ``--cold`` also measures a fresh instance per call (every day
computed again, holidays still cached at module level). Start instants are random over 2025-2027;
a target is the business time between a start and a random instant up to 7 days later ("≤ 1 week") or
exactly 30 days later ("30 days"), so add() finds that instant and between() measures that span.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time as clock
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from ruamchat.sla.calendar import BusinessCalendar, Period

CALENDARS: dict[str, Callable[[], BusinessCalendar]] = {
    "Mon-Fri 09-18, TH holidays": lambda: BusinessCalendar(periods=Period.every(range(5), time(9), time(18))),
    "Mon-Sat 2 periods + 22-02 night, TH": lambda: BusinessCalendar(
        periods=Period.every(range(6), time(8, 30), time(12))
        + Period.every(range(6), time(13), time(17, 30))
        + Period.every(range(7), time(22), time(2)),
        closed_days=frozenset(datetime(2026, 1, 1).date() + timedelta(days=17 * i) for i in range(40)),
    ),
    "Mon-Fri 09-17 Europe/Berlin": lambda: BusinessCalendar(
        "Europe/Berlin", Period.every(range(5), time(9), time(17)), holiday_country="DE"
    ),
    "24x7": lambda: BusinessCalendar.always_open(),
}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def measure(call: Callable[[BusinessCalendar, datetime, object], object], cases: list[tuple]) -> list[float]:
    """Microseconds per call(calendar, start, argument), one sample per case."""
    samples = []
    gc.disable()
    try:
        for calendar, start, argument in cases:
            started = clock.perf_counter_ns()
            call(calendar, start, argument)
            samples.append((clock.perf_counter_ns() - started) / 1000)
    finally:
        gc.enable()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000, help="timed calls per row (default 5000)")
    parser.add_argument("--cold", action="store_true", help="also time a fresh calendar instance per call")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    origin = datetime(2025, 1, 1, tzinfo=UTC)
    span = int(timedelta(days=3 * 365).total_seconds())
    spans = {
        "≤ 1 week": lambda: timedelta(seconds=rng.randrange(1, 7 * 86400)),
        "30 days": lambda: timedelta(days=30),
    }

    print(f"{args.calls} calls per row; µs per call; Python {sys.version.split()[0]}\n")
    print("| calendar | duration | cache | add p50 | add p95 | between p50 | between p95 |")
    print("|---|---|---|---:|---:|---:|---:|")
    for name, make in CALENDARS.items():
        for label, draw in spans.items():
            for cold in (False, True) if args.cold else (False,):
                shared = make()
                starts = [origin + timedelta(seconds=rng.randrange(span)) for _ in range(args.calls)]
                ends = [start + draw() for start in starts]
                targets = [shared.between(start, end) for start, end in zip(starts, ends, strict=True)]  # warms it
                count = 2 * args.calls
                instances = [make() for _ in range(count)] if cold else [shared] * count
                add = measure(lambda c, s, d: c.add(s, d), list(zip(instances, starts, targets, strict=False)))
                between = measure(
                    lambda c, s, e: c.between(s, e), list(zip(instances[args.calls :], starts, ends, strict=False))
                )
                a50, a95 = percentiles(add)
                b50, b95 = percentiles(between)
                print(
                    f"| {name} | {label} | {'cold' if cold else 'warm'} "
                    f"| {a50:.1f} | {a95:.1f} | {b50:.1f} | {b95:.1f} |"
                )


if __name__ == "__main__":
    main()
