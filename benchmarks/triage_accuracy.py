"""How good and how fast is the triage suggestion on the labelled messages?

Runs ``ruamchat.triage.Triage`` (built-in keywords) over the hand-labelled customer messages in
tests/fixtures/triage/ (Thai, English and both; see the README there for the labelling guide):
labelled.jsonl, the development set the keyword lists were written against, and heldout.jsonl, written
afterwards and never tuned on — the honest estimate. For each it prints Markdown tables:

* accuracy of team / category / priority, overall and by language (th = has Thai letters, en);
* the priority confusion (rows: label, columns: suggestion) and urgent recall / precision;
* ``suggest()`` time per message, p50/p95/max µs over ``--rounds`` passes (after one warm-up pass).

    .venv/bin/python benchmarks/triage_accuracy.py
    .venv/bin/python benchmarks/triage_accuracy.py --misses      # also list every wrong field

No database, no Django settings: only the engine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from ruamchat.triage import Suggestion, Triage, detect_language  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "triage"
LABELLED = FIXTURES / "labelled.jsonl"  # the keyword lists were written looking at these
HELDOUT = FIXTURES / "heldout.jsonl"  # written after the keywords and never tuned on
FIELDS = ("team_kind", "category", "priority")
PRIORITY_NAMES = {0: "urgent", 1: "high", 2: "normal", 3: "low"}


@dataclass
class Case:
    text: str
    team_kind: str
    category: str
    priority: int
    angry_before: int
    language: str


def load(path: Path = LABELLED) -> list[Case]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            cases.append(
                Case(
                    text=row["text"],
                    team_kind=row["team_kind"],
                    category=row["category"],
                    priority=int(row["priority"]),
                    angry_before=int(row.get("angry_before", 0)),
                    language=detect_language(row["text"]),
                )
            )
    return cases


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(title: str, path: Path, cases: list[Case], got: dict[int, Suggestion], misses: bool) -> None:
    groups = {
        "all": cases,
        "th": [c for c in cases if c.language == "th"],
        "en": [c for c in cases if c.language == "en"],
    }
    print(f"## {title} — {len(cases)} messages ({path.relative_to(ROOT)})\n")
    print("| language | messages | team | category | priority | all three |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, group in groups.items():
        if not group:
            continue
        cells = []
        for fld in FIELDS:
            right = sum(getattr(got[id(c)], fld) == getattr(c, fld) for c in group)
            cells.append(f"{right / len(group):.3f}")
        all_right = sum(all(getattr(got[id(c)], f) == getattr(c, f) for f in FIELDS) for c in group)
        print(f"| {name} | {len(group)} | {' | '.join(cells)} | {all_right / len(group):.3f} |")

    print("\nPriority confusion (rows: label, columns: suggestion):\n")
    print("| label \\ suggested | " + " | ".join(PRIORITY_NAMES.values()) + " | recall |")
    print("|---|" + "---:|" * (len(PRIORITY_NAMES) + 1))
    for label, name in PRIORITY_NAMES.items():
        row = [sum(1 for c in cases if c.priority == label and got[id(c)].priority == p) for p in PRIORITY_NAMES]
        total = sum(row)
        recall = f"{row[label] / total:.3f}" if total else "–"
        print(f"| {name} | " + " | ".join(map(str, row)) + f" | {recall} |")
    urgent_labelled = [c for c in cases if c.priority == 0]
    urgent_suggested = [c for c in cases if got[id(c)].priority == 0]
    hits = sum(1 for c in urgent_labelled if got[id(c)].priority == 0)
    recall = hits / len(urgent_labelled) if urgent_labelled else 0.0
    precision = hits / len(urgent_suggested) if urgent_suggested else 0.0
    print(f"\n**Urgent recall {recall:.3f}** ({hits}/{len(urgent_labelled)}), "
          f"precision {precision:.3f} ({hits}/{len(urgent_suggested)}).")
    for case in urgent_labelled:
        if got[id(case)].priority != 0:
            print(f"- urgent missed: `{case.text[:90]}` → {PRIORITY_NAMES[got[id(case)].priority]}")
    for case in urgent_suggested:
        if case.priority != 0:
            print(f"- urgent by mistake: `{case.text[:90]}` (label {PRIORITY_NAMES[case.priority]})")

    if misses:
        print("\nAll misses:\n")
        for case in cases:
            suggestion = got[id(case)]
            wrong = [
                f"{fld} {getattr(case, fld)}→{getattr(suggestion, fld)}"
                for fld in FIELDS
                if getattr(suggestion, fld) != getattr(case, fld)
            ]
            if wrong:
                why = "; ".join(f"{r.field}:{r.keyword or '-'}({r.rule})" for r in suggestion.reasons)
                print(f"- `{case.text[:70]}` — {', '.join(wrong)} — {why}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20, help="timed passes over the messages (default 20)")
    parser.add_argument("--misses", action="store_true", help="list the messages with a wrong field")
    args = parser.parse_args()

    started = time.perf_counter()
    engine = Triage()
    build_ms = (time.perf_counter() - started) * 1000

    every: list[Case] = []
    sets = (("Labelled set (keywords written against it)", LABELLED), ("Held-out set (never tuned on)", HELDOUT))
    for title, path in sets:
        if not path.exists():
            continue
        cases = load(path)
        every.extend(cases)
        got = {id(case): engine.suggest(case.text, angry_before=case.angry_before) for case in cases}
        report(title, path, cases, got, args.misses)

    timings: list[float] = []
    for _ in range(args.rounds):
        for case in every:
            begin = time.perf_counter_ns()
            engine.suggest(case.text, angry_before=case.angry_before)
            timings.append((time.perf_counter_ns() - begin) / 1000)
    longest = max(every, key=lambda case: len(case.text))
    long_timings = []
    for _ in range(200):
        begin = time.perf_counter_ns()
        engine.suggest(longest.text)
        long_timings.append((time.perf_counter_ns() - begin) / 1000)

    print("## Speed of `suggest()` (one process, after a warm-up pass)\n")
    print(
        "| messages | timed calls | p50 µs | p95 µs | max µs | mean chars | longest message p50 µs "
        "| engine build ms |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    mean_chars = statistics.mean(len(c.text) for c in every)
    print(f"| {len(every)} | {len(timings)} | {percentile(timings, 0.5):.0f} | {percentile(timings, 0.95):.0f} | "
          f"{max(timings):.0f} | {mean_chars:.0f} | {percentile(long_timings, 0.5):.0f} ({len(longest.text)} chars) | "
          f"{build_ms:.0f} |")


if __name__ == "__main__":
    main()
