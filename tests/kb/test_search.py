"""Knowledge-base search as users meet it: Thai words inside sentences, missing tone marks, typos, synonyms,
the business's own words, ranking, highlighting, who sees what, and the index kept up to date."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from benchmarks.kb_accuracy import QUESTIONS, evaluate, rankings
from ruamchat.kb import actions, selectors
from ruamchat.kb.models import Article, SearchDocument, SearchTerm
from ruamchat.kb.search import engine

ROOT = Path(__file__).resolve().parents[2]


def keys(result: engine.Result) -> list[str]:
    return [hit.article.key for hit in result.hits]


def titles(query: str, **options: Any) -> list[str]:
    return [hit.article.title for hit in engine.search(query, **options).hits]


@pytest.mark.django_db(transaction=True)
def test_a_thai_word_in_the_middle_of_a_sentence_is_found(make_article: Callable[..., Any]) -> None:
    make_article(title="เงื่อนไขการสั่งซื้อ", body="สั่งซื้อแล้วสามารถผ่อนชำระได้นาน 10 เดือนกับบัตรที่ร่วมรายการ")
    make_article(title="การจัดส่ง", body="จัดส่งฟรีทั่วประเทศเมื่อซื้อครบ 990 บาท")

    result = engine.search("ผ่อน")

    assert [hit.article.title for hit in result.hits] == ["เงื่อนไขการสั่งซื้อ"]
    assert "<mark>ผ่อน" in result.hits[0].snippet_html
    # an ordinary substring search would also find "ส่ง" inside "จัดส่ง"; a word search for "ฟรี" finds only it
    assert titles("ฟรี") == ["การจัดส่ง"]


@pytest.mark.django_db(transaction=True)
def test_thai_typed_without_tone_marks_still_finds_the_word_and_exact_spelling_ranks_first(
        make_article: Callable[..., Any]) -> None:
    make_article(title="ผ่อนสินค้า", body="ผ่อนได้ 10 เดือน")

    assert titles("ผอนไดไหม") == ["ผ่อนสินค้า"]
    make_article(title="ข้าวหอมมะลิ", body="ข้าวสารบรรจุถุง")
    make_article(title="เสื้อสีขาว", body="เสื้อยืดสีขาว")
    assert titles("ข้าว")[0] == "ข้าวหอมมะลิ"
    assert titles("ขาว")[0] == "เสื้อสีขาว"


@pytest.mark.django_db(transaction=True)
def test_english_is_stemmed_and_small_typos_are_forgiven(make_article: Callable[..., Any]) -> None:
    make_article(title="Refunds", body="We refunded your payment within 14 days.", language="en")
    make_article(title="Delivery", body="Parcels are delivered in two days.", language="en")

    assert titles("refunding") == ["Refunds"]
    result = engine.search("refnd")
    assert keys(result) and result.hits[0].article.title == "Refunds"
    assert result.corrected == [("refnd", "Refunds")]  # as typed, and as the article writes it
    assert titles("deliverd parcel")[0] == "Delivery"


@pytest.mark.django_db(transaction=True)
def test_synonyms_from_the_admin_find_articles_that_use_the_other_word(
        make_article: Callable[..., Any], run_jobs: Callable[[], int]) -> None:
    make_article(title="ผ่อนชำระ 0%", body="ผ่อนได้นาน 10 เดือน")
    assert titles("แบ่งจ่าย") == []

    actions.save_synonyms(actor=None, words="ผ่อน, แบ่งจ่าย")
    run_jobs()

    assert titles("แบ่งจ่ายได้ไหม") == ["ผ่อนชำระ 0%"]


@pytest.mark.django_db(transaction=True)
def test_the_business_dictionary_keeps_a_brand_name_whole_and_reindexes(
        make_article: Callable[..., Any], run_jobs: Callable[[], int]) -> None:
    article = make_article(title="สะสมแต้ม", body="ใช้คะแนนชวนพอยท์แลกส่วนลด")
    before = SearchDocument.objects.get(article=article)
    assert "ชวนพอยท์" not in before.body_terms.split()

    actions.add_word(actor=None, word="ชวนพอยท์")
    run_jobs()

    after = SearchDocument.objects.get(article=article)
    assert "ชวนพอยท์" in after.body_terms.split()
    assert after.dictionary != before.dictionary
    assert titles("ชวนพอยท์") == ["สะสมแต้ม"]


@pytest.mark.django_db(transaction=True)
def test_a_match_in_the_title_ranks_above_one_in_the_text(make_article: Callable[..., Any]) -> None:
    make_article(title="Warranty", body="Bring the receipt to a service centre.", language="en")
    make_article(title="Service centres", body="Repairs outside the warranty are charged.", language="en")

    ranked = engine.search("warranty").hits
    assert [hit.article.title for hit in ranked] == ["Warranty", "Service centres"]
    assert ranked[0].score > ranked[1].score > 0


@pytest.mark.django_db(transaction=True)
def test_agent_only_articles_are_found_by_agents_and_never_by_customers(
        make_article: Callable[..., Any], agent: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    make_article(title="ขั้นตอนอนุมัติคืนเงิน", body="หัวหน้าอนุมัติคืนเงินเกิน 5000 บาท", visibility="internal")

    assert [h.article.title for h in selectors.search(agent, "คืนเงิน").hits] == ["ขั้นตอนอนุมัติคืนเงิน"]
    assert selectors.search(AnonymousUser(), "คืนเงิน").hits == []
    assert selectors.search(None, "อนุมัติ").hits == []


@pytest.mark.django_db(transaction=True)
def test_only_published_articles_are_indexed_and_changes_reach_the_index_through_the_worker(
        make_article: Callable[..., Any], run_jobs: Callable[[], int]) -> None:
    draft = make_article(title="Gift wrapping", body="We wrap presents.", language="en", status="draft")
    assert titles("wrap") == []

    actions.update_article(actor=None, article=draft, status=Article.Status.PUBLISHED)
    assert titles("wrap") == [], "indexing happens in the background, not in the request"
    run_jobs()
    assert titles("wrap") == ["Gift wrapping"]

    actions.update_article(actor=None, article=draft, body="Presents are packed in paper.")
    run_jobs()
    assert titles("wrap") == ["Gift wrapping"]  # still in the title
    assert titles("paper") == ["Gift wrapping"]
    assert titles("presents wrap")[0] == "Gift wrapping"

    actions.update_article(actor=None, article=draft, status=Article.Status.ARCHIVED)
    run_jobs()
    assert titles("paper") == []
    assert not SearchTerm.objects.filter(term="paper").exists(), "document frequencies follow the index"

    actions.update_article(actor=None, article=draft, status=Article.Status.PUBLISHED)
    run_jobs()
    assert SearchTerm.objects.filter(term="paper").exists()
    actions.delete_article(actor=None, article=draft)
    assert SearchDocument.objects.count() == 0
    assert not SearchTerm.objects.filter(term="paper").exists()
    assert titles("paper") == []


@pytest.mark.django_db(transaction=True)
def test_highlighted_passages_escape_what_the_article_says(make_article: Callable[..., Any]) -> None:
    make_article(title="<b>Codes</b>", body="First paragraph about nothing.\n\nType <script>alert(1)</script> "
                 "in the coupon box to see the coupon error.", language="en")

    hit = engine.search("coupon").hits[0]

    assert "<script>" not in hit.snippet_html and "&lt;script&gt;" in hit.snippet_html
    assert "<mark>coupon</mark>" in hit.snippet_html
    assert "First paragraph" not in hit.snippet_html, "the best passage is shown, not the first"
    assert hit.title_html == "&lt;b&gt;Codes&lt;/b&gt;"


@pytest.mark.django_db(transaction=True)
def test_language_filter_and_mixed_thai_english_queries(make_article: Callable[..., Any]) -> None:
    th = make_article(title="ยกเลิกคำสั่งซื้อ", body="กดยกเลิก order ได้ก่อนจัดส่ง")
    make_article(title="Cancel an order", body="Cancel before it ships.", language="en", translation_of=th)

    assert titles("cancel", languages=("en",)) == ["Cancel an order"]
    assert titles("อยาก cancel order ได้ไหม", languages=("th",)) == ["ยกเลิกคำสั่งซื้อ"]
    assert sorted(titles("order")) == ["Cancel an order", "ยกเลิกคำสั่งซื้อ"]


@pytest.mark.django_db(transaction=True)
def test_nonsense_and_empty_queries_find_nothing_without_error(make_article: Callable[..., Any]) -> None:
    make_article(title="ผ่อนชำระ", body="ผ่อนได้")
    for query in ["", "   ", "ครับ", "???", '"OR" AND (', "'; DROP TABLE kb_article; --", "ก" * 600, "\x00"]:
        assert engine.search(query).hits == [], query
    assert titles("ผ่อน") == ["ผ่อนชำระ"]


# -- the demo knowledge base and the customer questions ------------------------------------------------------

def _questions() -> list[dict[str, str]]:
    return [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.django_db(transaction=True)
def test_search_answers_real_customer_questions(demo_kb: dict[str, Any]) -> None:
    """184 Thai, English and mixed questions written before the search was tuned (see benchmarks/README.md).
    Floors a little under what was measured (top-1 0.821, top-3 0.951), so a regression fails here."""
    table = evaluate(_questions())

    assert table["all"]["n"] >= 100
    assert table["all"]["top1"] >= 0.78, table
    assert table["all"]["top3"] >= 0.92, table
    assert table["lang:th"]["top1"] >= 0.78 and table["lang:en"]["top1"] >= 0.75, table
    assert table["style:no_tone"]["top3"] >= 0.9 and table["style:typo"]["top3"] >= 0.9, table


@pytest.mark.django_db(transaction=True)
def test_sqlite_and_postgresql_give_the_same_top_results(demo_kb: dict[str, Any], tmp_path: Path) -> None:
    """The same knowledge base and questions on the other database (a fresh one, built by the benchmark script
    in a subprocess): the same top three, in the same order, with the same scores."""
    here = "postgres" if connection.vendor == "postgresql" else "sqlite"
    other = "sqlite" if here == "postgres" else "postgres"
    dump = tmp_path / "other.json"
    env = {**os.environ, "RUAMCHAT_DATA_DIR": str(tmp_path / "data")}
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "kb_accuracy.py"), "--db", other, "--dump", str(dump)],
                   check=True, env=env, timeout=600, cwd=ROOT)
    theirs = json.loads(dump.read_text(encoding="utf-8"))
    ours = [[list(pair) for pair in ranked] for ranked in rankings(_questions())]

    assert len(ours) == len(theirs) >= 100
    different = [(q["q"], a, b) for q, a, b in zip(_questions(), ours, theirs, strict=True) if a != b]
    assert different == [], f"{here} and {other} disagree on {len(different)} questions: {different[:5]}"


@pytest.mark.django_db(transaction=True)
def test_an_export_leaves_out_a_file_lost_from_storage_and_keeps_everything_else(
        make_article: Callable[..., Any]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    article = make_article(title="คู่มือ", body="ดูไฟล์แนบ")
    kept = actions.add_attachment(actor=None, article=article,
                                  upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 kept", content_type="application/pdf"))
    lost = actions.add_attachment(actor=None, article=article,
                                  upload=SimpleUploadedFile("b.pdf", b"%PDF-1.4 lost", content_type="application/pdf"))
    lost.file.storage.delete(lost.file.name)

    exported = selectors.export_knowledge_base()

    files = exported["articles"][0]["versions"]["th"]["attachments"]
    assert [f["filename"] for f in files] == [kept.filename]


@pytest.mark.django_db(transaction=True)
def test_the_running_totals_behind_bm25_follow_every_change(
        make_article: Callable[..., Any], run_jobs: Callable[[], int]) -> None:
    from django.db.models import Count, Sum

    def expected() -> dict[str, float]:
        row = SearchDocument.objects.aggregate(n=Count("id"), title=Sum("title_length"),
                                               keywords=Sum("keyword_length"), body=Sum("body_length"))
        n = row["n"]
        return {"n": float(n), **{f: (row[f] or 0) / n if n else 0.0 for f in ("title", "keywords", "body")}}

    first = make_article(title="ผ่อนชำระ", body="ผ่อนได้นาน 10 เดือน", summary="บัตรเครดิต")
    second = make_article(title="Delivery", body="Parcels arrive in two days.", language="en")
    actions.update_article(actor=None, article=first, body="ผ่อนได้ 3 6 หรือ 10 เดือนกับบัตรที่ร่วมรายการ")
    actions.update_article(actor=None, article=second, status=Article.Status.ARCHIVED)
    run_jobs()
    engine.forget()
    assert engine._corpus() == expected() and expected()["n"] == 1

    actions.delete_article(actor=None, article=first)
    engine.forget()
    assert engine._corpus() == {"n": 0.0, "title": 0.0, "keywords": 0.0, "body": 0.0}
