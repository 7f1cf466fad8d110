"""The public help center: pages per language with Thai-readable addresses, feedback, views, search, the
sitemap, files, agents' previews, the switch-off, and the website chat on every page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import resolve, reverse

from ruamchat.kb import actions, selectors

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c63f8cf000000030001ff5bd9a60000000049454e44ae426082")


def html_of(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def article_path(article: Any) -> str:
    return reverse("help:article", kwargs={"language": article.language, "slug": article.slug})


def feedback_path(article: Any) -> str:
    return reverse("help:feedback", kwargs={"language": article.language, "slug": article.slug})


def test_home_lists_categories_and_only_published_public_articles(client: Client, make_article: Callable[..., Any],
                                                                  kb_category: Any) -> None:
    shipping = actions.save_category(actor=None, key="shipping", name_th="การจัดส่ง", name_en="Shipping",
                                     description_th="Kerry, Flash, ไปรษณีย์ไทย", icon="🚚")
    make_article(title="ผ่อนชำระผ่านบัตรเครดิต")
    make_article(title="ส่งกี่วันถึง", category=shipping)
    make_article(title="บทความร่างที่ยังไม่เสร็จ", status="draft")
    make_article(title="บทความเก่าที่เก็บแล้ว", status="archived")
    make_article(title="ขั้นตอนภายในของทีม", visibility="internal")
    make_article(title="Paying in instalments", language="en")
    empty = actions.save_category(actor=None, key="empty", name_th="หมวดว่าง", name_en="Empty")

    response = client.get("/help/th/")
    html = html_of(response)
    assert '<html lang="th">' in html
    assert "ผ่อนชำระผ่านบัตรเครดิต" in html and "ส่งกี่วันถึง" in html
    assert kb_category.name_th in html and "Kerry, Flash, ไปรษณีย์ไทย" in html and "🚚" in html
    for hidden in ("บทความร่างที่ยังไม่เสร็จ", "บทความเก่าที่เก็บแล้ว", "ขั้นตอนภายในของทีม", "Paying in instalments",
                   empty.name_th):
        assert hidden not in html
    assert 'role="search"' in html and 'name="q"' in html
    assert response["Cache-Control"] in ("public, max-age=60", "max-age=60, public")
    assert response["Content-Language"] == "th"


def test_category_page_lists_its_articles_in_order(client: Client, make_article: Callable[..., Any],
                                                   kb_category: Any) -> None:
    make_article(title="บทความลำดับสอง", position=2)
    make_article(title="บทความลำดับหนึ่ง", position=1)
    make_article(title="บทความลำดับสาม", position=3)
    html = html_of(client.get(reverse("help:category", kwargs={"language": "th", "slug": kb_category.slug_th})))
    assert html.index("บทความลำดับหนึ่ง") < html.index("บทความลำดับสอง") < html.index("บทความลำดับสาม")
    assert client.get(reverse("help:category", kwargs={"language": "th", "slug": "ไม่มี"})).status_code == 404


def test_article_page_renders_markdown_and_shows_html_in_the_text_as_text(client: Client,
                                                                          make_article: Callable[..., Any]) -> None:
    article = make_article(title="Paying by card", language="en", summary="Visa, Mastercard and JCB.",
                           body="## Steps\n\nPay **by card** at checkout.\n\n<script>alert('x')</script>\n\n"
                                "<img src=x onerror=alert(1)>")
    html = html_of(client.get(article_path(article)))
    assert "<h2>Steps</h2>" in html and "<strong>by card</strong>" in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html
    assert '<meta name="description" content="Visa, Mastercard and JCB.">' in html
    assert f'<link rel="canonical" href="{settings.RUAMCHAT_PUBLIC_URL}{article_path(article)}">' in html
    assert '<meta property="og:title" content="Paying by card">' in html
    assert '<meta property="og:type" content="article">' in html
    assert 'name="robots"' not in html
    assert "Was this helpful?" in html and 'name="csrfmiddlewaretoken"' in html


def test_meta_description_falls_back_to_the_first_characters_of_the_text(client: Client,
                                                                         make_article: Callable[..., Any]) -> None:
    article = make_article(title="Returns", language="en", body="**Return** any item within 7 days. " * 20)
    html = html_of(client.get(article_path(article)))
    description = re.search(r'<meta name="description" content="([^"]*)">', html)
    assert description is not None
    assert description.group(1).startswith("Return any item within 7 days.")
    assert len(description.group(1)) <= 160


def test_thai_address_works_and_the_home_page_links_to_it(client: Client, make_article: Callable[..., Any]) -> None:
    article = make_article(title="ผ่อน 0% นาน 10 เดือน", body="ผ่อนได้ทุกบัตร")
    assert article.slug == "ผ่อน-0-นาน-10-เดือน"
    path = article_path(article)
    assert path == "/help/th/a/" + quote("ผ่อน-0-นาน-10-เดือน") + "/"
    assert unquote(path) == "/help/th/a/ผ่อน-0-นาน-10-เดือน/"  # what the browser's address bar shows
    assert f'href="{path}"' in html_of(client.get("/help/th/"))
    assert resolve(unquote(path)).url_name == "article"
    assert "ผ่อนได้ทุกบัตร" in html_of(client.get(path))


def test_unknown_language_or_address_is_404(client: Client, make_article: Callable[..., Any]) -> None:
    article = make_article(title="ผ่อนชำระ")
    assert client.get("/help/fr/").status_code == 404
    assert client.get(f"/help/fr/a/{quote(article.slug)}/").status_code == 404
    assert client.get("/help/th/a/ไม่มีบทความนี้/").status_code == 404
    assert client.get(f"/help/en/a/{quote(article.slug)}/").status_code == 404  # a Thai article's address in en
    assert client.get("/help/th/c/nothing/").status_code == 404


def test_a_draft_is_shown_to_agents_with_a_banner_and_noindex_but_404_to_customers(
        client: Client, make_article: Callable[..., Any], agent: Any) -> None:
    draft = make_article(title="New returns policy", language="en", status="draft")
    internal = make_article(title="How we refund", language="en", visibility="internal")
    assert client.get(article_path(draft)).status_code == 404
    assert client.get(article_path(internal)).status_code == 404

    client.force_login(agent)
    response = client.get(article_path(draft))
    html = html_of(response)
    assert "Draft — customers cannot see this" in html
    assert '<meta name="robots" content="noindex">' in html
    assert "public" not in response["Cache-Control"] and "no-cache" in response["Cache-Control"]
    html = html_of(client.get(article_path(internal)))
    assert "Agents only" in html and '<meta name="robots" content="noindex">' in html
    assert draft.views == 0


def test_a_view_is_counted_for_readers_but_not_for_head_requests_or_robots(
        client: Client, make_article: Callable[..., Any]) -> None:
    article = make_article(title="ส่งกี่วันถึง")
    path = article_path(article)
    assert client.get(path).status_code == 200
    assert client.head(path).status_code == 200
    assert client.get(path, headers={"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"}).status_code == 200
    assert client.get(path, headers={"User-Agent": "AhrefsSpider"}).status_code == 200
    article.refresh_from_db()
    assert article.views == 1
    client.get(path, headers={"User-Agent": "Mozilla/5.0 (iPhone) Safari/604.1"})
    article.refresh_from_db()
    assert article.views == 2


def test_feedback_counts_one_answer_per_reader(client: Client, make_article: Callable[..., Any]) -> None:
    article = make_article(title="Returns", language="en")
    response = client.post(feedback_path(article), {"helpful": "yes"})
    assert response.status_code == 302
    assert response["Location"] == article_path(article) + "?voted=1#feedback"
    cookie = response.cookies["ruamchat_reader"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) >= 365 * 24 * 3600
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 0)

    client.post(feedback_path(article), {"helpful": "no"})  # the same reader changes their mind
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (0, 1)

    Client().post(feedback_path(article), {"helpful": "yes"})  # another reader
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 1)

    html = html_of(client.get(article_path(article) + "?voted=1"))
    assert "Yes: 1 · No: 1" in html and 'role="status"' in html
    article.refresh_from_db()
    assert article.views == 0  # coming back after voting is not another view
    assert client.post(feedback_path(article), {"helpful": "maybe"}).status_code == 400
    assert client.get(feedback_path(article)).status_code == 405


def test_feedback_needs_the_csrf_token_of_the_page(make_article: Callable[..., Any]) -> None:
    article = make_article(title="Returns", language="en")
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(feedback_path(article), {"helpful": "yes"}).status_code == 403
    page = html_of(browser.get(article_path(article)))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    response = browser.post(feedback_path(article), {"helpful": "yes", "csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.helpful_yes == 1


def test_search_finds_a_thai_word_in_the_middle_of_a_sentence(client: Client,
                                                              make_article: Callable[..., Any]) -> None:
    article = make_article(title="บัตรเครดิตที่รับ", body="สั่งซื้อแล้วสามารถผ่อนชำระได้นาน 10 เดือน")
    make_article(title="ส่งกี่วันถึง", body="จัดส่งภายใน 2-3 วันทำการ")
    response = client.get(reverse("help:search", kwargs={"language": "th"}), {"q": "ผ่อน"})
    html = html_of(response)
    assert article_path(article) in html
    assert "<mark>" in html and "ส่งกี่วันถึง" not in html
    assert '<meta name="robots" content="noindex">' in html


def test_search_shows_a_friendly_empty_state(client: Client, make_article: Callable[..., Any]) -> None:
    make_article(title="Returns", language="en", body="Return any item within 7 days.")
    html = html_of(client.get("/help/en/search", {"q": "qwxzvbnm"}))
    assert 'class="empty"' in html and "We found nothing for “qwxzvbnm”." in html
    html = html_of(client.get("/help/en/search"))
    assert 'class="empty"' not in html and 'name="q"' in html


def test_search_shows_what_it_searched_for_instead_of_a_typo(client: Client,
                                                             make_article: Callable[..., Any]) -> None:
    make_article(title="Delivery times", language="en", body="Parcels arrive within three working days.")
    html = html_of(client.get("/help/en/search", {"q": "delivary"}))
    assert "<mark>Delivery</mark> times" in html
    assert "<p class=\"corrected\">Also searched for:\n    “Delivery” (you typed “delivary”)" in html


def test_a_script_in_the_query_is_shown_as_text(client: Client, make_article: Callable[..., Any]) -> None:
    make_article(title="Returns", language="en")
    html = html_of(client.get("/help/en/search", {"q": "<script>alert(1)</script> returns"}))
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_search_pages_through_many_results(client: Client, make_article: Callable[..., Any]) -> None:
    for number in range(22):
        make_article(title=f"Warranty case {number}", language="en", body="warranty repair")
    first = html_of(client.get("/help/en/search", {"q": "warranty"}))
    assert first.count("<li>\n      <h2>") == 20 and 'rel="next"' in first and 'rel="prev"' not in first
    second = html_of(client.get("/help/en/search", {"q": "warranty", "page": "2"}))
    assert second.count("<li>\n      <h2>") == 2 and 'rel="prev"' in second and 'rel="next"' not in second


def test_sitemap_lists_public_articles_and_categories_with_their_translations(
        client: Client, make_article: Callable[..., Any], kb_category: Any) -> None:
    thai = make_article(title="ผ่อน 0% นาน 10 เดือน")
    english = make_article(title="0% instalments for 10 months", language="en", translation_of=thai)
    draft = make_article(title="ร่าง", status="draft")
    response = client.get("/help/sitemap.xml")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)  # noqa: S314 (our own sitemap)
    assert root.tag == f"{SITEMAP}urlset"
    urls = {url.findtext(f"{SITEMAP}loc"): url for url in root.findall(f"{SITEMAP}url")}
    thai_url, english_url = selectors.article_url(thai), selectors.article_url(english)
    assert thai_url in urls and english_url in urls and selectors.article_url(draft) not in urls
    alternates = {link.get("hreflang"): link.get("href") for link in urls[thai_url].findall(f"{XHTML}link")}
    assert alternates == {"th": thai_url, "en": english_url}
    assert urls[thai_url].findtext(f"{SITEMAP}lastmod")
    category_th = settings.RUAMCHAT_PUBLIC_URL + reverse(
        "help:category", kwargs={"language": "th", "slug": kb_category.slug_th})
    assert category_th in urls
    assert settings.RUAMCHAT_PUBLIC_URL + "/help/en/" in urls


def test_article_pages_link_their_translation(client: Client, make_article: Callable[..., Any]) -> None:
    thai = make_article(title="การคืนสินค้า")
    english = make_article(title="Returns", language="en", translation_of=thai)
    html = html_of(client.get(article_path(thai)))
    assert f'href="{article_path(english)}" hreflang="en" lang="en"' in html
    assert f'<link rel="alternate" hreflang="en" href="{selectors.article_url(english)}">' in html
    assert f'<link rel="alternate" hreflang="th" href="{selectors.article_url(thai)}">' in html
    lonely = make_article(title="เฉพาะภาษาไทย")
    html = html_of(client.get(article_path(lonely)))
    assert 'class="lang-switch" href="/help/en/"' in html and 'hreflang="en" href=' not in html


def test_files_of_a_public_article_are_served_safely(client: Client, make_article: Callable[..., Any]) -> None:
    article = make_article(title="Card payment", language="en")
    image = actions.add_attachment(actor=None, article=article,
                                   upload=SimpleUploadedFile("steps.png", PNG, content_type="image/png"))
    guide = actions.add_attachment(actor=None, article=article, upload=SimpleUploadedFile(
        "guide.pdf", b"%PDF-1.4 not really", content_type="application/pdf"))
    response = client.get(f"/help/files/{image.pk}/steps.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]
    response = client.get(reverse("help:file", kwargs={"attachment_id": guide.pk, "filename": "guide.pdf"}))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/pdf"
    assert client.get(f"/help/files/{image.pk}/other.png").status_code == 404


def test_files_of_an_agents_only_article_are_for_agents(client: Client, make_article: Callable[..., Any],
                                                        agent: Any) -> None:
    article = make_article(title="Refund steps", language="en", visibility="internal")
    image = actions.add_attachment(actor=None, article=article,
                                   upload=SimpleUploadedFile("steps.png", PNG, content_type="image/png"))
    assert client.get(f"/help/files/{image.pk}/steps.png").status_code == 404
    client.force_login(agent)
    response = client.get(f"/help/files/{image.pk}/steps.png")
    assert response.status_code == 200 and "public" not in response["Cache-Control"]


def test_a_switched_off_help_center_is_only_for_agents(client: Client, make_article: Callable[..., Any],
                                                       agent: Any) -> None:
    article = make_article(title="Returns", language="en")
    center = selectors.help_center()
    center.enabled = False
    center.save()
    for path in ("/help/en/", article_path(article), "/help/en/search?q=returns", "/help/sitemap.xml", "/help/"):
        assert client.get(path).status_code == 404, path
    client.force_login(agent)
    html = html_of(client.get("/help/en/"))
    assert "only agents can see these pages" in html and '<meta name="robots" content="noindex">' in html
    assert client.get(article_path(article)).status_code == 200


def test_the_website_chat_is_on_every_page_when_chosen(client: Client, make_article: Callable[..., Any],
                                                       website: Any) -> None:
    article = make_article(title="Returns", language="en")
    loader = reverse("website:loader", kwargs={"key": website.key})
    assert loader not in html_of(client.get("/help/en/"))
    center = selectors.help_center()
    center.chat_channel = website
    center.save()
    for path in ("/help/en/", article_path(article), "/help/en/search?q=returns"):
        assert f'<script src="{loader}" async data-lang="en"></script>' in html_of(client.get(path))
    assert 'data-lang="th"' in html_of(client.get("/help/th/"))
    website.is_active = False
    website.save()
    assert loader not in html_of(client.get("/help/en/"))


@pytest.mark.parametrize(("header", "language"), [
    ("en-US,en;q=0.9", "en"), ("th-TH,th;q=0.9,en;q=0.8", "th"), ("", "th"), ("fr-FR,fr;q=0.9", "th"),
    ("fr;q=0.9,en;q=0.5,th;q=0.4", "en"),
])
def test_the_front_door_redirects_to_the_readers_language(client: Client, header: str, language: str) -> None:
    response = client.get("/help/", headers={"Accept-Language": header} if header else {})
    assert response.status_code == 302
    assert response["Location"] == f"/help/{language}/"
    assert "Accept-Language" in response["Vary"]


def test_pages_follow_the_language_of_the_address(client: Client, make_article: Callable[..., Any]) -> None:
    make_article(title="Returns", language="en")
    html = html_of(client.get("/help/en/", headers={"Accept-Language": "th"}))
    assert '<html lang="en">' in html and "How can we help you?" in html
    assert 'class="lang-switch" href="/help/th/" hreflang="th" lang="th">ไทย</a>' in html


def test_the_stylesheet_is_served_by_the_app_and_linked_from_every_page(client: Client) -> None:
    html = html_of(client.get("/help/th/"))
    link = re.search(r'<link rel="stylesheet" href="([^"]+help\.css)">', html)
    assert link is not None and "//" not in link.group(1)  # no CDN
    response = client.get(link.group(1))
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    assert b"Noto Sans Thai" in body and b"@import" not in body and b"url(http" not in body


def test_robots_txt_lets_crawlers_read_only_the_help_center_and_points_to_its_sitemap(client: Any) -> None:
    response = client.get("/robots.txt")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Allow: /help/" in body and "Disallow: /" in body
    assert body.rstrip().endswith("/help/sitemap.xml")


def test_an_administrator_configures_the_help_center_in_the_admin_pages(
        client: Client, admin_user: Any, website: Any) -> None:
    from ruamchat.kb.models import HelpCenter

    assert selectors.help_center().pk is None, "reading the settings stores nothing"
    client.force_login(admin_user)
    response = client.post("/django-admin/kb/helpcenter/add/", {
        "name_th": "ศูนย์ช่วยเหลือร้าน", "name_en": "Shop help", "enabled": "on", "chat_channel": website.pk,
    })
    assert response.status_code == 302, response.content[:500]
    center = HelpCenter.objects.get()
    assert (center.name_en, center.chat_channel_id) == ("Shop help", website.pk)
    assert client.get("/django-admin/kb/helpcenter/add/").status_code == 403, "only one help center"
    assert 'data-lang="th"' in client.get("/help/th/").content.decode()
