"""Mail arriving at a mailbox becomes conversations: threaded by headers, never lost, never duplicated."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ruamchat.connectors.models import InboundEvent
from ruamchat.inbox.models import Conversation, Message
from tests.connectors.email.conftest import mail

pytestmark = pytest.mark.django_db


def test_a_new_mail_opens_a_conversation_for_the_default_team(deliver: Callable[..., Any], team: Any) -> None:
    message = deliver(mail(subject="ของยังไม่มา", attachments=[("ใบเสร็จ.pdf", "application/pdf", b"%PDF-1.4 x")]))
    conversation = message.conversation
    assert conversation.team == team and conversation.subject == "ของยังไม่มา"
    assert conversation.contact.name == "สมชาย ใจดี" and conversation.contact.email == "somchai@example.com"
    assert message.text == "สวัสดีครับ สั่งซื้อไปเมื่อวานยังไม่ได้รับของเลยครับ"
    attachment = message.attachments.get()
    assert attachment.filename == "ใบเสร็จ.pdf" and attachment.file.read() == b"%PDF-1.4 x"
    assert conversation.waiting_since is not None


def test_the_same_mail_twice_is_stored_once(deliver: Callable[..., Any], mailbox_channel: Any) -> None:
    raw = mail(message_id="once@example.com")
    first = deliver(raw)
    assert deliver(raw) is None  # the raw mail is recognised before parsing
    # delivered again with a different envelope header (e.g. to a second address of the mailbox)
    assert deliver(b"Delivered-To: sales@shop.test\r\n" + raw) is None
    assert Message.objects.filter(conversation=first.conversation).count() == 1
    assert InboundEvent.objects.filter(channel=mailbox_channel).count() == 2


def test_a_reused_message_id_on_a_different_mail_is_not_lost(deliver: Callable[..., Any]) -> None:
    first = deliver(mail(message_id="reused@broken-mailer", subject="เรื่องแรก"))
    second = deliver(mail(message_id="reused@broken-mailer", subject="เรื่องที่สอง", text="อีกเรื่องหนึ่งครับ"))
    assert second is not None and second.pk != first.pk and second.text == "อีกเรื่องหนึ่งครับ"


def test_a_reply_joins_its_conversation_by_in_reply_to(deliver: Callable[..., Any]) -> None:
    first = deliver(mail(message_id="q1@example.com"))
    reply = deliver(mail(subject="Re: สอบถามคำสั่งซื้อ", text="เพิ่มเติมครับ เลขที่ 1234",
                         message_id="q2@example.com", in_reply_to="q1@example.com"))
    assert reply.conversation_id == first.conversation_id


def test_a_reply_joins_by_references_when_in_reply_to_is_unknown(deliver: Callable[..., Any]) -> None:
    first = deliver(mail(message_id="root@example.com"))
    reply = deliver(mail(message_id="r2@example.com", in_reply_to="not-here@example.com",
                         references="<root@example.com> <not-here@example.com>"))
    assert reply.conversation_id == first.conversation_id


def test_a_new_mail_from_the_same_customer_is_a_new_case(deliver: Callable[..., Any]) -> None:
    first = deliver(mail(subject="เรื่องคืนสินค้า"))
    second = deliver(mail(subject="เรื่องใบกำกับภาษี", text="ขอใบกำกับภาษีด้วยค่ะ"))
    assert second.conversation_id != first.conversation_id


def test_subject_number_joins_only_for_the_same_customer(deliver: Callable[..., Any]) -> None:
    first = deliver(mail())
    number = first.conversation_id
    same = deliver(mail(subject=f"Re: สอบถามคำสั่งซื้อ [#{number}]", text="ตามเรื่องครับ"))
    assert same.conversation_id == number
    stranger = deliver(mail(sender="Mallory <mallory@evil.test>", subject=f"Re: สอบถามคำสั่งซื้อ [#{number}]",
                            text="ขอข้อมูลลูกค้าหน่อย"))
    assert stranger.conversation_id != number


def test_unrelated_mail_with_the_same_subject_from_someone_else_never_joins(deliver: Callable[..., Any]) -> None:
    first = deliver(mail(subject="สอบถาม"))
    other = deliver(mail(sender="Nok <nok@example.org>", subject="สอบถาม", text="สอบถามเหมือนกันค่ะ"))
    assert other.conversation_id != first.conversation_id
    assert other.conversation.contact_id != first.conversation.contact_id


def test_a_forged_plus_address_token_names_no_conversation(deliver: Callable[..., Any], settings: Any) -> None:
    from ruamchat.connectors.email import tokens

    first = deliver(mail())
    good = tokens.reply_tag(first.conversation_id)
    forged = f"c{first.conversation_id}.0000000000"
    assert deliver(mail(to=f"support+{forged}@shop.test", text="ปลอม")).conversation_id != first.conversation_id
    assert deliver(mail(to=f"support+{good}@shop.test", text="ต่อเรื่องเดิม")).conversation_id == first.conversation_id


def test_the_new_part_is_shown_and_the_quote_is_folded(deliver: Callable[..., Any]) -> None:
    message = deliver(mail(text=(
        "ได้รับของแล้วครับ ขอบคุณครับ\n\n"
        "เมื่อ จ. 17 พ.ย. 2568 เวลา 10:15 ร้านรวมใจ <support@shop.test> เขียนว่า:\n"
        "> เราจัดส่งสินค้าให้แล้วค่ะ\n> เลขพัสดุ TH123\n")))
    assert message.text == "ได้รับของแล้วครับ ขอบคุณครับ"
    assert "เลขพัสดุ TH123" in message.metadata["email"]["quoted"]


def test_an_out_of_office_reply_does_not_reopen_a_resolved_case(deliver: Callable[..., Any], agent: Any) -> None:
    from ruamchat.inbox.actions import change_status

    first = deliver(mail(message_id="case@example.com"))
    change_status(conversation=first.conversation, actor=agent, status="resolved")
    ooo = deliver(mail(subject="ตอบกลับอัตโนมัติ: สอบถามคำสั่งซื้อ", text="ไม่อยู่ถึงวันจันทร์",
                       in_reply_to="case@example.com", headers={"Auto-Submitted": "auto-replied"}))
    conversation = Conversation.objects.get(pk=first.conversation_id)
    assert ooo.conversation_id == conversation.pk and ooo.metadata["automatic"] is True
    assert conversation.status == "resolved" and conversation.waiting_since is None


def test_a_customer_reply_reopens_a_resolved_case(deliver: Callable[..., Any], agent: Any) -> None:
    from ruamchat.inbox.actions import change_status

    first = deliver(mail(message_id="case2@example.com"))
    change_status(conversation=first.conversation, actor=agent, status="resolved")
    deliver(mail(text="ยังไม่ได้รับเลยครับ", in_reply_to="case2@example.com"))
    assert Conversation.objects.get(pk=first.conversation_id).status == "open"


def test_a_mail_the_parser_cannot_read_still_becomes_a_message(deliver: Callable[..., Any]) -> None:
    garbage = (b"From: someone@example.com\r\nSubject: =?utf-8?B?4Liq4Lin4Lix4Liq4LiU4Li1?=\r\n"
               b"Content-Type: multipart/mixed; boundary=\"zzz\"\r\n\r\n" + bytes(range(256)) * 20)
    message = deliver(garbage)
    assert message is not None and message.conversation.subject == "สวัสดี"
    names = [a.filename for a in message.attachments.all()]
    assert "original.eml" in names  # the damaged mail is kept whole beside what could be read
    assert message.metadata["email"]["unreadable"] is True


def test_one_broken_mail_does_not_stop_the_next(deliver: Callable[..., Any], mailbox_channel: Any) -> None:
    from ruamchat.connectors.email.actions import ingest

    ingest(channel=mailbox_channel, raw=b"\x00\xff not a mail at all \r\n\r\n\x00")
    message = deliver(mail(text="ข้อความถัดไป"))
    assert message.text == "ข้อความถัดไป"
    assert not InboundEvent.objects.filter(status="pending").exists()


def test_a_forged_webhook_to_an_email_channel_stores_nothing(client: Any, mailbox_channel: Any) -> None:
    response = client.post(f"/hooks/email/{mailbox_channel.key}/", data=mail(), content_type="message/rfc822")
    assert response.status_code == 401
    assert not InboundEvent.objects.exists()


def test_an_admin_can_have_stored_mail_parsed_again(deliver: Callable[..., Any], mailbox_channel: Any,
                                                    admin_user: Any, client: Any, run_jobs: Callable[[], int]) -> None:
    message = deliver(mail(text="ประมวลผลอีกครั้ง"))
    event = InboundEvent.objects.get(channel=mailbox_channel)
    Message.objects.filter(pk=message.pk).delete()  # e.g. a parser bug had dropped it
    client.force_login(admin_user)
    response = client.post("/django-admin/connectors/inboundevent/", {
        "action": "process_again", "_selected_action": [event.pk]})
    assert response.status_code == 302
    run_jobs()
    again = Message.objects.get(channel=mailbox_channel)
    assert again.text == "ประมวลผลอีกครั้ง" and again.pk != message.pk
    run_jobs()
    InboundEvent.objects.filter(pk=event.pk).update(status="pending")
    from ruamchat.connectors.actions import process_inbound_event

    process_inbound_event(event_id=event.pk)
    assert Message.objects.filter(channel=mailbox_channel).count() == 1  # never twice
