"""The knowledge base through the API: search as agents do, editing by supervisors, export and import."""
# ruff: noqa: F811  (tests take the fixtures imported from tests/kb/conftest.py as parameters of the same name)

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ruamchat.kb.models import Article, ArticleAttachment, ArticleRevision, Category, SearchWord, SynonymSet
from tests.kb.conftest import kb_category, make_article  # noqa: F401  (the knowledge base's fixtures, here too)

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def editor_api(client_for: Callable[[Any], Client], supervisor: Any) -> Client:
    return client_for(supervisor)


@pytest.fixture
def shop_articles(make_article: Callable[..., Any]) -> dict[str, Any]:
    return {
        "instalments": make_article(
            title="ผ่อนชำระสินค้าด้วยบัตรเครดิต", summary="ผ่อน 0% นานสูงสุด 10 เดือน",
            body="ลูกค้าสามารถผ่อนชำระสินค้าได้นานสูงสุด 10 เดือนโดยไม่มีดอกเบี้ยเมื่อซื้อครบ 3,000 บาท"),
        "cards": make_article(
            title="ช่องทางการชำระเงิน",
            body="ชำระด้วยบัตรเครดิต โอนผ่านพร้อมเพย์ หรือเก็บเงินปลายทาง บัตรบางธนาคารผ่อนชำระได้"),
        "tax": make_article(
            title="ขอใบกำกับภาษีเต็มรูป",
            body="หลังสั่งซื้อแล้ว ลูกค้าขอใบกำกับภาษีได้ทางอีเมลภายใน 7 วัน และเราจะส่งให้ทางไปรษณีย์"),
        "english": make_article(
            title="Paying in instalments", language="en",
            body="Pay for your order in up to 10 monthly instalments with no interest."),
    }


# ---------------------------------------------------------------- search


