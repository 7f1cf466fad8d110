"""Knowledge-base fixtures: a category, an article factory that indexes at once, the demo knowledge base."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DEMO_KB = Path(__file__).resolve().parents[2] / "src" / "ruamchat" / "demo" / "kb.json"


@pytest.fixture
def kb_category(db: None) -> Any:
    from ruamchat.kb.actions import save_category

    return save_category(actor=None, key="payment", name_th="การชำระเงิน", name_en="Payment",
                         description_th="ผ่อน โอน บัตรเครดิต", description_en="Cards, transfers, instalments")


@pytest.fixture
def make_article(kb_category: Any, run_jobs: Callable[[], int]) -> Callable[..., Any]:
    """``make_article(title=..., body=..., language="th", status="published", ...)``: created through the
    action, then indexed by running the background jobs, as the worker would."""
    from ruamchat.kb.actions import create_article

    def make(**fields: Any) -> Any:
        fields.setdefault("language", "th")
        fields.setdefault("category", kb_category)
        fields.setdefault("status", "published")
        fields.setdefault("body", "")
        article = create_article(actor=None, **fields)
        run_jobs()
        return article

    return make


@pytest.fixture
def demo_kb(db: None, run_jobs: Callable[[], int]) -> dict[str, Any]:
    """The demo shop's knowledge base (src/ruamchat/demo/kb.json), imported and indexed."""
    from ruamchat.kb.actions import import_knowledge_base

    data = json.loads(DEMO_KB.read_text(encoding="utf-8"))
    import_knowledge_base(actor=None, data=data)
    run_jobs()
    return data
