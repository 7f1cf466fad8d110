"""The agents' knowledge base: writing articles (supervisors only) with revisions, preview, translations,
Thai-readable addresses and files; categories in order; the dictionary and synonyms; import and export; and the
suggestions panel beside a conversation, which offers articles to insert into the reply."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from ruamchat.kb import actions, selectors
from ruamchat.kb.models import Article, ArticleAttachment, Category, SearchWord, SynonymSet

pytestmark = pytest.mark.django_db

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
THAI = re.compile(r"[\u0e01-\u0e4e]")
SLUG_MESSAGE = "Use Thai or lower-case English letters, digits and single hyphens."


@pytest.fixture
def login() -> Callable[[Any], Client]:
    """A browser session of ``user`` (the agents' pages use the session, not API tokens)."""

    def make(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def html_of(response: Any, status: int = 200) -> str:
    assert response.status_code == status, (response.status_code, response.content[:500])
    return str(response.content.decode())


def form_data(category: Any, **fields: Any) -> dict[str, Any]:
    """The fields of the article form as the editor page sends them."""
    data = {"title": "ผ่อนชำระ 0% นาน 10 เดือน", "slug": "", "category": category.pk, "language": "th",
            "status": "published", "visibility": "public", "summary": "", "keywords": "", "body": "", "note": "",
            "save": ""}
    data.update(fields)
    return data


def flashes(html: str) -> list[str]:
    return [unescape(m) for m in re.findall(r'<li class="flash-[a-z]+">(.*?)</li>', html, re.S)]


def suggestion_items(html: str) -> dict[int, str]:
    """The suggestions panel's items: article id -> its HTML."""
    parts = re.split(r'(?=<li class="kb-suggestion")', html)
    items: dict[int, str] = {}
    for part in parts[1:]:
        found = re.match(r'<li class="kb-suggestion" data-article-id="(\d+)"', part)
        assert found is not None
        items[int(found.group(1))] = part.split("</li>", 1)[0]
    return items


# -- writing and permissions --------------------------------------------------------------------------------

def test_a_supervisor_creates_an_article_and_lands_on_its_editor(login: Callable[[Any], Client], supervisor: Any,
                                                                 kb_category: Any) -> None:
    client = login(supervisor)
    page = html_of(client.get("/kb/new"))
    for name in ("title", "slug", "category", "language", "status", "visibility", "summary", "keywords", "body",
                 "note"):
        assert f'name="{name}"' in page

    response = client.post("/kb/new", form_data(kb_category, body="## วิธีผ่อน\n\nผ่อนได้กับบัตรที่ร่วมรายการ",
                                                summary="ผ่อน 0% กับบัตรเครดิต", keywords="แบ่งจ่าย",
                                                note="บทความแรก"))

    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("kb:edit", kwargs={"pk": article.pk})
    assert (article.title, article.language, article.status, article.visibility) == (
        "ผ่อนชำระ 0% นาน 10 เดือน", "th", "published", "public")
    assert article.body == "## วิธีผ่อน\n\nผ่อนได้กับบัตรที่ร่วมรายการ"
    assert article.category == kb_category and article.keywords == "แบ่งจ่าย"
    assert list(article.revisions.values_list("number", "note")) == [(1, "บทความแรก")]
    page = html_of(client.get(response["Location"]))
    assert "Article saved." in flashes(page)
    assert 'value="ผ่อนชำระ 0% นาน 10 เดือน"' in page


def test_an_agent_reads_the_knowledge_base_but_cannot_write_it(login: Callable[[Any], Client], agent: Any,
                                                               kb_category: Any,
                                                               make_article: Callable[..., Any]) -> None:
    article = make_article(title="ผ่อนชำระด้วยบัตรเครดิต", body="ผ่อนได้นาน **10 เดือน**")
    client = login(agent)

    assert client.get("/kb/new").status_code == 403
    assert client.post("/kb/new", form_data(kb_category, title="บทความของพนักงาน")).status_code == 403
    assert client.get(f"/kb/{article.pk}/edit").status_code == 403
    assert client.post(f"/kb/{article.pk}/edit", form_data(kb_category, title="แก้ไขแล้ว")).status_code == 403
    assert client.post(f"/kb/{article.pk}/delete").status_code == 403
    assert client.post(f"/kb/{article.pk}/history/1/restore").status_code == 403
    assert list(Article.objects.values_list("title", flat=True)) == ["ผ่อนชำระด้วยบัตรเครดิต"]

    listing = html_of(client.get("/kb/"))
    assert "ผ่อนชำระด้วยบัตรเครดิต" in listing
    assert f'href="/kb/{article.pk}/"' in listing  # to the reading page, not the editor
    assert 'href="/kb/new"' not in listing
    detail = html_of(client.get(f"/kb/{article.pk}/"))
    assert "<strong>10 เดือน</strong>" in detail
    assert f'href="/kb/{article.pk}/edit"' not in detail


def test_anonymous_visitors_are_sent_to_the_login_page(client: Client, make_article: Callable[..., Any]) -> None:
    article = make_article(title="ผ่อนชำระด้วยบัตรเครดิต")
    for path in ("/kb/", "/kb/new", f"/kb/{article.pk}/", f"/kb/{article.pk}/edit", "/kb/categories",
                 "/kb/dictionary", "/kb/export.json"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse(settings.LOGIN_URL) + "?next="), path
    assert client.post("/kb/preview", {"body": "# x"}).status_code == 302


def test_editing_adds_a_revision_the_history_shows_the_diff_and_an_old_revision_can_be_restored(
        login: Callable[[Any], Client], supervisor: Any, kb_category: Any) -> None:
    client = login(supervisor)
    client.post("/kb/new", form_data(kb_category, title="การคืนสินค้า",
                                     body="คืนสินค้าได้ภายใน 7 วัน\n\nติดต่อทีมงานทางไลน์"))
    article = Article.objects.get()

    response = client.post(f"/kb/{article.pk}/edit", form_data(
        kb_category, title="การคืนสินค้า", slug=article.slug,
        body="คืนสินค้าได้ภายใน 14 วัน\n\nติดต่อทีมงานทางไลน์", note="ขยายเวลาคืนสินค้า"))
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body == "คืนสินค้าได้ภายใน 14 วัน\n\nติดต่อทีมงานทางไลน์"
    assert list(article.revisions.values_list("number", flat=True)) == [2, 1]

    history = html_of(client.get(f"/kb/{article.pk}/history"))
    assert '<span class="del">-คืนสินค้าได้ภายใน 7 วัน</span>' in history
    assert '<span class="add">+คืนสินค้าได้ภายใน 14 วัน</span>' in history
    assert "ขยายเวลาคืนสินค้า" in history
    assert f'action="/kb/{article.pk}/history/1/restore"' in history

    response = client.post(f"/kb/{article.pk}/history/1/restore")
    assert response.status_code == 302 and response["Location"] == f"/kb/{article.pk}/edit"
    article.refresh_from_db()
    assert article.body == "คืนสินค้าได้ภายใน 7 วัน\n\nติดต่อทีมงานทางไลน์"
    assert list(article.revisions.values_list("number", flat=True)) == [3, 2, 1]
    assert article.revisions.first().note == "Restored revision 1"
    assert "Revision 1 restored." in flashes(html_of(client.get(response["Location"])))
    assert client.post(f"/kb/{article.pk}/history/99/restore").status_code == 404


def test_the_preview_button_shows_rendered_markdown_and_saves_nothing(login: Callable[[Any], Client],
                                                                      supervisor: Any, kb_category: Any,
                                                                      make_article: Callable[..., Any]) -> None:
    client = login(supervisor)
    response = client.post("/kb/new", form_data(kb_category, body="## ขั้นตอน\n\nกด **ชำระเงิน**", preview="1"))
    page = html_of(response)
    assert not Article.objects.exists()
    preview = page.split('id="kb-preview"', 1)[1].split("</div>", 1)[0]
    assert "<h2>ขั้นตอน</h2>" in preview and "<strong>ชำระเงิน</strong>" in preview
    assert "## ขั้นตอน" in page  # the text stays in the editor

    article = make_article(title="การคืนสินค้า", body="เดิม")
    page = html_of(client.post(f"/kb/{article.pk}/edit", form_data(
        kb_category, title="การคืนสินค้า", slug=article.slug, body="# ใหม่", preview="1")))
    assert "<h1>ใหม่</h1>" in page
    article.refresh_from_db()
    assert article.body == "เดิม" and article.revisions.count() == 1


def test_the_preview_endpoint_renders_markdown_and_shows_html_as_text(login: Callable[[Any], Client],
                                                                      agent: Any) -> None:
    response = login(agent).post("/kb/preview", {
        "body": "## หัวข้อ\n\n- หนึ่ง\n- สอง\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>"})
    html = html_of(response)
    assert "<h2>หัวข้อ</h2>" in html and "<li>หนึ่ง</li>" in html
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert login(agent).get("/kb/preview").status_code == 405


# -- translations and addresses -----------------------------------------------------------------------------

def test_the_english_version_is_linked_to_the_thai_one_and_a_second_one_is_refused(
        login: Callable[[Any], Client], supervisor: Any, kb_category: Any, make_article: Callable[..., Any]) -> None:
    thai = make_article(title="ผ่อนชำระด้วยบัตรเครดิต", body="ผ่อนได้นาน 10 เดือน", visibility="internal")
    client = login(supervisor)
    editor = html_of(client.get(f"/kb/{thai.pk}/edit"))
    assert f'href="/kb/new?translation_of={thai.pk}"' in editor and "Write the English version" in editor

    page = html_of(client.get(f"/kb/new?translation_of={thai.pk}"))
    assert '<option value="en" selected>' in page  # the other language, preset
    assert "ผ่อนได้นาน 10 เดือน</textarea>" in page  # the text to translate
    assert f'action="/kb/new?translation_of={thai.pk}"' in page
    response = client.post(f"/kb/new?translation_of={thai.pk}", form_data(
        kb_category, title="Paying in instalments", language="en", visibility="internal",
        body="Pay over 10 months."))
    assert response.status_code == 302
    english = Article.objects.get(language="en")
    assert english.translation_key == thai.translation_key and english.key == thai.key
    assert list(thai.translations()) == [english]

    thai_editor = html_of(client.get(f"/kb/{thai.pk}/edit"))
    assert f'<a href="/kb/{english.pk}/edit" hreflang="en">EN: Paying in instalments</a>' in thai_editor
    assert "Write the English version" not in thai_editor
    english_editor = html_of(client.get(f"/kb/{english.pk}/edit"))
    assert f'<a href="/kb/{thai.pk}/edit" hreflang="th">TH: ผ่อนชำระด้วยบัตรเครดิต</a>' in english_editor

    refused = client.post(f"/kb/new?translation_of={thai.pk}", form_data(
        kb_category, title="Instalments again", language="en"))
    page = html_of(refused, 422)
    assert "This article already has a version in that language." in page
    assert Article.objects.count() == 2


def test_a_thai_title_gets_a_readable_thai_address(login: Callable[[Any], Client], supervisor: Any,
                                                    kb_category: Any) -> None:
    title = "เปลี่ยนที่อยู่จัดส่งหลังสั่งซื้อแล้วได้ไหม (ภายใน 1 ชั่วโมง)"
    login(supervisor).post("/kb/new", form_data(kb_category, title=title))
    slug = Article.objects.get().slug
    assert slug == "เปลี่ยนที่อยู่จัดส่งหลังสั่งซื้อแล้วได้ไหม-ภายใน-1-ชั่วโมง"
    # every Thai letter, vowel and tone mark of the title is still there, in order
    assert THAI.findall(slug) == THAI.findall(title)
    assert "่" in slug and "้" in slug and "ั" in slug  # tone marks and vowels above the line survive


def test_a_bad_address_is_refused_with_the_validators_message(
        login: Callable[[Any], Client], supervisor: Any, kb_category: Any, make_article: Callable[..., Any]) -> None:
    client = login(supervisor)
    for bad in ("Bad Slug!", "ผ่อน--ชำระ", "-ผ่อน", "ผ่อน/ชำระ"):
        page = html_of(client.post("/kb/new", form_data(kb_category, slug=bad)), 422)
        assert SLUG_MESSAGE in page, bad
    assert not Article.objects.exists()

    article = make_article(title="การคืนสินค้า")
    page = html_of(client.post(f"/kb/{article.pk}/edit", form_data(kb_category, title="การคืนสินค้า",
                                                                  slug="คืน สินค้า")), 422)
    assert SLUG_MESSAGE in page
    article.refresh_from_db()
    assert article.slug == "การคืนสินค้า"


def test_a_chosen_address_is_kept_and_a_taken_one_gets_a_number(login: Callable[[Any], Client], supervisor: Any,
                                                                 kb_category: Any) -> None:
    client = login(supervisor)
    client.post("/kb/new", form_data(kb_category, title="ผ่อนชำระ", slug="ผ่อน-0"))
    client.post("/kb/new", form_data(kb_category, title="ผ่อนชำระอีกแบบ", slug="ผ่อน-0"))
    assert sorted(Article.objects.values_list("slug", flat=True)) == ["ผ่อน-0", "ผ่อน-0-2"]


# -- files --------------------------------------------------------------------------------------------------

def test_an_uploaded_image_is_listed_with_its_markdown_is_served_and_can_be_removed(
        login: Callable[[Any], Client], supervisor: Any, make_article: Callable[..., Any]) -> None:
    article = make_article(title="วิธีสแกนจ่าย", body="สแกน QR")
    client = login(supervisor)
    response = client.post(f"/kb/{article.pk}/files",
                           {"file": SimpleUploadedFile("qr-step.png", PNG, content_type="image/png")})
    assert response.status_code == 302
    assert response["Location"] == f"/kb/{article.pk}/edit#attachments"
    attachment = ArticleAttachment.objects.get()
    assert (attachment.filename, attachment.content_type, attachment.size) == ("qr-step.png", "image/png", len(PNG))

    try:
        file_url = reverse("help:file", kwargs={"attachment_id": attachment.pk, "filename": "qr-step.png"})
    except NoReverseMatch:  # pragma: no cover - the help center's file view is written separately
        pytest.fail("the URL name help:file does not resolve")
    assert file_url == f"/help/files/{attachment.pk}/qr-step.png"
    page = html_of(client.get(f"/kb/{article.pk}/edit"))
    assert f'<a href="{file_url}">qr-step.png</a>' in page
    assert f"![qr-step.png]({file_url})" in page
    served = client.get(file_url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == PNG

    response = client.post(f"/kb/{article.pk}/files/{attachment.pk}/delete")
    assert response.status_code == 302
    assert not ArticleAttachment.objects.exists()
    assert client.get(file_url).status_code == 404
    assert "qr-step.png" not in html_of(client.get(f"/kb/{article.pk}/edit"))


def test_a_file_of_a_forbidden_type_is_refused_with_a_message(login: Callable[[Any], Client], supervisor: Any,
                                                              agent: Any, make_article: Callable[..., Any]) -> None:
    article = make_article(title="วิธีสแกนจ่าย")
    client = login(supervisor)
    response = client.post(f"/kb/{article.pk}/files", {
        "file": SimpleUploadedFile("run.sh", b"#!/bin/sh\necho hi\n", content_type="application/x-sh")},
        follow=True)
    assert not ArticleAttachment.objects.exists()
    assert any("run.sh" in message for message in flashes(html_of(response)))
    upload = SimpleUploadedFile("qr.png", PNG, content_type="image/png")
    assert login(agent).post(f"/kb/{article.pk}/files", {"file": upload}).status_code == 403
    assert not ArticleAttachment.objects.exists()


# -- categories ---------------------------------------------------------------------------------------------

def category_names(html: str) -> list[str]:
    table = html.split('id="kb-categories"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<td class="num">\d+</td><td>\S* ?(.+?)<br>', table)


def test_categories_are_created_edited_and_moved(login: Callable[[Any], Client], supervisor: Any) -> None:
    client = login(supervisor)
    for name_th, name_en in (("การชำระเงิน", "Payment"), ("การจัดส่ง", "Shipping"), ("การคืนสินค้า", "Returns")):
        response = client.post("/kb/categories", {"name_th": name_th, "name_en": name_en, "icon": "📦"})
        assert response.status_code == 302
    assert category_names(html_of(client.get("/kb/categories"))) == ["การชำระเงิน", "การจัดส่ง", "การคืนสินค้า"]
    shipping = Category.objects.get(name_en="Shipping")
    assert (shipping.slug_th, shipping.slug_en, shipping.key) == ("การจัดส่ง", "shipping", "shipping")

    form = html_of(client.get(f"/kb/categories?edit={shipping.pk}"))
    assert f'<input type="hidden" name="id" value="{shipping.pk}">' in form and 'value="Shipping"' in form
    response = client.post("/kb/categories", {"id": shipping.pk, "name_th": "การจัดส่งสินค้า", "name_en": "Delivery",
                                              "slug_th": "การจัดส่ง", "slug_en": "shipping", "icon": "🚚",
                                              "description_th": "Kerry, Flash, ไปรษณีย์ไทย"})
    assert response.status_code == 302
    shipping.refresh_from_db()
    assert (shipping.name_th, shipping.name_en, shipping.icon, shipping.description_th) == (
        "การจัดส่งสินค้า", "Delivery", "🚚", "Kerry, Flash, ไปรษณีย์ไทย")
    assert Category.objects.count() == 3

    client.post(f"/kb/categories/{shipping.pk}/move", {"to": "up"})
    assert category_names(html_of(client.get("/kb/categories"))) == ["การจัดส่งสินค้า", "การชำระเงิน", "การคืนสินค้า"]
    client.post(f"/kb/categories/{shipping.pk}/move", {"to": "down"})
    client.post(f"/kb/categories/{shipping.pk}/move", {"to": "down"})
    assert category_names(html_of(client.get("/kb/categories"))) == ["การชำระเงิน", "การคืนสินค้า", "การจัดส่งสินค้า"]
    assert list(Category.objects.order_by("position").values_list("position", flat=True)) == [1, 2, 3]
    client.post(f"/kb/categories/{shipping.pk}/move", {"to": "down"})  # already last: stays
    assert Category.objects.order_by("position").last() == shipping


def test_a_category_with_a_bad_address_is_refused(login: Callable[[Any], Client], supervisor: Any) -> None:
    page = html_of(login(supervisor).post("/kb/categories", {"name_th": "การจัดส่ง", "slug_en": "Ship It"}), 422)
    assert SLUG_MESSAGE in page
    assert not Category.objects.exists()


def test_a_category_with_articles_cannot_be_deleted_an_empty_one_can(login: Callable[[Any], Client],
                                                                    supervisor: Any, kb_category: Any,
                                                                    make_article: Callable[..., Any]) -> None:
    make_article(title="ผ่อนชำระ")
    empty = actions.save_category(actor=None, name_th="หมวดว่าง", name_en="Empty")
    client = login(supervisor)

    response = client.post(f"/kb/categories/{kb_category.pk}/delete", follow=True)
    assert "Move or delete this category's articles first." in flashes(html_of(response))
    assert Category.objects.filter(pk=kb_category.pk).exists()

    response = client.post(f"/kb/categories/{empty.pk}/delete", follow=True)
    assert "Category deleted." in flashes(html_of(response))
    assert list(Category.objects.all()) == [kb_category]


def test_an_agent_sees_the_categories_but_cannot_change_them(login: Callable[[Any], Client], agent: Any,
                                                            kb_category: Any) -> None:
    other = actions.save_category(actor=None, name_th="การจัดส่ง", name_en="Shipping")
    client = login(agent)
    page = html_of(client.get("/kb/categories"))
    assert "การชำระเงิน" in page and 'id="category-form"' not in page and "/move" not in page
    assert client.post("/kb/categories", {"name_th": "หมวดใหม่"}).status_code == 403
    assert client.post("/kb/categories", {"id": kb_category.pk, "name_th": "เปลี่ยนชื่อ"}).status_code == 403
    assert client.post(f"/kb/categories/{other.pk}/move", {"to": "up"}).status_code == 403
    assert client.post(f"/kb/categories/{other.pk}/delete").status_code == 403
    assert list(Category.objects.order_by("position").values_list("name_th", flat=True)) == ["การชำระเงิน",
                                                                                             "การจัดส่ง"]


# -- the dictionary and synonyms ----------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_words_and_synonyms_from_the_dictionary_page_change_what_search_finds(
        login: Callable[[Any], Client], supervisor: Any, agent: Any, make_article: Callable[..., Any],
        run_jobs: Callable[[], int]) -> None:
    article = make_article(title="ผ่อนชำระ 0%", body="ผ่อนได้นาน 10 เดือน สะสมชวนพอยท์ได้ด้วย")
    assert selectors.search(agent, "แบ่งจ่าย").hits == []
    client = login(supervisor)

    response = client.post("/kb/dictionary", {"what": "word", "word": "ชวนพอยท์"}, follow=True)
    assert "Saved. Articles are being indexed again with the new words." in flashes(html_of(response))
    response = client.post("/kb/dictionary", {"what": "synonyms", "words": "ผ่อน, แบ่งจ่าย"})
    assert response.status_code == 302
    run_jobs()

    page = html_of(client.get("/kb/dictionary"))
    assert "ชวนพอยท์" in page.split('id="kb-words"', 1)[1].split("</ul>", 1)[0]
    assert 'value="ผ่อน, แบ่งจ่าย"' in page
    assert [hit.article for hit in selectors.search(agent, "แบ่งจ่ายได้ไหม").hits] == [article]
    assert [hit.article for hit in selectors.search(agent, "ชวนพอยท์").hits] == [article]
    listing = html_of(login(agent).get("/kb/", {"q": "แบ่งจ่าย"}))
    assert f'href="/kb/{article.pk}/"' in listing.split('id="kb-results"', 1)[1]

    synonyms = SynonymSet.objects.get()
    client.post("/kb/dictionary", {"what": "synonyms", "id": synonyms.pk, "words": "ผ่อน, แบ่งจ่าย, instalment"})
    synonyms.refresh_from_db()
    assert synonyms.words == "ผ่อน, แบ่งจ่าย, instalment" and SynonymSet.objects.count() == 1

    client.post("/kb/dictionary", {"what": "remove-synonyms", "id": synonyms.pk})
    client.post("/kb/dictionary", {"what": "remove-word", "id": SearchWord.objects.get().pk})
    run_jobs()
    assert not SynonymSet.objects.exists() and not SearchWord.objects.exists()
    assert selectors.search(agent, "แบ่งจ่าย").hits == []
    page = html_of(client.get("/kb/dictionary"))
    assert "ชวนพอยท์" not in page.split('id="kb-words"', 1)[1].split("</ul>", 1)[0]


def test_a_synonym_set_of_one_word_is_refused_and_agents_cannot_change_the_dictionary(
        login: Callable[[Any], Client], supervisor: Any, agent: Any) -> None:
    response = login(supervisor).post("/kb/dictionary", {"what": "synonyms", "words": "ผ่อน"}, follow=True)
    assert "Give at least two words that mean the same, separated by commas." in flashes(html_of(response))
    assert not SynonymSet.objects.exists()
    client = login(agent)
    assert client.post("/kb/dictionary", {"what": "word", "word": "ชวนพอยท์"}).status_code == 403
    assert client.post("/kb/dictionary", {"what": "synonyms", "words": "ผ่อน, แบ่งจ่าย"}).status_code == 403
    assert not SearchWord.objects.exists() and not SynonymSet.objects.exists()
    page = html_of(client.get("/kb/dictionary"))
    assert 'id="new-word"' not in page


# -- search in the agents' list -----------------------------------------------------------------------------

def test_searching_the_list_finds_a_thai_word_inside_a_sentence_and_marks_it(
        login: Callable[[Any], Client], agent: Any, make_article: Callable[..., Any]) -> None:
    article = make_article(title="เงื่อนไขการสั่งซื้อ", body="สั่งซื้อแล้วสามารถผ่อนชำระได้นาน 10 เดือนกับบัตรที่ร่วมรายการ")
    make_article(title="การจัดส่ง", body="จัดส่งฟรีทั่วประเทศเมื่อซื้อครบ 990 บาท")

    page = html_of(login(agent).get("/kb/", {"q": "ผ่อน"}))
    results = page.split('id="kb-results"', 1)[1].split("</ol>", 1)[0]
    assert f'href="/kb/{article.pk}/"' in results
    assert "<mark>ผ่อน" in results
    assert "การจัดส่ง" not in results
    assert "1 article found" in page
    assert 'value="ผ่อน"' in page  # the search box keeps the query

    nothing = html_of(login(agent).get("/kb/", {"q": "ตู้เย็น"}))
    assert "No article matches. Try other words." in nothing


# -- import and export --------------------------------------------------------------------------------------

def test_the_export_downloads_json_and_importing_it_again_changes_nothing(
        login: Callable[[Any], Client], supervisor: Any, make_article: Callable[..., Any]) -> None:
    thai = make_article(title="ผ่อนชำระด้วยบัตรเครดิต", body="ผ่อนได้นาน 10 เดือน")
    make_article(title="Paying in instalments", language="en", body="Pay over 10 months.", translation_of=thai)
    make_article(title="ขั้นตอนภายในของทีม", status="draft", visibility="internal")
    actions.save_synonyms(actor=None, words="ผ่อน, แบ่งจ่าย")
    client = login(supervisor)

    response = client.get("/kb/export.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert re.fullmatch(r'attachment; filename="ruamchat-kb-\d{8}-\d{4}\.json"', response["Content-Disposition"])
    raw = response.content
    assert "ผ่อนชำระด้วยบัตรเครดิต".encode() in raw  # Thai as it is, not \u escapes
    data = json.loads(raw)
    assert data["format"] == "ruamchat-kb"
    assert [c["key"] for c in data["categories"]] == ["payment"]
    topics = {topic["key"]: topic for topic in data["articles"]}
    assert len(topics) == 2
    assert {lang: v["title"] for lang, v in topics[thai.key]["versions"].items()} == {
        "th": "ผ่อนชำระด้วยบัตรเครดิต", "en": "Paying in instalments"}
    assert data["synonyms"] == [["ผ่อน", "แบ่งจ่าย"]]

    before = sorted(Article.objects.values_list("pk", "title", "slug", "body", "status", "translation_key"))
    revisions = sorted(Article.objects.values_list("pk", "revisions__number"))
    upload = SimpleUploadedFile("kb.json", raw, content_type="application/json")
    response = client.post("/kb/transfer", {"file": upload}, follow=True)
    assert response.redirect_chain == [("/kb/", 302)]
    assert "Imported 1 categories: 0 articles created, 3 updated." in flashes(html_of(response))
    assert sorted(Article.objects.values_list("pk", "title", "slug", "body", "status", "translation_key")) == before
    assert sorted(Article.objects.values_list("pk", "revisions__number")) == revisions
    assert Category.objects.count() == 1 and SynonymSet.objects.count() == 1


def test_importing_the_export_into_an_empty_knowledge_base_recreates_it(
        login: Callable[[Any], Client], supervisor: Any, make_article: Callable[..., Any]) -> None:
    thai = make_article(title="ผ่อนชำระด้วยบัตรเครดิต", body="ผ่อนได้นาน 10 เดือน")
    make_article(title="Paying in instalments", language="en", body="Pay over 10 months.", translation_of=thai)
    client = login(supervisor)
    raw = client.get("/kb/export.json").content
    Article.objects.all().delete()
    Category.objects.all().delete()

    response = client.post("/kb/transfer", {"file": SimpleUploadedFile("kb.json", raw)}, follow=True)
    assert "Imported 1 categories: 2 articles created, 0 updated." in flashes(html_of(response))
    articles = {a.language: a for a in Article.objects.all()}
    assert articles["th"].title == "ผ่อนชำระด้วยบัตรเครดิต" and articles["th"].slug == thai.slug
    assert articles["en"].translation_key == articles["th"].translation_key


def test_a_file_that_is_not_an_export_shows_an_error_and_imports_nothing(login: Callable[[Any], Client],
                                                                         supervisor: Any) -> None:
    client = login(supervisor)
    for raw, message in ((b"\x89PNG not json at all", "This file is not JSON."),
                         (b"{not json", "This file is not JSON."),
                         (b'{"hello": "world"}', "This is not a ruamchat knowledge-base export."),
                         (b"[1, 2, 3]", "This is not a ruamchat knowledge-base export.")):
        response = client.post("/kb/transfer", {"file": SimpleUploadedFile("kb.json", raw)})
        page = html_of(response)  # the import page again, with the error
        assert message in flashes(page), raw
        assert 'id="kb-import-file"' in page
    bad_article = {"format": "ruamchat-kb", "categories": [{"key": "payment", "names": {"th": "การชำระเงิน"}}],
                   "articles": [{"key": "x", "category": "nowhere", "versions": {"th": {"title": "ก"}}}]}
    response = client.post("/kb/transfer", {"file": SimpleUploadedFile(
        "kb.json", json.dumps(bad_article).encode())})
    assert "Article 1: unknown category nowhere." in flashes(html_of(response))
    assert not Article.objects.exists() and not Category.objects.exists()  # all or nothing


def test_an_agent_can_neither_export_nor_import(login: Callable[[Any], Client], agent: Any) -> None:
    client = login(agent)
    assert client.get("/kb/export.json").status_code == 403
    assert client.get("/kb/transfer").status_code == 403
    raw = json.dumps({"format": "ruamchat-kb", "categories": [{"key": "x", "names": {"th": "หมวด"}}]}).encode()
    assert client.post("/kb/transfer", {"file": SimpleUploadedFile("kb.json", raw)}).status_code == 403
    assert not Category.objects.exists()
    assert "/kb/transfer" not in html_of(client.get("/kb/"))


# -- the suggestions panel in a conversation ----------------------------------------------------------------

@pytest.fixture
def instalment_question(visitor_says: Callable[..., Any]) -> Any:
    """A website conversation in which the customer asks about paying in instalments."""
    return visitor_says("อยากผ่อนบัตรเครดิตได้ไหมคะ").conversation


def test_the_panel_suggests_articles_for_what_the_customer_asked(
        login: Callable[[Any], Client], agent: Any, instalment_question: Any,
        make_article: Callable[..., Any]) -> None:
    instalments = make_article(title="ผ่อนชำระด้วยบัตรเครดิต", body="ผ่อน 0% นาน 10 เดือนกับบัตรเครดิตที่ร่วมรายการ")
    make_article(title="ส่งกี่วันถึง", body="จัดส่งด้วย Kerry Express ภายใน 2-3 วันทำการ")

    response = login(agent).get("/kb/suggest", {"conversation": instalment_question.pk})
    html = html_of(response)
    assert "Suggested from the customer's last messages" in html
    items = suggestion_items(html)
    assert list(items) == [instalments.pk]
    item = items[instalments.pk]
    url = selectors.article_url(instalments)
    assert url.startswith("http") and "/help/th/a/" in url
    assert f'data-kb-insert="{escape(f"ผ่อนชำระด้วยบัตรเครดิต: {url}")}"' in item
    assert ">Insert link</button>" in item and ">Insert text</button>" in item
    text_button = re.search(r'data-kb-insert="([^"]*)">Insert text</button>', item)
    assert text_button is not None
    assert "ผ่อน 0% นาน 10 เดือน" in text_button.group(1) and url in text_button.group(1)
    assert "<mark>" in item
    assert 'hx-get="/kb/suggest"' in html and f'name="conversation" value="{instalment_question.pk}"' in html


def test_the_panel_searches_what_the_agent_typed(login: Callable[[Any], Client], agent: Any,
                                                 instalment_question: Any, make_article: Callable[..., Any]) -> None:
    make_article(title="ผ่อนชำระด้วยบัตรเครดิต", body="ผ่อน 0% นาน 10 เดือน")
    shipping = make_article(title="ส่งกี่วันถึง", body="จัดส่งด้วย Kerry Express ภายใน 2-3 วันทำการ")

    html = html_of(login(agent).get("/kb/suggest", {"conversation": instalment_question.pk, "q": "จัดส่ง"}))
    assert list(suggestion_items(html)) == [shipping.pk]
    assert "Results for “จัดส่ง”" in html
    assert 'value="จัดส่ง"' in html
    nothing = html_of(login(agent).get("/kb/suggest", {"conversation": instalment_question.pk, "q": "ตู้เย็น"}))
    assert suggestion_items(nothing) == {} and "No article matches. Try other words." in nothing


def test_the_panel_of_a_conversation_the_agent_cannot_see_is_not_found(
        login: Callable[[Any], Client], make_agent: Callable[..., Any], support_team: Any,
        instalment_question: Any, make_article: Callable[..., Any]) -> None:
    make_article(title="ผ่อนชำระด้วยบัตรเครดิต", body="ผ่อน 0% นาน 10 เดือน")
    outsider = make_agent(teams=[support_team], username="outsider")
    client = login(outsider)
    assert client.get("/kb/suggest", {"conversation": instalment_question.pk}).status_code == 404
    assert client.get("/kb/suggest", {"conversation": instalment_question.pk, "q": "ผ่อน"}).status_code == 404
    assert client.get("/kb/suggest", {"conversation": "999999"}).status_code == 404
    assert client.get("/kb/suggest").status_code == 404


def test_agent_only_articles_are_offered_as_text_but_not_as_a_link(
        login: Callable[[Any], Client], agent: Any, instalment_question: Any, make_article: Callable[..., Any]) -> None:
    internal = make_article(title="ขั้นตอนอนุมัติผ่อนบัตรเครดิตสำหรับทีม", visibility="internal",
                            body="ตรวจสอบบัตรเครดิตก่อนอนุมัติการผ่อนทุกครั้ง")

    item = suggestion_items(html_of(login(agent).get("/kb/suggest", {"conversation": instalment_question.pk})))[
        internal.pk]
    assert '<span class="badge badge-internal">Agents only</span>' in item
    assert "Insert link" not in item
    assert ">Insert text</button>" in item
    assert "/help/" not in item  # no public address to give the customer


def test_the_agent_only_badge_follows_the_agents_language(
        login: Callable[[Any], Client], make_agent: Callable[..., Any], team: Any, instalment_question: Any,
        make_article: Callable[..., Any]) -> None:
    internal = make_article(title="ขั้นตอนอนุมัติผ่อนบัตรเครดิตสำหรับทีม", visibility="internal",
                            body="ตรวจสอบบัตรเครดิตก่อนอนุมัติการผ่อนทุกครั้ง")
    thai_agent = make_agent(teams=[team], username="kanya", language="th")
    html = html_of(login(thai_agent).get("/kb/suggest", {"conversation": instalment_question.pk}))
    item = suggestion_items(html)[internal.pk]
    with translation.override("th"):
        badge, text_button = gettext("Agents only"), gettext("Insert text")
    assert f'<span class="badge badge-internal">{badge}</span>' in item
    assert f">{text_button}</button>" in item


def test_a_draft_or_archived_article_is_not_suggested(login: Callable[[Any], Client], agent: Any,
                                                       instalment_question: Any,
                                                       make_article: Callable[..., Any]) -> None:
    make_article(title="ผ่อนบัตรเครดิตแบบใหม่ (ร่าง)", status="draft", body="ผ่อนบัตรเครดิต")
    make_article(title="ผ่อนบัตรเครดิตแบบเก่า", status="archived", body="ผ่อนบัตรเครดิต")
    html = html_of(login(agent).get("/kb/suggest", {"conversation": instalment_question.pk}))
    assert suggestion_items(html) == {}
    assert "No article matches the customer's messages yet." in html


def test_the_conversation_page_has_the_knowledge_base_panel(login: Callable[[Any], Client], agent: Any,
                                                             instalment_question: Any) -> None:
    html = html_of(login(agent).get(f"/inbox/c/{instalment_question.pk}/"))
    panel = html.split('id="kb-panel"', 1)[1].split("</section>", 1)[0]
    assert f'hx-get="/kb/suggest?conversation={instalment_question.pk}"' in panel
    assert 'hx-trigger="load"' in panel
    assert "Knowledge base" in panel


def test_html_in_a_title_or_text_is_shown_as_text_in_results_and_suggestions(
        login: Callable[[Any], Client], agent: Any, instalment_question: Any, make_article: Callable[..., Any]) -> None:
    article = make_article(title="ผ่อนบัตรเครดิต <img src=x onerror=alert(1)>",
                           body="ผ่อนบัตรเครดิตได้ <script>alert('x')</script> \"quoted\" นาน 10 เดือน")
    client = login(agent)
    for html in (html_of(client.get("/kb/suggest", {"conversation": instalment_question.pk})),
                 html_of(client.get("/kb/", {"q": "ผ่อน"})),
                 html_of(client.get(f"/kb/{article.pk}/"))):
        assert "<img src=x" not in html and "<script>alert" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
    item = suggestion_items(html_of(client.get("/kb/suggest", {"conversation": instalment_question.pk})))[article.pk]
    insert = re.findall(r'data-kb-insert="([^"]*)"', item)
    assert len(insert) == 2
    assert all("<" not in value and '"' not in value for value in insert)
    assert "&quot;quoted&quot;" in insert[1]