def test_search_ranks_articles_and_marks_a_thai_word_found_inside_a_sentence(
        agent_api: Client, shop_articles: dict[str, Any]) -> None:
    response = agent_api.get("/api/v1/kb/search", {"q": "ผ่อนชำระ"})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "ผ่อนชำระ" and body["corrected"] == []
    ids = [hit["id"] for hit in body["results"]]
    assert ids[:2] == [shop_articles["instalments"].pk, shop_articles["cards"].pk]
    scores = [hit["score"] for hit in body["results"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[1] > 0
    best = body["results"][0]
    assert best["title"] == "ผ่อนชำระสินค้าด้วยบัตรเครดิต"
    assert best["title_html"] == "<mark>ผ่อนชำระ</mark>สินค้าด้วยบัตรเครดิต"
    assert "ลูกค้าสามารถ<mark>ผ่อนชำระ</mark>สินค้าได้นาน" in best["snippet_html"]
    assert best["summary"] == "ผ่อน 0% นานสูงสุด 10 เดือน"
    assert best["language"] == "th" and best["internal"] is False
    assert best["category"]["key"] == "payment" and best["category"]["name"] == "การชำระเงิน"
    assert best["url"].endswith("/help/th/a/%E0%B8%9C%E0%B9%88%E0%B8%AD%E0%B8%99%E0%B8%8A%E0%B8%B3%E0%B8%A3%E0%B8"
                                "%B0%E0%B8%AA%E0%B8%B4%E0%B8%99%E0%B8%84%E0%B9%89%E0%B8%B2%E0%B8%94%E0%B9%89%E0%B8"
                                "%A7%E0%B8%A2%E0%B8%9A%E0%B8%B1%E0%B8%95%E0%B8%A3%E0%B9%80%E0%B8%84%E0%B8%A3%E0%B8"
                                "%94%E0%B8%B4%E0%B8%95/")

    question = agent_api.get("/api/v1/kb/search", {"q": "ขอใบกำกับภาษีได้ไหมคะ"}).json()
    assert question["results"][0]["id"] == shop_articles["tax"].pk
    assert "ลูกค้าขอ<mark>ใบกำกับภาษี</mark>ได้ทางอีเมล" in question["results"][0]["snippet_html"]


def test_search_pages_with_limit_and_offset(agent_api: Client, shop_articles: dict[str, Any]) -> None:
    first = agent_api.get("/api/v1/kb/search", {"q": "ผ่อนชำระ", "limit": 1}).json()["results"]
    second = agent_api.get("/api/v1/kb/search", {"q": "ผ่อนชำระ", "limit": 1, "offset": 1}).json()["results"]
    assert [hit["id"] for hit in first + second] == [shop_articles["instalments"].pk, shop_articles["cards"].pk]


def test_search_in_one_language(agent_api: Client, shop_articles: dict[str, Any]) -> None:
    both = agent_api.get("/api/v1/kb/search", {"q": "10 เดือน instalments"}).json()["results"]
    assert {hit["language"] for hit in both} == {"th", "en"}
    english = agent_api.get("/api/v1/kb/search", {"q": "10 เดือน instalments", "lang": "en"}).json()["results"]
    assert [hit["id"] for hit in english] == [shop_articles["english"].pk]
    assert english[0]["url"].endswith("/help/en/a/paying-in-instalments/")
    thai = agent_api.get("/api/v1/kb/search", {"q": "10 เดือน instalments", "lang": "th"}).json()["results"]
    assert thai and {hit["language"] for hit in thai} == {"th"}


def test_agents_find_agent_only_articles_marked_internal(
        agent_api: Client, make_article: Callable[..., Any]) -> None:
    internal = make_article(title="ขั้นตอนคืนเงินสำหรับพนักงาน", visibility="internal",
                            body="พนักงานอนุมัติการคืนเงินในระบบหลังบ้านภายใน 3 วันทำการ")
    make_article(title="นโยบายคืนเงิน", body="ลูกค้าขอคืนเงินได้ภายใน 7 วันหลังได้รับสินค้า")
    results = agent_api.get("/api/v1/kb/search", {"q": "คืนเงิน"}).json()["results"]
    flags = {hit["id"]: hit["internal"] for hit in results}
    assert flags[internal.pk] is True
    assert list(flags.values()).count(False) == 1


def test_drafts_are_not_found(agent_api: Client, make_article: Callable[..., Any]) -> None:
    make_article(title="โปรโมชันลับยังไม่ประกาศ", status="draft", body="ส่วนลดพิเศษ")
    assert agent_api.get("/api/v1/kb/search", {"q": "โปรโมชัน"}).json()["results"] == []


@pytest.mark.parametrize("params", [
    {"q": ""}, {"q": "   "}, {}, {"q": "ผ่อน", "lang": "jp"}, {"q": "ผ่อน", "limit": 0}, {"q": "ผ่อน", "limit": 51},
    {"q": "ผ่อน", "offset": -1},
])
def test_search_refuses_an_empty_query_a_foreign_language_and_odd_pages(
        agent_api: Client, params: dict[str, Any]) -> None:
    response = agent_api.get("/api/v1/kb/search", params)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] and set(body["errors"]) <= {"q", "lang", "limit", "offset"}


def test_the_knowledge_base_needs_credentials(shop_articles: dict[str, Any], api_token: str) -> None:
    anonymous = Client()
    for path in ["/api/v1/kb/search?q=ผ่อน", "/api/v1/kb/articles", "/api/v1/kb/categories", "/api/v1/kb/export",
                 f"/api/v1/kb/articles/{shop_articles['tax'].pk}"]:
        response = anonymous.get(path)
        assert response.status_code == 401, path
        assert response.json()["detail"]
    assert anonymous.post("/api/v1/kb/import", {}, content_type=JSON).status_code == 401
    wrong = Client(headers={"Authorization": "Bearer not-a-token"}).get("/api/v1/kb/search", {"q": "ผ่อน"})
    assert wrong.status_code == 401
    right = Client(headers={"Authorization": f"Bearer {api_token}"}).get("/api/v1/kb/search", {"q": "ผ่อน"})
    assert right.status_code == 200


# ---------------------------------------------------------------- articles


def test_an_agent_reads_but_cannot_write(agent_api: Client, kb_category: Any,
                                         shop_articles: dict[str, Any]) -> None:
    response = agent_api.post("/api/v1/kb/articles", {"language": "th", "category_id": kb_category.pk,
                                                      "title": "บทความใหม่"}, content_type=JSON)
    assert response.status_code == 403
    assert response.json()["detail"] == "Only supervisors and administrators can change the knowledge base."
    tax = shop_articles["tax"]
    assert agent_api.patch(f"/api/v1/kb/articles/{tax.pk}", {"title": "x"}, content_type=JSON).status_code == 403
    assert agent_api.delete(f"/api/v1/kb/articles/{tax.pk}").status_code == 403
    assert agent_api.post("/api/v1/kb/categories", {"name_th": "หมวด"}, content_type=JSON).status_code == 403
    assert agent_api.get("/api/v1/kb/export").status_code == 403
    assert Article.objects.filter(pk=tax.pk, title="ขอใบกำกับภาษีเต็มรูป").exists()

    listed = agent_api.get("/api/v1/kb/articles", {"lang": "th"}).json()
    assert listed["count"] == 3 and listed["next_offset"] is None
    one = agent_api.get(f"/api/v1/kb/articles/{tax.pk}").json()
    assert one["title"] == "ขอใบกำกับภาษีเต็มรูป" and one["body"].startswith("หลังสั่งซื้อแล้ว")
    assert one["body_html"].startswith("<p>หลังสั่งซื้อแล้ว")


def test_a_supervisor_writes_an_article_that_becomes_searchable_once_indexed(
        editor_api: Client, agent_api: Client, kb_category: Any, run_jobs: Callable[[], int]) -> None:
    response = editor_api.post("/api/v1/kb/articles", {
        "language": "th", "category_id": kb_category.pk, "title": "รับประกันสินค้า 1 ปี",
        "body": "สินค้า**ทุกชิ้น**รับประกันศูนย์ไทยหนึ่งปีเต็ม", "summary": "เงื่อนไขการรับประกัน",
        "keywords": "ประกัน, เคลม", "status": "published",
    }, content_type=JSON)
    assert response.status_code == 201
    created = response.json()
    assert created["slug"] == "รับประกันสินค้า-1-ปี"
    assert created["status"] == "published" and created["visibility"] == "public"
    assert created["body_html"] == "<p>สินค้า<strong>ทุกชิ้น</strong>รับประกันศูนย์ไทยหนึ่งปีเต็ม</p>\n"
    assert created["category"] == {"id": kb_category.pk, "key": "payment", "name": "การชำระเงิน"}
    assert created["translations"] == [] and created["attachments"] == []
    assert created["published_at"] and created["updated_by"]["name"] == "Supa"

    assert agent_api.get("/api/v1/kb/search", {"q": "รับประกัน"}).json()["results"] == []
    run_jobs()
    results = agent_api.get("/api/v1/kb/search", {"q": "รับประกัน"}).json()["results"]
    assert [hit["id"] for hit in results] == [created["id"]]

    english = editor_api.post("/api/v1/kb/articles", {
        "language": "en", "category_id": kb_category.pk, "title": "One-year warranty",
        "translation_of": created["id"],
    }, content_type=JSON)
    assert english.status_code == 201
    assert english.json()["translations"] == [{"id": created["id"], "language": "th", "title": "รับประกันสินค้า 1 ปี"}]
    assert english.json()["key"] == created["key"] and english.json()["status"] == "draft"


def test_creating_an_article_names_the_field_that_is_wrong(editor_api: Client, kb_category: Any) -> None:
    missing = editor_api.post("/api/v1/kb/articles", {"language": "th", "category_id": 999_999, "title": "ก"},
                              content_type=JSON)
    assert missing.status_code == 400 and "category_id" in missing.json()["errors"]
    bad_slug = editor_api.post("/api/v1/kb/articles", {"language": "th", "category_id": kb_category.pk,
                                                       "title": "ก", "slug": "Not A Slug!"}, content_type=JSON)
    assert bad_slug.status_code == 400 and "slug" in bad_slug.json()["errors"]
    no_title = editor_api.post("/api/v1/kb/articles", {"language": "th", "category_id": kb_category.pk},
                               content_type=JSON)
    assert no_title.status_code == 400 and "title" in no_title.json()["errors"]
    translation = editor_api.post("/api/v1/kb/articles", {"language": "th", "category_id": kb_category.pk,
                                                          "title": "ก", "translation_of": 999_999}, content_type=JSON)
    assert translation.status_code == 400 and "translation_of" in translation.json()["errors"]
    assert not Article.objects.exists()


def test_a_change_is_a_revision_and_an_old_revision_can_be_restored(
        editor_api: Client, shop_articles: dict[str, Any]) -> None:
    tax = shop_articles["tax"]
    changed = editor_api.patch(f"/api/v1/kb/articles/{tax.pk}", {
        "title": "ขอใบกำกับภาษี", "body": "กรอกข้อมูลบริษัทตอนสั่งซื้อ", "note": "ย่อให้สั้น",
    }, content_type=JSON)
    assert changed.status_code == 200
    assert changed.json()["title"] == "ขอใบกำกับภาษี" and changed.json()["slug"] == tax.slug

    revisions = editor_api.get(f"/api/v1/kb/articles/{tax.pk}/revisions").json()
    assert [r["number"] for r in revisions] == [2, 1]
    assert revisions[0]["note"] == "ย่อให้สั้น" and revisions[0]["author"]["name"] == "Supa"
    assert revisions[1]["title"] == "ขอใบกำกับภาษีเต็มรูป" and revisions[1]["author"] is None

    restored = editor_api.post(f"/api/v1/kb/articles/{tax.pk}/revisions/1/restore")
    assert restored.status_code == 200
    assert restored.json()["title"] == "ขอใบกำกับภาษีเต็มรูป"
    assert restored.json()["body"].startswith("หลังสั่งซื้อแล้ว ลูกค้าขอใบกำกับภาษี")
    assert ArticleRevision.objects.filter(article=tax).count() == 3
    assert editor_api.post(f"/api/v1/kb/articles/{tax.pk}/revisions/9/restore").status_code == 404

    untouched = editor_api.patch(f"/api/v1/kb/articles/{tax.pk}", {"keywords": "vat, ภาษี"}, content_type=JSON)
    assert untouched.json()["keywords"] == "vat, ภาษี"
    assert ArticleRevision.objects.filter(article=tax).count() == 3


def test_an_article_moves_to_another_category_and_becomes_agent_only(
        editor_api: Client, shop_articles: dict[str, Any]) -> None:
    other = editor_api.post("/api/v1/kb/categories", {"name_th": "ภาษีและเอกสาร", "name_en": "Tax"},
                            content_type=JSON).json()
    tax = shop_articles["tax"]
    moved = editor_api.patch(f"/api/v1/kb/articles/{tax.pk}", {"category_id": other["id"], "visibility": "internal"},
                             content_type=JSON).json()
    assert moved["category"]["id"] == other["id"] and moved["visibility"] == "internal"
    nowhere = editor_api.patch(f"/api/v1/kb/articles/{tax.pk}", {"category_id": 999_999}, content_type=JSON)
    assert nowhere.status_code == 400 and "category_id" in nowhere.json()["errors"]
    odd = editor_api.patch(f"/api/v1/kb/articles/{tax.pk}", {"status": "secret"}, content_type=JSON)
    assert odd.status_code == 400 and "status" in odd.json()["errors"]


def test_articles_are_listed_with_filters_and_pages(agent_api: Client, shop_articles: dict[str, Any],
                                                    make_article: Callable[..., Any]) -> None:
    make_article(title="ร่างบทความ", status="draft")
    drafts = agent_api.get("/api/v1/kb/articles", {"status": "draft"}).json()
    assert [item["title"] for item in drafts["items"]] == ["ร่างบทความ"]
    english = agent_api.get("/api/v1/kb/articles", {"lang": "en"}).json()
    assert [item["title"] for item in english["items"]] == ["Paying in instalments"]
    found = agent_api.get("/api/v1/kb/articles", {"q": "ใบกำกับ"}).json()
    assert [item["id"] for item in found["items"]] == [shop_articles["tax"].pk]
    first = agent_api.get("/api/v1/kb/articles", {"limit": 3}).json()
    assert first["count"] == 5 and len(first["items"]) == 3 and first["next_offset"] == 3
    rest = agent_api.get("/api/v1/kb/articles", {"limit": 3, "offset": 3}).json()
    assert rest["next_offset"] is None
    assert len({item["id"] for item in first["items"] + rest["items"]}) == 5
    assert agent_api.get("/api/v1/kb/articles", {"status": "lost"}).status_code == 400


def test_unknown_ids_are_404(editor_api: Client, kb_category: Any) -> None:
    for method, path in [
        ("get", "/api/v1/kb/articles/999999"), ("patch", "/api/v1/kb/articles/999999"),
        ("delete", "/api/v1/kb/articles/999999"), ("get", "/api/v1/kb/articles/999999/revisions"),
        ("post", "/api/v1/kb/articles/999999/revisions/1/restore"), ("delete", "/api/v1/kb/attachments/999999"),
        ("patch", "/api/v1/kb/categories/999999"), ("delete", "/api/v1/kb/categories/999999"),
        ("delete", "/api/v1/kb/dictionary/words/999999"), ("delete", "/api/v1/kb/dictionary/synonyms/999999"),
        ("get", "/api/v1/kb/articles/99999999999999999999999"),
    ]:
        response = getattr(editor_api, method)(path, {} if method == "patch" else None, content_type=JSON)
        assert response.status_code == 404, (method, path)
        assert response.json()["detail"]


def test_an_article_is_deleted(editor_api: Client, agent_api: Client, shop_articles: dict[str, Any],
                               run_jobs: Callable[[], int]) -> None:
    tax = shop_articles["tax"]
    assert editor_api.delete(f"/api/v1/kb/articles/{tax.pk}").status_code == 204
    run_jobs()
    assert not Article.objects.filter(pk=tax.pk).exists()
    assert agent_api.get(f"/api/v1/kb/articles/{tax.pk}").status_code == 404
    assert agent_api.get("/api/v1/kb/search", {"q": "ใบกำกับภาษี"}).json()["results"] == []


# ---------------------------------------------------------------- files


def test_a_file_is_attached_listed_and_deleted(editor_api: Client, agent_api: Client,
                                               shop_articles: dict[str, Any]) -> None:
    tax = shop_articles["tax"]
    image = SimpleUploadedFile("ตัวอย่างใบกำกับ.png", b"\x89PNG\r\n\x1a\n fake", content_type="image/png")
    response = editor_api.post(f"/api/v1/kb/articles/{tax.pk}/attachments", {"file": image})
    assert response.status_code == 201
    attachment = response.json()
    assert attachment["filename"] == "ตัวอย่างใบกำกับ.png" and attachment["content_type"] == "image/png"
    assert attachment["size"] == 13 and attachment["is_image"] is True
    assert attachment["url"] == f"/help/files/{attachment['id']}/%E0%B8%95%E0%B8%B1%E0%B8%A7%E0%B8%AD%E0%B8%A2" \
                                "%E0%B9%88%E0%B8%B2%E0%B8%87%E0%B9%83%E0%B8%9A%E0%B8%81%E0%B8%B3%E0%B8%81%E0%B8%B1" \
                                "%E0%B8%9A.png"
    listed = agent_api.get(f"/api/v1/kb/articles/{tax.pk}").json()["attachments"]
    assert [a["id"] for a in listed] == [attachment["id"]]

    other = SimpleUploadedFile("x.png", b"png", content_type="image/png")
    assert agent_api.post(f"/api/v1/kb/articles/{tax.pk}/attachments", {"file": other}).status_code == 403
    assert agent_api.delete(f"/api/v1/kb/attachments/{attachment['id']}").status_code == 403
    script = SimpleUploadedFile("run.sh", b"echo hi", content_type="application/x-sh")
    refused = editor_api.post(f"/api/v1/kb/articles/{tax.pk}/attachments", {"file": script})
    assert refused.status_code == 400 and "cannot be sent" in refused.json()["detail"]
    nothing = editor_api.post(f"/api/v1/kb/articles/{tax.pk}/attachments", {})
    assert nothing.status_code == 400 and "file" in nothing.json()["errors"]
    broken = editor_api.post(f"/api/v1/kb/articles/{tax.pk}/attachments", b"--x\r\n",
                             content_type="multipart/form-data")
    assert broken.status_code == 400 and "file" in broken.json()["errors"]

    stored = ArticleAttachment.objects.get(pk=attachment["id"])
    path = stored.file.path
    assert editor_api.delete(f"/api/v1/kb/attachments/{attachment['id']}").status_code == 204
    assert not ArticleAttachment.objects.exists()
    assert not os.path.exists(path)


# ---------------------------------------------------------------- categories and the dictionary


def test_categories_are_managed_and_one_with_articles_is_not_deleted(
        editor_api: Client, agent_api: Client, shop_articles: dict[str, Any], kb_category: Any) -> None:
    created = editor_api.post("/api/v1/kb/categories", {
        "name_th": "การจัดส่ง", "name_en": "Shipping", "description_th": "Kerry, Flash, ไปรษณีย์ไทย", "icon": "🚚",
    }, content_type=JSON)
    assert created.status_code == 201
    shipping = created.json()
    assert shipping["slug_th"] == "การจัดส่ง" and shipping["slug_en"] == "shipping" and shipping["key"] == "shipping"
    assert shipping["article_count"] == 0 and shipping["position"] == kb_category.position + 1

    listed = agent_api.get("/api/v1/kb/categories").json()
    assert [(c["key"], c["article_count"]) for c in listed] == [("payment", 4), ("shipping", 0)]

    changed = editor_api.patch(f"/api/v1/kb/categories/{shipping['id']}", {"name_en": "Delivery", "position": 0},
                               content_type=JSON).json()
    assert changed["name_en"] == "Delivery" and changed["slug_en"] == "shipping" and changed["position"] == 0
    assert [c["key"] for c in agent_api.get("/api/v1/kb/categories").json()] == ["shipping", "payment"]

    for odd in [True, "1", 1.5, -1]:
        response = editor_api.patch(f"/api/v1/kb/categories/{shipping['id']}", {"position": odd}, content_type=JSON)
        assert response.status_code == 400 and "position" in response.json()["errors"], odd
    for odd in [[], "name_th", None]:
        response = editor_api.patch(f"/api/v1/kb/categories/{shipping['id']}", odd, content_type=JSON)
        assert response.status_code == 400, odd
    whole = editor_api.patch(f"/api/v1/kb/categories/{shipping['id']}", {"position": 1.0}, content_type=JSON)
    assert whole.status_code == 200 and whole.json()["position"] == 1
    editor_api.patch(f"/api/v1/kb/categories/{shipping['id']}", {"position": 0}, content_type=JSON)

    taken = editor_api.post("/api/v1/kb/categories", {"name_th": "ส่งของ", "slug_en": "shipping"}, content_type=JSON)
    assert taken.status_code == 400 and "slug_en" in taken.json()["errors"]

    full = editor_api.delete(f"/api/v1/kb/categories/{kb_category.pk}")
    assert full.status_code == 400
    assert full.json()["detail"] == "Move or delete this category's articles first."
    assert Category.objects.filter(pk=kb_category.pk).exists()
    assert agent_api.delete(f"/api/v1/kb/categories/{shipping['id']}").status_code == 403
    assert editor_api.delete(f"/api/v1/kb/categories/{shipping['id']}").status_code == 204
    assert not Category.objects.filter(key="shipping").exists()


def test_dictionary_words_and_synonyms(editor_api: Client, agent_api: Client, make_article: Callable[..., Any],
                                       run_jobs: Callable[[], int], django_capture_on_commit_callbacks: Any) -> None:
    article = make_article(title="แบ่งจ่ายรายเดือน", body="เลือกแบ่งจ่ายได้ตอนชำระเงิน")
    assert agent_api.get("/api/v1/kb/search", {"q": "ผ่อน"}).json()["results"] == []

    word = editor_api.post("/api/v1/kb/dictionary/words", {"word": "ชวนช้อป"}, content_type=JSON)
    assert word.status_code == 201 and word.json()["word"] == "ชวนช้อป"
    assert [w["word"] for w in agent_api.get("/api/v1/kb/dictionary/words").json()] == ["ชวนช้อป"]
    assert agent_api.post("/api/v1/kb/dictionary/words", {"word": "x"}, content_type=JSON).status_code == 403
    assert editor_api.post("/api/v1/kb/dictionary/words", {"word": ""}, content_type=JSON).status_code == 400
    assert editor_api.delete(f"/api/v1/kb/dictionary/words/{word.json()['id']}").status_code == 204
    assert not SearchWord.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):  # as after a real commit: the vocabulary is read again
        synonyms = editor_api.post("/api/v1/kb/dictionary/synonyms", {"words": ["ผ่อน", "แบ่งจ่าย"]},
                                   content_type=JSON)
    assert synonyms.status_code == 201 and synonyms.json()["words"] == ["ผ่อน", "แบ่งจ่าย"]
    run_jobs()
    results = agent_api.get("/api/v1/kb/search", {"q": "ผ่อน"}).json()["results"]
    assert [hit["id"] for hit in results] == [article.pk]

    one = editor_api.post("/api/v1/kb/dictionary/synonyms", {"words": ["ผ่อน"]}, content_type=JSON)
    assert one.status_code == 400 and "words" in one.json()["errors"]
    same = editor_api.post("/api/v1/kb/dictionary/synonyms", {"words": ["ผ่อน", "ผ่อน "]}, content_type=JSON)
    assert same.status_code == 400
    assert same.json()["errors"] == {"words": ["Value error, Each word may be given only once."]}
    commas = editor_api.post("/api/v1/kb/dictionary/synonyms", {"words": [",", "ผ่อน"]}, content_type=JSON)
    assert commas.status_code == 400 and "two words" in commas.json()["detail"]
    changed = editor_api.patch(f"/api/v1/kb/dictionary/synonyms/{synonyms.json()['id']}",
                               {"words": ["ผ่อน", "แบ่งจ่าย", "installment"]}, content_type=JSON)
    assert changed.json()["words"] == ["ผ่อน", "แบ่งจ่าย", "installment"]
    assert [s["words"] for s in agent_api.get("/api/v1/kb/dictionary/synonyms").json()] == [
        ["ผ่อน", "แบ่งจ่าย", "installment"]]
    assert agent_api.delete(f"/api/v1/kb/dictionary/synonyms/{synonyms.json()['id']}").status_code == 403
    assert editor_api.delete(f"/api/v1/kb/dictionary/synonyms/{synonyms.json()['id']}").status_code == 204
    assert not SynonymSet.objects.exists()


