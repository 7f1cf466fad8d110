"""Knowledge-base search accuracy on the demo knowledge base: top-1 and top-3 for the customer questions in
tests/fixtures/kb/questions.jsonl (written before the search was tuned), by language and by style.

    .venv/bin/python benchmarks/kb_accuracy.py [--misses]

Runs on a throwaway SQLite database (and ``--db postgres`` on the test PostgreSQL at 127.0.0.1:55432).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

try:
    from benchmarks import demo_kb_database
except ImportError:  # run as a script: benchmarks/ itself is on the path
    import demo_kb_database  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "tests" / "fixtures" / "kb" / "questions.jsonl"


def rankings(questions: list[dict[str, str]]) -> list[list[tuple[str, float]]]:
    """The top three (article key, score) per question, searched in the question's language."""
    from ruamchat.kb.search import engine

    return [[(hit.article.key, hit.score) for hit in engine.search(item["q"], languages=(item["lang"],), limit=3).hits]
            for item in questions]


def evaluate(questions: list[dict[str, str]], show_misses: bool = False) -> dict[str, dict[str, float]]:
    buckets: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for item, ranked in zip(questions, rankings(questions), strict=True):
        keys = [key for key, _score in ranked]
        top1, top3 = keys[:1] == [item["expect"]], item["expect"] in keys
        for bucket in ("all", f"lang:{item['lang']}", f"style:{item['style']}"):
            buckets[bucket].append((top1, top3))
        if show_misses and not top1:
            print(f"  {'top3' if top3 else 'MISS'} {item['q']!r} expect={item['expect']} got={keys}")
    return {
        name: {"n": len(rows), "top1": sum(a for a, _b in rows) / len(rows),
               "top3": sum(b for _a, b in rows) / len(rows)}
        for name, rows in sorted(buckets.items())
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--misses", action="store_true", help="print the questions not answered first")
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--postgres", default=demo_kb_database.DEFAULT_POSTGRES, help="server to use")
    parser.add_argument("--dump", help="write the top three per question (JSON) to this file, print nothing else")
    args = parser.parse_args()
    demo_kb_database.create(args.db, args.postgres, "rc-kbacc")
    questions = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.dump:
        Path(args.dump).write_text(json.dumps(rankings(questions), ensure_ascii=False), encoding="utf-8")
        demo_kb_database.drop(args.db, args.postgres)
        return
    table = evaluate(questions, args.misses)
    demo_kb_database.drop(args.db, args.postgres)
    print(f"\n| set ({args.db}) | questions | top-1 | top-3 |\n|---|---:|---:|---:|")
    for name, row in table.items():
        print(f"| {name} | {row['n']:.0f} | {row['top1']:.3f} | {row['top3']:.3f} |")


if __name__ == "__main__":
    main()
