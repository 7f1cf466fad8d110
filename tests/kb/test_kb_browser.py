"""The knowledge base in a real browser: the suggestions panel beside a conversation puts an article's link
into the reply, and searches without leaving the conversation; the editor's Preview tab renders Markdown and
runs nothing from the text; deleting asks first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from ruamchat.kb import selectors

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-9"  # make_agent's default


def signed_in(browser: Browser, base: str, username: str) -> Page:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page.locator("#queue-list")).to_be_visible()
    return page


@pytest.fixture
def instalments(make_article: Callable[..., Any], visitor_says: Callable[..., Any], agent: Any) -> dict[str, Any]:
    """Made before the browser starts (writes that publish realtime events stay off Playwright's thread)."""
    return {
        "instalment": make_article(title="ผ่อนชำระด้วยบัตรเครดิต",
                                   body="ผ่อน 0% นาน 10 เดือนกับบัตรเครดิตที่ร่วมรายการ"),
        "shipping": make_article(title="ส่งกี่วันถึง", body="จัดส่งด้วย Kerry Express ภายใน 2-3 วันทำการ"),
        "conversation": visitor_says("อยากผ่อนบัตรเครดิตได้ไหมคะ").conversation,
    }


def test_the_agent_inserts_a_suggested_article_and_searches_beside_the_conversation(
        live_server_url: str, instalments: dict[str, Any], chromium: Browser) -> None:
    instalment, conversation = instalments["instalment"], instalments["conversation"]
    page = signed_in(chromium, live_server_url, "somchai")
    try:
        url = f"{live_server_url}/inbox/c/{conversation.pk}/"
        page.goto(url)
        panel = page.locator("#kb-panel")
        suggestion = panel.locator(f'.kb-suggestion[data-article-id="{instalment.pk}"]')
        expect(suggestion).to_contain_text("ผ่อนชำระด้วยบัตรเครดิต")
        expect(panel.locator(".kb-suggestion")).to_have_count(1)

        composer = page.locator("#composer-text")
        composer.fill("สวัสดีค่ะ")
        suggestion.get_by_role("button", name="Insert link").click()
        expect(composer).to_have_value(f"สวัสดีค่ะ ผ่อนชำระด้วยบัตรเครดิต: {selectors.article_url(instalment)}")
        expect(composer).to_be_focused()

        panel.locator("#kb-search-q").fill("จัดส่ง")
        panel.locator("#kb-search-q").press("Enter")
        expect(panel.locator(".kb-suggestion")).to_have_count(1)
        expect(panel.locator(f'.kb-suggestion[data-article-id="{instalments["shipping"].pk}"]')).to_contain_text(
            "ส่งกี่วันถึง")
        expect(panel).to_contain_text("Results for “จัดส่ง”")
        assert page.url == url  # still on the conversation
        expect(composer).to_have_value(f"สวัสดีค่ะ ผ่อนชำระด้วยบัตรเครดิต: {selectors.article_url(instalment)}")
    finally:
        page.context.close()


def test_the_preview_tab_renders_markdown_and_runs_no_script_from_the_text(
        live_server_url: str, supervisor: Any, make_article: Callable[..., Any], chromium: Browser) -> None:
    article = make_article(title="วิธีสแกนจ่าย", body="สแกน QR")
    page = signed_in(chromium, live_server_url, "supa")
    try:
        page.goto(f"{live_server_url}/kb/{article.pk}/edit")
        expect(page.locator("#kb-preview")).to_be_hidden()
        page.locator("#kb-body").fill(
            "## ขั้นตอนการสแกน\n\nกด **ชำระเงิน**\n\n<img src=x onerror=\"window.kbInjected = 'img'\">\n\n"
            "<script>window.kbInjected = 'script'</script>\n\n[link](javascript:window.kbInjected='link')\n\n"
            "![a missing picture](/help/files/999999/missing.png)")
        page.locator("#kb-tab-preview").click()

        preview = page.locator("#kb-preview")
        expect(preview).to_be_visible()
        expect(preview.locator("h2")).to_have_text("ขั้นตอนการสแกน")
        expect(preview.locator("strong")).to_have_text("ชำระเงิน")
        expect(page.locator("#kb-tab-preview")).to_have_attribute("aria-selected", "true")
        expect(page.locator("#kb-body")).to_be_hidden()
        # the only image left is the Markdown one; once it has failed to load, any onerror would have run
        expect(preview.locator("img")).to_have_count(1)
        page.wait_for_function("() => document.querySelector('#kb-preview img').complete")
        expect(preview.locator("a[href^='javascript']")).to_have_count(0)
        assert page.evaluate("typeof window.kbInjected") == "undefined"
        expect(preview).to_contain_text('<img src=x onerror="window.kbInjected = \'img\'">')

        page.locator("#kb-tab-write").click()
        expect(page.locator("#kb-body")).to_be_visible()
        expect(preview).to_be_hidden()
        article.refresh_from_db()
        assert article.body == "สแกน QR"  # previewing saves nothing

        # deleting asks first; saying no keeps the article
        asked: list[str] = []
        page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        page.locator("#kb-delete").click()
        assert asked == ["Delete this article? Its history goes with it."]
        expect(page).to_have_url(f"{live_server_url}/kb/{article.pk}/edit")
        article.refresh_from_db()
    finally:
        page.context.close()


def test_without_javascript_the_preview_button_shows_the_preview_and_no_dead_tabs_are_shown(
        live_server_url: str, supervisor: Any, make_article: Callable[..., Any], chromium: Browser) -> None:
    article = make_article(title="วิธีสแกนจ่าย", body="สแกน QR")
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB",
                                   java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server_url}/login/")
        page.locator("#id_username").fill("supa")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#id_password").press("Enter")
        page.goto(f"{live_server_url}/kb/{article.pk}/edit")
        expect(page.locator(".kb-tabs")).to_be_hidden()  # the Write/Preview tabs need script
        page.locator("#kb-body").fill("## ขั้นตอนการสแกน")
        page.locator("#kb-preview-button").click()
        expect(page.locator("#kb-preview h2")).to_have_text("ขั้นตอนการสแกน")
        expect(page.locator("#kb-body")).to_have_value("## ขั้นตอนการสแกน")
        article.refresh_from_db()
        assert article.body == "สแกน QR"
    finally:
        context.close()
