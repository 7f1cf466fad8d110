"""Email end to end in a real browser: a customer's mail lands in a real IMAP mailbox (Dovecot), the
watcher notices it at once (IDLE), the agent sees it arrive live with the quote folded, looks at the
formatted mail without anything remote loading until asked, and answers; the answer reaches the SMTP
sink as a threaded reply."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import expect

from ruamchat.connectors.actions import create_channel

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-9"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6300010000050001d4e2f2350000000049454e44ae426082")


class _Remote(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:
        type(self).seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def remote_images() -> Iterator[tuple[str, list[str]]]:
    """A stand-in for a sender's image server that records what was fetched from it."""
    _Remote.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Remote)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Remote.seen
    finally:
        server.shutdown()


@pytest.fixture
def quick_watch(monkeypatch: pytest.MonkeyPatch) -> None:
    from ruamchat.connectors.email import watcher

    monkeypatch.setattr(watcher, "SUPERVISE_SECONDS", 0.5)


def _customer_mail(remote: str) -> bytes:
    m = EmailMessage(policy=SMTP)
    m["From"] = "วรรณา ทองดี <wanna@example.co.th>"
    m["To"] = "support@shop.test"
    m["Subject"] = "ฝาหม้อหุงข้าวปิดไม่สนิท"
    m["Message-ID"] = "<wanna-1@example.co.th>"
    m.set_content("ฝาหม้อหุงข้าวปิดไม่สนิทค่ะ ขอเปลี่ยนได้ไหมคะ\n\n"
                  "เมื่อ ศ. 20 พ.ย. 2569 เวลา 09:00 ร้านรวมใจ <support@shop.test> เขียนว่า:\n"
                  "> จัดส่งหม้อหุงข้าวให้แล้วค่ะ\n")
    m.add_alternative(
        f'<p>ฝาหม้อหุงข้าวปิดไม่สนิทค่ะ ขอเปลี่ยนได้ไหมคะ</p><img src="{remote}/banner.png" alt="แบนเนอร์">'
        f'<img width="1" height="1" src="{remote}/pixel.gif">', subtype="html")
    return m.as_bytes()


def test_a_mail_arrives_by_imap_idle_and_the_agent_answers_by_email(
    quick_watch: None, live_server_url: str, chromium: Any, dovecot: Any, smtp_sink: Any, make_agent: Any,
    team: Any, remote_images: tuple[str, list[str]],
) -> None:
    remote, fetched = remote_images
    user, password = dovecot.new_mailbox(name="shop")
    create_channel(actor=None, kind="email", name="อีเมล", default_team=team, config={
        "address": "support@shop.test", "display_name": "ร้านรวมใจ", "imap_host": dovecot.host,
        "imap_port": dovecot.port, "imap_security": "none", "imap_user": user, "poll_seconds": 3600,
        "smtp_host": "127.0.0.1", "smtp_port": smtp_sink.port, "smtp_security": "none",
    }, secrets={"imap_password": password})
    make_agent(teams=[team], username="kanya", password=PASSWORD, language="th")
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="th-TH")
    try:
        page = context.new_page()
        page.goto(f"{live_server_url}/login/")
        page.locator("#id_username").fill("kanya")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#id_password").press("Enter")
        page.goto(f"{live_server_url}/inbox/?queue=unassigned")
        expect(page.locator("#connection-status")).to_have_attribute("data-state", "online")

        dovecot.append(user, password, _customer_mail(remote))  # the customer's mail reaches the mailbox
        row = page.locator("#queue-list .queue-row")
        expect(row).to_have_count(1, timeout=20_000)  # no polling: an hour would be too long
        expect(row).to_contain_text("ฝาหม้อหุงข้าวปิดไม่สนิท")
        row.locator("a.queue-link").click()

        message = page.locator("#message-list li.message.incoming")
        expect(message.locator(".message-text")).to_have_text("ฝาหม้อหุงข้าวปิดไม่สนิทค่ะ ขอเปลี่ยนได้ไหมคะ")
        quoted = message.locator("details.email-quoted")
        expect(quoted.locator("div")).to_be_hidden()
        quoted.locator("summary").click()
        expect(quoted.locator("div")).to_contain_text("จัดส่งหม้อหุงข้าวให้แล้วค่ะ")

        with context.expect_page() as formatted_tab:
            message.get_by_role("link", name="ดูแบบที่ส่งมา (มีรูปแบบ)").click(modifiers=["Control"])
        formatted = formatted_tab.value
        expect(formatted.locator(".email-html")).to_contain_text("ฝาหม้อหุงข้าวปิดไม่สนิทค่ะ")
        expect(formatted.locator(".email-image-placeholder")).to_contain_text("แบนเนอร์")
        assert fetched == []  # nothing remote loaded by itself
        formatted.locator("#load-remote-images").click()
        expect(formatted.locator(".email-html img")).to_have_count(1)
        formatted.wait_for_function("() => document.querySelector('.email-html img').complete")
        assert fetched == ["/banner.png"]  # the banner, on request; the tracking pixel never
        formatted.close()

        page.locator("#composer textarea[name=text]").fill("เปลี่ยนให้ได้เลยค่ะ จะส่งเครื่องใหม่พรุ่งนี้ค่ะ")
        page.locator("#composer button[name=send]").click()
        sent = page.locator("#message-list li.message.outgoing", has_text="เปลี่ยนให้ได้เลยค่ะ")
        expect(sent).to_have_attribute("data-status", "sent", timeout=15_000)
        mail = smtp_sink.wait_for(1)[0]
        assert mail.rcpt_tos == ["wanna@example.co.th"]
        assert mail.message()["In-Reply-To"] == "<wanna-1@example.co.th>"
    finally:
        context.close()
