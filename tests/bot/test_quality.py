"""Regression floors for the bot's quality on its message set (tests/fixtures/bot/messages.jsonl: 270 Thai and
English customer messages, 45 the knowledge base cannot answer), on the demo knowledge base, with the default
threshold. Measured when written (see benchmarks/bot_quality.py): top-1 0.773, hand-off precision 0.822, recall
0.674; every request for a person handed off."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ruamchat.bot.evaluation import evaluate
from ruamchat.bot.models import BotSettings

MESSAGES = Path(__file__).resolve().parents[1] / "fixtures" / "bot" / "messages.jsonl"


@pytest.mark.django_db(transaction=True)
def test_the_bot_answers_and_hands_off_as_well_as_it_did(demo_kb: dict[str, Any]) -> None:
    items = [json.loads(line) for line in MESSAGES.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(items) >= 150 and sum(i["why"] == "unknown" for i in items) >= 30
    report = evaluate(items, threshold=BotSettings().threshold)
    assert report.top1 >= 0.72, report.top1
    assert report.handoff_precision >= 0.75, report.handoff_precision
    assert report.handoff_recall >= 0.60, report.handoff_recall
    by_why = report.by("why")
    assert by_why["person"][1] == 1.0  # "ขอคุยกับพนักงาน" and its variants: always a person
    assert by_why["urgent"][1] >= 0.9 and by_why["angry"][1] >= 0.9


@pytest.mark.django_db(transaction=True)
def test_the_evaluate_command_reports_on_a_business_own_messages(demo_kb: dict[str, Any], tmp_path: Path) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    own = tmp_path / "ours.jsonl"
    own.write_text("\n".join(json.dumps(item, ensure_ascii=False) for item in [
        {"text": "ผ่อน 0% ได้กี่เดือนคะ", "lang": "th", "expect": "installments-0-percent"},
        {"text": "ขอคุยกับพนักงานค่ะ", "lang": "th", "expect": "handoff"},
    ]), encoding="utf-8")
    out = StringIO()
    call_command("bot", "evaluate", str(own), stdout=out)
    assert "top-1 answer accuracy: 1.000" in out.getvalue()
    assert "hand-off recall: 1.000" in out.getvalue()
    own.write_text("not json", encoding="utf-8")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("bot", "evaluate", str(own))
