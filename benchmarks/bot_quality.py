"""The chatbot on its quality set (tests/fixtures/bot/messages.jsonl): top-1 answer accuracy, hand-off
precision and recall, results by kind of message and language, and the decision latency (p50 / p95 / max,
goal p95 ≤ 50 ms: triage, segmentation, the knowledge-base search and the decision; the provider's API is not
part of it) over the same messages, on the demo knowledge base.

    .venv/bin/python benchmarks/bot_quality.py [--threshold 0.2] [--misses] [--db sqlite|postgres] [--sweep]

Runs on a throwaway SQLite database (``--db postgres``: the test PostgreSQL at 127.0.0.1:55432). Each message
is decided twice; the first pass warms the caches (dictionaries, the search vocabulary), the second is timed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

try:
    from benchmarks import demo_kb_database
except ImportError:  # run as a script: benchmarks/ itself is on the path
    import demo_kb_database  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]
MESSAGES = ROOT / "tests" / "fixtures" / "bot" / "messages.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threshold", type=float, default=None, help="confidence threshold (default: the model's)")
    parser.add_argument("--misses", action="store_true", help="print the messages handled wrongly")
    parser.add_argument("--sweep", action="store_true", help="also print the quality at thresholds 0.10 … 0.40")
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--postgres", default=demo_kb_database.DEFAULT_POSTGRES, help="server to use")
    args = parser.parse_args()
    demo_kb_database.create(args.db, args.postgres, "rc-botq")
    from ruamchat.bot import engine
    from ruamchat.bot.evaluation import evaluate
    from ruamchat.bot.models import BotSettings

    threshold = args.threshold if args.threshold is not None else BotSettings().threshold
    items = [json.loads(line) for line in MESSAGES.read_text(encoding="utf-8").splitlines() if line.strip()]
    evaluate(items, threshold=threshold)  # warm-up
    report = evaluate(items, threshold=threshold)
    job_ms = time_respond(items)
    if args.sweep:
        print("\n| threshold | top-1 | offered | hand-off precision | hand-off recall |\n|---:|---:|---:|---:|---:|")
        for step in range(10, 45, 5):
            swept = evaluate(items, threshold=step / 100)
            print(f"| {step / 100:.2f} | {swept.top1:.3f} | {swept.offered:.3f} | {swept.handoff_precision:.3f} "
                  f"| {swept.handoff_recall:.3f} |")
    demo_kb_database.drop(args.db, args.postgres)
    if args.misses:
        for o in report.outcomes:
            expected = o.item["expect"]
            wrong = (o.decision.action != engine.HANDOFF) if expected == "handoff" else o.answered_key != expected
            if wrong:
                print(f"  {o.item.get('why', ''):8} {o.item['text']!r} expect={expected} got={o.decision.action}"
                      f" {o.offered_keys} {o.decision.reason} conf={o.decision.confidence:.2f}")
    print(f"\nBot quality ({args.db}, threshold {threshold}, {len(items)} messages, "
          f"{len(report.answerable)} answerable)\n")
    print("| measure | value |\n|---|---:|")
    print(f"| top-1 answer accuracy (answerable messages) | {report.top1:.3f} |")
    print(f"| expected article offered (answer or choice) | {report.offered:.3f} |")
    print(f"| hand-off precision | {report.handoff_precision:.3f} |")
    print(f"| hand-off recall | {report.handoff_recall:.3f} |")
    print("\n| kind of message | messages | handled right |\n|---|---:|---:|")
    for name, (count, share) in report.by("why").items():
        print(f"| {name} | {count} | {share:.3f} |")
    for name, (count, share) in report.by("lang").items():
        print(f"| lang:{name} | {count} | {share:.3f} |")
    print("\n| decision | messages |\n|---|---:|")
    for action, count in sorted(report.actions.items()):
        print(f"| {action} | {count} |")
    print(f"\n| latency ({args.db}) | decision (ms) | whole bot.respond job (ms) |\n|---|---:|---:|")
    for label, pct in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100)):
        print(f"| {label} | {report.latency_ms(pct):.1f} | {_percentile(job_ms, pct):.1f} |")


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))] if ordered else 0.0


def time_respond(items: list[dict[str, str]]) -> list[float]:
    """The whole job per message on the website chat: read the conversation, decide, store the bot's message
    and its delivery job, hand off or not, commit (each message a new visitor, so a new conversation)."""
    import time

    from ruamchat.accounts.actions import create_team
    from ruamchat.bot import actions
    from ruamchat.connectors.actions import create_channel
    from ruamchat.connectors.website.actions import receive_visitor_message

    team = create_team(actor=None, name="bench service", kind="service")
    website = create_channel(actor=None, kind="website", name="bench website", default_team=team)
    actions.save_settings(actor=None, channel=website, enabled=True, max_messages=50)
    timings = []
    for number, item in enumerate(items):
        message = receive_visitor_message(channel=website, visitor_token=f"bench-visitor-{number:020d}",
                                          client_id=f"bench-{number:08d}", text=item["text"])
        started = time.perf_counter()
        actions.respond(message_id=message.pk)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


if __name__ == "__main__":
    main()
