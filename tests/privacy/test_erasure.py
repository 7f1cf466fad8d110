"""Erasing a customer (PDPA): no personal text left anywhere, the numbers kept, and only with a confirmation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ruamchat.connectors.models import InboundEvent
from ruamchat.contacts.models import Contact, Identity
from ruamchat.inbox.models import Conversation, Message
from ruamchat.privacy.models import AuditRecord
from ruamchat.privacy.redaction import ERASED_PAYLOAD
from tests.connectors.line.conftest import CUSTOMER, fresh
from tests.privacy.conftest import (
    EMAIL,
    FILE_NAME,
    LINE_PHOTO,
    MAIL_FILE,
    NAME,
    PHONE,
    SENTENCE,
    WEB_FILE,
    Customer,
    found_in_database,
    found_in_media,
)

pytestmark = pytest.mark.django_db


def test_erasure_leaves_no_personal_text_in_any_table_or_file(
    customer: Customer, admin_client: Client, run_jobs: Callable[[], int], deliver: Callable[..., Any],
) -> None:
    from ruamchat.search.actions import catch_up as index_for_search
    from ruamchat.search.selectors import search

    contact = customer.contact
    identity_ids = list(Identity.objects.filter(contact=contact).values_list("pk", flat=True))
    customer.texts += list(Identity.objects.filter(contact=contact).values_list("external_id", flat=True))
    index_for_search()
    # the scan finds each detail where it is before the erasure
    before = {needle for _table, needle in found_in_database(customer)}
    assert {n.encode() for n in (NAME, SENTENCE, PHONE, EMAIL, FILE_NAME, CUSTOMER, "SOMSRI-MEMBER-4410")} <= before
    assert {needle for _path, needle in found_in_media(customer)} >= {WEB_FILE, LINE_PHOTO, MAIL_FILE}
    raw_events = InboundEvent.objects.count()

    page = admin_client.get(f"/privacy/contacts/{contact.pk}/erase")
    assert page.status_code == 200 and "still going" in page.content.decode()
    response = admin_client.post(f"/privacy/contacts/{contact.pk}/erase", {"confirm": str(contact.pk), "force": "1"})
    assert response.status_code == 302, response.content.decode()[:3000]
    run_jobs()
    index_for_search()

    assert found_in_database(customer) == []
    assert found_in_media(customer) == []
    contact.refresh_from_db()
    assert contact.erased_at is not None and contact.name == "" and contact.email == ""
    assert not contact.tags.exists() and not contact.notes.exists()
    assert sorted(Identity.objects.filter(contact=contact).values_list("external_id", flat=True)) == sorted(
        f"erased-{pk}" for pk in identity_ids)
    # the raw events are kept, blanked: the same webhook delivered again is still a duplicate
    assert InboundEvent.objects.count() == raw_events
    assert set(InboundEvent.objects.values_list("payload", flat=True)) == {ERASED_PAYLOAD}
    messages = Message.objects.count()
    deliver(customer.line_body)
    run_jobs()
    assert Message.objects.count() == messages
    # a new message from the same LINE account starts a new customer
    deliver(fresh("message_text", **{"message.id": "661234567890129999", "message.text": "กลับมาแล้วค่ะ",
                                     "webhookEventId": "01JPRIVACYAGAIN00000000001"}))
    run_jobs()
    again = Message.objects.get(text__startswith="กลับมาแล้วค่ะ").conversation
    assert again.contact_id != contact.pk and again.contact.erased_at is None
    assert search(contact_admin(admin_client), "สมศรี").contacts == []
    assert not Conversation.objects.filter(contact=contact, status__in=["open", "pending", "bot"]).exists()
    record = AuditRecord.objects.get(action="erased")
    assert record.contact_id == contact.pk and record.actor.get_username() == "admin"
    assert record.address == "127.0.0.1" and record.detail["conversations"] == 4
    # agents opening an old conversation read why its messages are empty
    old = Conversation.objects.filter(contact=contact).first()
    assert "Erased at the customer's request" in admin_client.get(f"/inbox/c/{old.pk}/").content.decode()


def contact_admin(client: Client) -> Any:
    from django.contrib.auth.models import User

    return User.objects.get(username="admin")


def _facts_and_sums() -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    from ruamchat.reports.models import ConversationFact, DailyStat

    facts = list(ConversationFact.objects.order_by("conversation_id").values(
        *[f.name for f in ConversationFact._meta.concrete_fields if f.name != "computed_at"]))
    fields = [f.name for f in DailyStat._meta.concrete_fields if f.name != "id"]
    sums = sorted(DailyStat.objects.values_list(*fields), key=repr)
    return facts, sums


def test_the_report_numbers_stay_the_same_after_an_erasure(
    visitor_says: Callable[..., Any], agent: Any, admin_user: Any, run_jobs: Callable[[], int],
) -> None:
    from ruamchat.inbox.actions import change_status, send_reply
    from ruamchat.privacy.erasure import erase_contact
    from ruamchat.reports.actions import catch_up, rebuild_all

    first = visitor_says("สั่งของไปแล้วยังไม่ได้รับค่ะ เบอร์ 089-999-1234").conversation
    send_reply(conversation=first, actor=agent, text="ขออภัยค่ะ จะตรวจสอบให้นะคะ")
    change_status(conversation=first, actor=agent, status="resolved")
    other = visitor_says("ขอเปลี่ยนสีค่ะ", visitor="visitor-other-bbbbbbbbbbbbbbbbbbbb").conversation
    send_reply(conversation=other, actor=agent, text="ได้ค่ะ")
    run_jobs()
    catch_up()
    before = _facts_and_sums()
    assert len(before[0]) == 2 and before[1]

    erase_contact(actor=admin_user, contact_id=first.contact_id)
    catch_up()
    assert _facts_and_sums() == before
    rebuild_all()  # recomputed from the erased conversations themselves
    assert _facts_and_sums() == before
    assert Message.objects.get(conversation=first, direction="in").text == ""


def test_a_conversation_still_going_is_refused_unless_the_admin_asks_to_resolve_it(
    visitor_says: Callable[..., Any], admin_client: Client, admin_user: Any,
) -> None:
    from django.core.exceptions import ValidationError

    from ruamchat.privacy.erasure import erase_contact

    message = visitor_says("ช่วยลบข้อมูลของฉันด้วยค่ะ")
    contact_id = message.conversation.contact_id
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError, match="still going"):
        erase_contact(actor=admin_user, contact_id=contact_id)
    response = admin_client.post(f"/privacy/contacts/{contact_id}/erase", {"confirm": str(contact_id)})
    assert response.status_code == 400 and "still going" in response.content.decode()
    message.refresh_from_db()
    assert message.text == "ช่วยลบข้อมูลของฉันด้วยค่ะ" and Contact.objects.get(pk=contact_id).erased_at is None
    assert not AuditRecord.objects.filter(action="erased").exists()

    response = admin_client.post(f"/privacy/contacts/{contact_id}/erase", {"confirm": str(contact_id), "force": "1"})
    assert response.status_code == 302 and response["Location"] == f"/contacts/{contact_id}/"
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.status == "resolved" and conversation.last_message_preview == ""
    assert AuditRecord.objects.get(action="erased").detail["resolved"] == 1


def test_the_admin_must_type_the_customers_number_after_reading_what_will_happen(
    visitor_says: Callable[..., Any], admin_client: Client, agent: Any,
) -> None:
    from ruamchat.inbox.actions import change_status

    message = visitor_says("ที่อยู่ของฉันคือ 99/1 ถนนสุขุมวิท")
    change_status(conversation=message.conversation, actor=agent, status="resolved")
    contact_id = message.conversation.contact_id
    page = admin_client.get(f"/privacy/contacts/{contact_id}/erase").content.decode()
    assert "1 conversation is kept for the reports without its content" in page
    assert "the text of 1 message is deleted" in page and "cannot be undone" in page
    for typed in ("", "12345", "ลบ"):
        response = admin_client.post(f"/privacy/contacts/{contact_id}/erase", {"confirm": typed})
        assert response.status_code == 400
    message.refresh_from_db()
    assert message.text.startswith("ที่อยู่ของฉัน") and not AuditRecord.objects.exists()
    assert admin_client.post(f"/privacy/contacts/{contact_id}/erase", {"confirm": f"#{contact_id}"}).status_code == 302
    message.refresh_from_db()
    assert message.text == "" and message.metadata == {"erased": True}


def test_the_same_account_writing_again_starts_a_new_customer(
    visitor_says: Callable[..., Any], admin_user: Any, agent: Any,
) -> None:
    from ruamchat.inbox.actions import change_status
    from ruamchat.privacy.erasure import erase_contact

    first = visitor_says("สวัสดีค่ะ")
    change_status(conversation=first.conversation, actor=agent, status="resolved")
    erase_contact(actor=admin_user, contact_id=first.conversation.contact_id)
    again = visitor_says("กลับมาอีกแล้วค่ะ")
    assert again.conversation.contact_id != first.conversation.contact_id
    assert again.conversation.contact.erased_at is None


def test_a_merged_away_record_is_erased_with_the_customer_it_was_merged_into(
    visitor_says: Callable[..., Any], admin_user: Any, agent: Any,
) -> None:
    from django.core.exceptions import ValidationError

    from ruamchat.contacts.actions import merge_contacts
    from ruamchat.contacts.models import Merge
    from ruamchat.privacy.erasure import erase_contact

    kept = visitor_says("ข้อความแรก").conversation.contact
    merged = visitor_says("ข้อความที่สอง", visitor="visitor-second-cccccccccccccccccccc").conversation.contact
    Contact.objects.filter(pk=merged.pk).update(name="ชื่อเดิมก่อนรวม", email="old-name@example.com")
    merged.refresh_from_db()
    merge_contacts(actor=admin_user, target=kept, source=merged)
    Conversation.objects.update(status="resolved")
    with pytest.raises(ValidationError, match="merged into"):
        erase_contact(actor=admin_user, contact_id=merged.pk)
    erase_contact(actor=admin_user, contact_id=kept.pk)
    merged.refresh_from_db()
    assert merged.erased_at is not None and merged.name == "" and merged.email == ""
    assert "ชื่อเดิมก่อนรวม" not in repr(Merge.objects.get().moved)
    assert Merge.objects.get().moved["conversations"]  # what moved (ids) is still known


def test_the_command_says_what_would_go_and_erases_only_with_yes(
    visitor_says: Callable[..., Any], agent: Any,
) -> None:
    from io import StringIO

    from django.core.management import call_command

    from ruamchat.inbox.actions import change_status

    message = visitor_says("ลบข้อมูลด้วยค่ะ")
    change_status(conversation=message.conversation, actor=agent, status="resolved")
    contact_id = message.conversation.contact_id
    out = StringIO()
    call_command("erase_contact", str(contact_id), stdout=out)
    assert "1 conversations" in out.getvalue() and "--yes" in out.getvalue()
    message.refresh_from_db()
    assert message.text == "ลบข้อมูลด้วยค่ะ"
    call_command("erase_contact", str(contact_id), "--yes", stdout=out)
    message.refresh_from_db()
    assert message.text == ""
    record = AuditRecord.objects.get(action="erased")
    assert record.actor is None and record.actor_name == "" and record.contact_id == contact_id
