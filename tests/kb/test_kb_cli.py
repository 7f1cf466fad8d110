"""`ruamchat kb export|import|reindex`: a whole knowledge base out to JSON and back in, and the search index
rebuilt from the articles."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from ruamchat.kb import actions, selectors
from ruamchat.kb.models import Article, ArticleAttachment, Category, SearchDocument, SearchWord, SynonymSet

pytestmark = pytest.mark.django_db

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def run(*args: str) -> str:
    out = io.StringIO()
    with translation.override("en"):  # the messages asserted on are the English ones
        call_command("kb", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, Any]:
    """What an import must bring back, without database ids."""
    return {
        "categories": list(Category.objects.order_by("position").values_list(
            "key", "position", "icon", "name_th", "name_en", "description_th", "description_en", "slug_th",
            "slug_en")),
        "articles": sorted(
            (a.key, a.language, a.category.key, a.title, a.slug, a.summary, a.keywords, a.body, a.status,
             a.visibility, a.position, sorted(t.language for t in a.translations()))
            for a in Article.objects.select_related("category")),
        "words": sorted(SearchWord.objects.values_list("word", flat=True)),
        "synonyms": sorted(SynonymSet.objects.values_list("words", flat=True)),
        "files": sorted(ArticleAttachment.objects.values_list("article__key", "article__language", "filename",
                                                              "content_type", "size")),
    }


@pytest.fixture
def knowledge_base(kb_category: Any, make_article: Callable[..., Any]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    shipping = actions.save_category(actor=None, key="shipping", name_th="การจัดส่ง", name_en="Shipping",
                                     description_th="Kerry Express, Flash, ไปรษณีย์ไทย", icon="🚚")
    thai = make_article(title="ผ่อนชำระ 0% นาน 10 เดือน", body="## วิธีผ่อน\n\nผ่อนได้กับ**บัตรเครดิต**ที่ร่วมรายการ",
                        summary="ผ่อนกับบัตรเครดิต", keywords="แบ่งจ่าย, ผ่อน")
    make_article(title="Paying in instalments", language="en", body="Pay over **10 months**.", translation_of=thai)
    make_article(title="ส่งกี่วันถึง", category=shipping, body="Kerry Express 1-2 วัน", slug="ส่งกี่วัน")
    make_article(title="ขั้นตอนภายในของทีม", status="draft", visibility="internal", body="เฉพาะทีม")
    actions.add_attachment(actor=None, article=thai,
                           upload=SimpleUploadedFile("ผ่อน.png", PNG, content_type="image/png"))
    actions.add_word(actor=None, word="ชวนพอยท์")
    actions.save_synonyms(actor=None, words="ผ่อน, แบ่งจ่าย, instalment")


def test_export_then_import_into_an_empty_knowledge_base_recreates_it(knowledge_base: None, tmp_path: Path,
                                                                     run_jobs: Callable[[], int]) -> None:
    before = snapshot()
    path = tmp_path / "kb.json"
    assert run("export", str(path)) == ""
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "ruamchat-kb" and len(data["articles"]) == 3
    assert "ผ่อนชำระ 0% นาน 10 เดือน" in path.read_text(encoding="utf-8")  # Thai as written, not \u escapes

    Article.objects.all().delete()
    Category.objects.all().delete()
    SearchWord.objects.all().delete()
    SynonymSet.objects.all().delete()
    run_jobs()
    assert not SearchDocument.objects.exists()

    out = run("import", str(path))
    assert "2 categories, 4 articles created, 0 updated, 1 files" in out
    assert snapshot() == before
    thai = Article.objects.get(language="th", key=Article.objects.get(language="en").key)
    assert thai.attachments.get().file.read() == PNG
    run_jobs()
    assert [hit.article for hit in selectors.search(None, "แบ่งจ่าย").hits] == [thai]

    again = run("import", str(path))  # importing the same file twice changes nothing
    assert "0 articles created, 4 updated" in again
    assert snapshot() == before  # the file is not added a second time


def test_export_to_standard_output_and_without_files(knowledge_base: None) -> None:
    data = json.loads(run("export"))
    assert data["format"] == "ruamchat-kb"
    versions = [v for topic in data["articles"] for v in topic["versions"].values()]
    assert any(v["attachments"] for v in versions)
    without = json.loads(run("export", "-", "--no-files"))
    assert all("attachments" not in v for topic in without["articles"] for v in topic["versions"].values())


def test_import_of_json_that_is_not_an_export_is_refused_clearly(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"conversations": [1, 2, 3]}), encoding="utf-8")
    with pytest.raises(CommandError, match=r"This is not a ruamchat knowledge-base export\."):
        run("import", str(other))

    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match=re.escape(f"cannot read {broken}")):
        run("import", str(broken))
    with pytest.raises(CommandError, match="cannot read"):
        run("import", str(tmp_path / "missing.json"))
    with pytest.raises(CommandError, match="give the file to import"):
        run("import")

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "ruamchat-kb", "categories": [{"key": "payment", "names": {"th": "ชำระ"}}],
                               "articles": [{"key": "x", "category": "payment",
                                             "versions": {"fr": {"title": "Payer"}}}]}), encoding="utf-8")
    with pytest.raises(CommandError, match=r"Article 1: unknown language fr\."):
        run("import", str(bad))
    assert not Category.objects.exists() and not Article.objects.exists()  # all or nothing


@pytest.mark.django_db(transaction=True)
def test_reindex_all_indexes_every_published_article(knowledge_base: None, run_jobs: Callable[[], int]) -> None:
    published = set(Article.objects.filter(status="published").values_list("pk", flat=True))
    assert len(published) == 3
    SearchDocument.objects.all().delete()
    assert selectors.search(None, "ผ่อน").hits == []

    out = run("reindex", "--all")

    assert out.strip() == "3 articles indexed"
    assert set(SearchDocument.objects.values_list("article_id", flat=True)) == published
    from ruamchat.kb.search import engine

    engine.forget()  # the corpus statistics are cached for a few seconds
    assert [hit.article.title for hit in selectors.search(None, "ส่งกี่วัน").hits][:1] == ["ส่งกี่วันถึง"]


@pytest.mark.django_db(transaction=True)
def test_reindex_without_all_indexes_only_what_is_missing(knowledge_base: None, run_jobs: Callable[[], int]) -> None:
    run_jobs()  # the index is up to date with the dictionary
    SearchDocument.objects.filter(article__title="ส่งกี่วันถึง").delete()
    assert run("reindex").strip() == "1 articles indexed"
    assert SearchDocument.objects.count() == 3
