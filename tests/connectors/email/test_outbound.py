"""Agents' replies go out as proper, threaded email through a real SMTP conversation (a local sink)."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from ruamchat.connectors.actions import update_channel
from ruamchat.connectors.email.parser import Address, parse
from ruamchat.inbox.actions import send_reply
from ruamchat.inbox.models import Message
from tests.connectors.email.conftest import mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def sink_channel(mailbox_channel: Any, smtp_sink: Any) -> Any:
    smtp_sink.set_login("help", "smtp-pass-1")
    return update_channel(actor=None, channel=mailbox_channel, config={
        "smtp_host": "127.0.0.1", "smtp_port": smtp_sink.port, "smtp_security": "starttls", "smtp_user": "help",
        "tls_verify": False}, secrets={"smtp_password": "smtp-pass-1"})


def _body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    return str(part.get_content())


def test_a_reply_is_threaded_signed_by_the_agent_and_quotes_the_customer(
    sink_channel: Any, smtp_sink: Any, deliver: Callable[..., Any], agent: Any, run_jobs: Callable[[], int],
) -> None:
    first = deliver(mail(message_id="c1@example.com", subject="ขอคืนสินค้า", text="ขอคืนสินค้าครับ ไซซ์ไม่พอดี",
                         references="<older@example.com>", cc="Wife <wife@example.com>",
                         in_reply_to="older@example.com"))
    photo = SimpleUploadedFile("วิธีส่งคืน.pdf", b"%PDF-1.4 return", content_type="application/pdf")
    reply = send_reply(conversation=first.conversation, actor=agent, text="ได้เลยค่ะ ส่งคืนตามขั้นตอนแนบนะคะ",
                       uploads=[photo])
    run_jobs()
    received = smtp_sink.wait_for(1)[0]
    assert received.tls and received.auth_user == "help"
    assert sorted(received.rcpt_tos) == ["somchai@example.com", "wife@example.com"]
    sent = received.message()
    reply.refresh_from_db()
    assert reply.status == "sent" and sent["Message-ID"] == f"<{reply.provider_message_id}>"
    assert reply.provider_message_id.endswith("@shop.test")
    assert sent["In-Reply-To"] == "<c1@example.com>"
    assert sent["References"].split() == ["<older@example.com>", "<c1@example.com>"]
    assert sent["From"].addresses[0].addr_spec == "support@shop.test"
    # (read with our parser: Python's own header parser puts a space between adjacent encoded words)
    assert parse(received.data).from_ == Address("support@shop.test", "Somchai ผ่าน ร้านรวมใจ")  # Thai words
    assert sent["Reply-To"].addresses[0].addr_spec == "support@shop.test"
    assert sent["Subject"] == f"Re: ขอคืนสินค้า [#{first.conversation_id}]"
    assert "Auto-Submitted" not in sent
    text = _body(sent, "plain")
    assert text.startswith("ได้เลยค่ะ ส่งคืนตามขั้นตอนแนบนะคะ") and "> ขอคืนสินค้าครับ ไซซ์ไม่พอดี" in text
    assert "<blockquote" in _body(sent, "html")
    files = [(p.get_filename(), p.get_content()) for p in sent.iter_attachments()]
    assert files == [("วิธีส่งคืน.pdf", b"%PDF-1.4 return")]


def test_the_customers_answer_to_our_reply_joins_the_conversation(
    sink_channel: Any, smtp_sink: Any, deliver: Callable[..., Any], agent: Any, run_jobs: Callable[[], int],
) -> None:
    first = deliver(mail(message_id="c2@example.com"))
    send_reply(conversation=first.conversation, actor=agent, text="ขอเลขคำสั่งซื้อด้วยค่ะ")
    run_jobs()
    sent = smtp_sink.wait_for(1)[0].message()
    # the customer's mail program answers with our Message-ID in In-Reply-To, and a new subject
    answer = deliver(mail(subject="เลขที่ 55012", text="เลขที่ 55012 ครับ", in_reply_to=sent["Message-ID"][1:-1],
                          references=f"<c2@example.com> {sent['Message-ID']}"))
    assert answer.conversation_id == first.conversation_id


def test_a_bounce_marks_the_reply_failed_with_the_reason(
    sink_channel: Any, smtp_sink: Any, deliver: Callable[..., Any], agent: Any, run_jobs: Callable[[], int],
) -> None:
    first = deliver(mail())
    reply = send_reply(conversation=first.conversation, actor=agent, text="ตอบกลับค่ะ")
    run_jobs()
    sent = smtp_sink.wait_for(1)[0].message()
    dsn = (
        b"Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.example.com (Mail Delivery System)\r\n"
        b"To: support@shop.test\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
        b"Final-Recipient: rfc822; somchai@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 <somchai@example.com>: mailbox unavailable\r\n"
        b"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: " + sent["Message-ID"].encode() + b"\r\n"
        b"--b--\r\n")
    assert deliver(dsn) is None  # no conversation is opened for a bounce
    reply.refresh_from_db()
    assert reply.status == "failed" and "5.1.1" in reply.error and "mailbox unavailable" in reply.error
    assert first.conversation.events.filter(kind="send_failed").exists()


def test_a_temporary_smtp_failure_is_retried_and_a_refused_recipient_fails(
    sink_channel: Any, smtp_sink: Any, deliver: Callable[..., Any], agent: Any, run_jobs: Callable[[], int],
) -> None:
    from ruamchat.jobs.models import Job

    first = deliver(mail())
    smtp_sink.fail_data = (451, "4.3.0 try again later")
    reply = send_reply(conversation=first.conversation, actor=agent, text="ลองใหม่")
    run_jobs()
    reply.refresh_from_db()
    assert reply.status == "pending" and "451" in reply.error
    assert Job.objects.filter(name="inbox.deliver_message", status="queued").exists()

    smtp_sink.fail_data = None
    smtp_sink.reject_rcpt = {"somchai@example.com": (550, "5.1.1 no such user")}
    other = send_reply(conversation=first.conversation, actor=agent, text="ส่งไม่ถึง")
    run_jobs()
    other.refresh_from_db()
    assert other.status == "failed" and "no such user" in other.error


def test_automatic_mail_is_marked_and_never_answers_an_auto_reply(
    sink_channel: Any, smtp_sink: Any, deliver: Callable[..., Any], agent: Any, run_jobs: Callable[[], int],
) -> None:
    from django.core.exceptions import ValidationError

    first = deliver(mail())
    bot = send_reply(conversation=first.conversation, actor=agent, text="ได้รับเรื่องแล้วค่ะ", sender_type="bot")
    run_jobs()
    sent = smtp_sink.wait_for(1)[0].message()
    assert sent["Auto-Submitted"] == "auto-replied" and bot.sender_type == "bot"
    ooo = deliver(mail(subject="Automatic reply: x", text="I am away", headers={"Auto-Submitted": "auto-replied"},
                       in_reply_to=sent["Message-ID"][1:-1]))
    assert ooo.conversation_id == first.conversation_id
    with translation.override("en"), pytest.raises(ValidationError, match="automatic"):
        send_reply(conversation=first.conversation, actor=agent, text="ขอบคุณค่ะ", sender_type="bot")
    # a person may always answer
    human = send_reply(conversation=first.conversation, actor=agent, text="ตอบโดยพนักงาน")
    assert human.status == "pending"


def test_automatic_mail_to_one_address_is_rate_limited(
    sink_channel: Any, deliver: Callable[..., Any], agent: Any,
) -> None:
    from django.core.exceptions import ValidationError

    first = deliver(mail())
    for n in range(3):
        send_reply(conversation=first.conversation, actor=agent, text=f"อัตโนมัติ {n}", sender_type="bot")
    with translation.override("en"), pytest.raises(ValidationError, match="hour"):
        send_reply(conversation=first.conversation, actor=agent, text="อีกครั้ง", sender_type="bot")
    assert Message.objects.filter(sender_type="bot").count() == 3


def test_a_mailing_list_mail_gets_no_automatic_answer(sink_channel: Any, deliver: Callable[..., Any],
                                                      agent: Any) -> None:
    from django.core.exceptions import ValidationError

    news = deliver(mail(sender="News <news@list.example>", headers={"List-Id": "<news.list.example>"}))
    with pytest.raises(ValidationError):
        send_reply(conversation=news.conversation, actor=agent, text="รับทราบ", sender_type="bot")