# ---------------------------------------------------------------- export and import


def _content(document: dict[str, Any]) -> Any:
    categories = sorted((c["key"], c["names"]["th"], c["names"]["en"], c["slugs"]["th"], c["slugs"]["en"])
                        for c in document["categories"])
    articles = sorted(
        (topic["key"], topic["category"], topic["visibility"], language, version["title"], version["slug"],
         version["body"], version["status"], tuple((a["filename"], a["content"]) for a in version["attachments"]))
        for topic in document["articles"] for language, version in topic["versions"].items()
    )
    return categories, articles, document["dictionary"], document["synonyms"]


def test_export_then_import_into_an_empty_knowledge_base_gives_it_back(
        editor_api: Client, agent_api: Client, admin_user: Any, client_for: Callable[[Any], Client],
        shop_articles: dict[str, Any], make_article: Callable[..., Any], run_jobs: Callable[[], int],
        django_capture_on_commit_callbacks: Any) -> None:
    from ruamchat.kb.actions import add_attachment, add_word, save_category, save_synonyms

    thai = shop_articles["instalments"]
    make_article(title="Card instalments", language="en", translation_of=thai, body="Up to **10 months**.")
    shipping = save_category(actor=None, name_th="การจัดส่ง", name_en="Shipping", icon="🚚")
    make_article(title="ติดตามพัสดุ", category=shipping, visibility="internal", status="draft",
                 body="ดูเลขพัสดุในหลังบ้าน")
    add_attachment(actor=None, article=thai, upload=SimpleUploadedFile("โปร.png", b"\x89PNG img", "image/png"))
    add_word(actor=None, word="พร้อมเพย์")
    save_synonyms(actor=None, words="ผ่อน, แบ่งจ่าย")

    response = editor_api.get("/api/v1/kb/export")
    assert response.status_code == 200
    exported = response.json()
    assert exported["format"] == "ruamchat-kb"
    before = _content(exported)
    assert len(before[0]) == 2 and len(before[1]) == 6

    for attachment in ArticleAttachment.objects.all():
        attachment.file.delete(save=False)
    Article.objects.all().delete()
    Category.objects.all().delete()
    SearchWord.objects.all().delete()
    SynonymSet.objects.all().delete()

    admin_api = client_for(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        imported = admin_api.post("/api/v1/kb/import", json.dumps(exported), content_type=JSON)
    assert imported.status_code == 200
    assert imported.json() == {"categories": 2, "articles_created": 6, "articles_updated": 0, "attachments": 1}
    assert _content(admin_api.get("/api/v1/kb/export").json()) == before
    assert Article.objects.get(language="en", key=thai.key).translations().get().title == thai.title

    run_jobs()
    results = agent_api.get("/api/v1/kb/search", {"q": "แบ่งจ่าย"}).json()["results"]
    assert results[0]["title"] == "ผ่อนชำระสินค้าด้วยบัตรเครดิต"

    again = admin_api.post("/api/v1/kb/import", json.dumps(exported), content_type=JSON).json()
    assert again == {"categories": 2, "articles_created": 0, "articles_updated": 6, "attachments": 0}  # already there
    assert ArticleAttachment.objects.count() == 1


@pytest.mark.parametrize("document", [
    {"format": "something-else", "categories": []},
    {"format": "ruamchat-kb", "categories": [{"key": "new", "names": {"th": "ใหม่"}}],
     "articles": [{"key": "a", "category": "missing", "versions": {"th": {"title": "ก"}}}]},
    {"format": "ruamchat-kb", "categories": [{"key": "new", "names": {"th": "ใหม่"}}],
     "articles": [{"key": "a", "category": "new", "versions": {"jp": {"title": "ก"}}}]},
    {"format": "ruamchat-kb", "categories": [{"key": "new", "names": {"th": "ใหม่"}}],
     "articles": [{"key": "a", "category": "new", "versions": {"th": {"title": "ก", "attachments": [
         {"filename": "a.png", "content_type": "image/png", "content": "not base64!"}]}}}]},
    {"format": "ruamchat-kb", "categories": [{"key": "new", "names": {"th": "ใหม่"}, "position": "first"}]},
    {"format": "ruamchat-kb", "articles": "everything"},
    [1, 2, 3],
    "ruamchat-kb",
    None,
])
def test_importing_garbage_is_400_and_changes_nothing(editor_api: Client, shop_articles: dict[str, Any],
                                                      document: Any) -> None:
    before = (Category.objects.count(), Article.objects.count(), ArticleRevision.objects.count())
    response = editor_api.post("/api/v1/kb/import", json.dumps(document), content_type=JSON)
    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    assert (Category.objects.count(), Article.objects.count(), ArticleRevision.objects.count()) == before
    assert not Category.objects.filter(key="new").exists()


def test_import_messages_say_what_is_wrong(editor_api: Client) -> None:
    foreign = editor_api.post("/api/v1/kb/import", {"format": "zendesk"}, content_type=JSON)
    assert "format" in foreign.json()["errors"]
    not_an_object = editor_api.post("/api/v1/kb/import", ["ruamchat-kb"], content_type=JSON)
    assert not_an_object.json()["detail"] == "This is not a ruamchat knowledge-base export."
    unknown = editor_api.post("/api/v1/kb/import", {"format": "ruamchat-kb", "articles": [
        {"key": "a", "category": "missing", "versions": {"th": {"title": "ก"}}}]}, content_type=JSON)
    assert unknown.json()["detail"] == "Article 1: unknown category missing."
    broken = editor_api.post("/api/v1/kb/import", b"{not json", content_type=JSON)
    assert broken.status_code == 400 and broken.json()["detail"] == "The request body is not valid JSON."


def test_an_agent_can_neither_export_nor_import(agent_api: Client) -> None:
    assert agent_api.get("/api/v1/kb/export").status_code == 403
    response = agent_api.post("/api/v1/kb/import", {"format": "ruamchat-kb", "categories": [
        {"key": "new", "names": {"th": "ใหม่"}}]}, content_type=JSON)
    assert response.status_code == 403
    assert not Category.objects.exists()


# ---------------------------------------------------------------- the API describes it


def test_the_openapi_document_lists_the_knowledge_base() -> None:
    document = Client().get("/api/v1/openapi.json").json()
    for path in ["/api/v1/kb/search", "/api/v1/kb/articles", "/api/v1/kb/articles/{article_id}",
                 "/api/v1/kb/articles/{article_id}/attachments", "/api/v1/kb/export", "/api/v1/kb/import",
                 "/api/v1/kb/dictionary/words", "/api/v1/kb/dictionary/synonyms", "/api/v1/kb/categories"]:
        assert path in document["paths"], path
        for operation in document["paths"][path].values():
            assert operation["tags"] == ["knowledge base"]
    upload = document["paths"]["/api/v1/kb/articles/{article_id}/attachments"]["post"]["requestBody"]
    assert set(upload["content"]) == {"multipart/form-data"}
    assert upload["content"]["multipart/form-data"]["schema"]["required"] == ["file"]
    body = document["paths"]["/api/v1/kb/import"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/KbExport"}


def test_a_broken_multipart_body_from_a_browser_session_is_a_400_not_a_crash(
    supervisor: Any, kb_category: Any
) -> None:
    from django.test import Client

    from ruamchat.kb.actions import create_article

    article = create_article(actor=None, language="th", category=kb_category, title="คู่มือ")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(supervisor)
    browser.get("/kb/")
    response = browser.generic("POST", f"/api/v1/kb/articles/{article.pk}/attachments", b"garbage",
                               content_type="multipart/form-data",
                               HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value)

    assert response.status_code == 400
    assert response.json()["errors"]["__all__"]
