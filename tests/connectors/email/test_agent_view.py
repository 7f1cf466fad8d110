"""What an agent sees of an email: the new part, the quote folded, the formatted mail with remote images and
tracking pixels held back, and the original one click away — and nothing of mail they may not see."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.connectors.email.conftest import mail

pytestmark = pytest.mark.django_db

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

HTML = (
    '<p>สินค้าชำรุด <b>ตามรูป</b></p><img src="cid:photo1@shop" alt="รูปสินค้า">'
    '<img src="https://images.example.com/banner.png" alt="banner">'
    '<img width="1" height="1" src="https://track.example/open.gif">'
    '<script>alert(1)</script><a href="javascript:alert(2)" onclick="x()">คลิก</a>'
    '<form action="https://evil.example/"><input name="card"></form>'
)


def _related_mail() -> bytes:
    from email.message import EmailMessage
    from email.policy import SMTP

    m = EmailMessage(policy=SMTP)
    m["From"] = "Nok <nok@example.com>"
    m["To"] = "support@shop.test"
    m["Subject"] = "ของชำรุด"
    m["Message-ID"] = "<html1@example.com>"
    m.set_content("สินค้าชำรุด ตามรูป\n\nOn Mon, 3 Nov 2025 at 10:15, Shop <support@shop.test> wrote:\n> ส่งแล้วค่ะ\n")
    m.add_alternative(HTML, subtype="html")
    m.get_payload()[1].add_related(PNG, "image", "png", cid="<photo1@shop>")
    return m.as_bytes()


@pytest.fixture
def agent_client(client: Client, agent: Any) -> Client:
    client.force_login(agent)
    return client


def test_the_conversation_shows_the_new_part_with_the_quote_folded(agent_client: Client,
                                                                   deliver: Callable[..., Any]) -> None:
    message = deliver(_related_mail())
    page = agent_client.get(f"/inbox/c/{message.conversation_id}/").content.decode()
    assert "สินค้าชำรุด ตามรูป" in page
    assert "<details class=\"email-quoted\">" in page and "ส่งแล้วค่ะ" in page
    assert f"/email/messages/{message.pk}/" in page and f"/email/messages/{message.pk}/original.eml" in page


def test_the_formatted_mail_blocks_remote_images_until_asked(agent_client: Client,
                                                             deliver: Callable[..., Any]) -> None:
    message = deliver(_related_mail())
    inline = message.attachments.get(data__content_id="photo1@shop")
    page = agent_client.get(f"/email/messages/{message.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert f'src="/inbox/attachments/{inline.pk}/"' in body  # the inline image, in place
    assert "images.example.com" not in body and "track.example" not in body
    assert "<script" not in body.split("email-html")[1] and "onclick" not in body and "javascript:" not in body
    assert "<form action=\"https://evil" not in body
    assert "img-src 'self' data:" in page["Content-Security-Policy"]
    shown = agent_client.get(f"/email/messages/{message.pk}/?images=1")
    assert "https://images.example.com/banner.png" in shown.content.decode()
    assert "track.example" not in shown.content.decode()  # a tracking pixel never loads
    assert "https:" in shown["Content-Security-Policy"]


def test_the_original_mail_downloads_exactly_as_it_arrived(agent_client: Client, deliver: Callable[..., Any]) -> None:
    raw = mail(text="ต้นฉบับ")
    message = deliver(raw)
    response = agent_client.get(f"/email/messages/{message.pk}/original.eml")
    assert response.status_code == 200 and response.content == raw
    assert response["Content-Type"] == "message/rfc822" and "attachment" in response["Content-Disposition"]


def test_an_agent_of_another_team_gets_404(client: Client, make_agent: Any, support_team: Any,
                                           deliver: Callable[..., Any]) -> None:
    message = deliver(mail())
    client.force_login(make_agent(teams=[support_team], username="outsider"))
    assert client.get(f"/email/messages/{message.pk}/").status_code == 404
    assert client.get(f"/email/messages/{message.pk}/original.eml").status_code == 404
    client.logout()
    assert client.get(f"/email/messages/{message.pk}/original.eml").status_code == 302
