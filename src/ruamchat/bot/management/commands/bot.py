"""``ruamchat bot evaluate FILE``: how the chatbot would handle a set of customer messages with the knowledge
base as it is now (one JSON object per line: text, lang, expect = an article key or "handoff", why)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ruamchat.bot import engine
from ruamchat.bot.evaluation import evaluate
from ruamchat.bot.models import BotSettings


class Command(BaseCommand):
    help = "Check the chatbot against customer messages whose right answer you know."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("evaluate", help="top-1 accuracy, hand-off precision and recall, latency")
        run.add_argument("file", help='JSON lines: {"text", "lang", "expect": "<article key>" | "handoff"}')
        run.add_argument("--threshold", type=float, default=None, help="confidence threshold (default: 0.2)")
        run.add_argument("--misses", action="store_true", help="list the messages handled wrongly")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
            items = [json.loads(line) for line in lines if line.strip()]
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        if not items or not all(isinstance(i, dict) and "text" in i and "expect" in i for i in items):
            raise CommandError('every line needs "text" and "expect"')
        threshold = options["threshold"] if options["threshold"] is not None else BotSettings().threshold
        report = evaluate(items, threshold=threshold)
        out = self.stdout
        out.write(f"messages: {len(items)} (answerable {len(report.answerable)}), threshold {threshold}")
        out.write(f"top-1 answer accuracy: {report.top1:.3f}")
        out.write(f"expected article offered: {report.offered:.3f}")
        out.write(f"hand-off precision: {report.handoff_precision:.3f}")
        out.write(f"hand-off recall: {report.handoff_recall:.3f}")
        out.write(f"decision latency p50 {report.latency_ms(50):.1f} ms, p95 {report.latency_ms(95):.1f} ms")
        if options["misses"]:
            for o in report.outcomes:
                expected = o.item["expect"]
                wrong = (o.decision.action != engine.HANDOFF) if expected == "handoff" \
                    else o.answered_key != expected
                if wrong:
                    out.write(f"  {o.item['text']!r}: expected {expected}, got {o.decision.action} "
                              f"{o.offered_keys or o.decision.reason}")
