"""One customer who wrote on the website, on LINE (through the signed webhook) and by email, merged into one
contact, with distinctive personal details everywhere an agent or the customer can put them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from tests.connectors.email.conftest import mail, mailbox_channel  # noqa: F401  (the email fixtures)
from tests.connectors.line.conftest import CUSTOMER, deliver, fresh, line_channel  # noqa: F401  (LINE fixtures)

#: what only this customer wrote or is: none of it may be found anywhere after the erasure
NAME = "สมศรี มีสุขสันต์"
SENTENCE = "ดิฉันอาศัยอยู่ซอยลาดพร้าวเจ็ดสิบเอ็ดบ้านเลขที่ห้าสิบเก้าค่ะ"
PHONE = "081-234-5678"
PHONE_DIGITS = "812345678"
EMAIL = "somsri.meesuk@example.co.th"
FILE_NAME = "บัตรประชาชน-สมศรี.pdf"
WEB_FILE = b"%PDF-1.4 SOMSRI-ID-CARD-7731"
LINE_PHOTO = b"\xff\xd8\xff\xe0SOMSRI-LINE-PHOTO-5521\xff\xd9"
MAIL_FILE = b"%PDF-1.4 SOMSRI-HOUSE-REGISTRATION-3390"
VISITOR = "visitor-somsri-aaaaaaaaaaaaaaaaaaaa"
LINE_MESSAGE_ID = "661234567890123001"
LINE_PHOTO_ID = "661234567890123002"


@dataclass
class Customer:
    contact: Any
    conversations: dict[str, Any]
    #: strings and bytes that name or quote the customer
    texts: list[str] = field(default_factory=list)
    blobs: list[bytes] = field(default_factory=list)
    line_body: bytes = b""


def needles(customer: Customer) -> list[bytes]:
    """Every form a personal detail may be stored in: as UTF-8, and as a JSON string escapes it."""
    forms: set[bytes] = set(customer.blobs)
    for text in customer.texts:
        forms.add(text.encode())
        forms.add(json.dumps(text)[1:-1].encode())
    return sorted(forms)


def database_rows() -> Iterator[tuple[str, bytes]]:
    """Every value of every row of every table (the full-text index's own tables too), as bytes."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor, include_views=False):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names come from the database itself)
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        yield table, bytes(value)
                    elif value is not None:
                        yield table, str(value).encode()


def found_in_database(customer: Customer) -> list[tuple[str, bytes]]:
    wanted = needles(customer)
    return sorted({(table, needle) for table, value in database_rows() for needle in wanted if needle in value})


def found_in_media(customer: Customer) -> list[tuple[str, bytes]]:
    wanted = needles(customer)
    hits: list[tuple[str, bytes]] = []
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        name = str(path).encode()
        content = path.read_bytes() if path.is_file() else b""
        hits.extend((str(path), needle) for needle in wanted if needle in name or needle in content)
    return hits


@pytest.fixture
def admin_client(client: Client, admin_user: Any) -> Client:
    client.force_login(admin_user)
    return client


@pytest.fixture
def customer(team: Any, support_team: Any, website: Any, line_channel: Any, mailbox_channel: Any,  # noqa: F811
             deliver: Callable[..., Any], line_api: Any, agent: Any, admin_user: Any,  # noqa: F811
             run_jobs: Callable[[], int]) -> Customer:
    from ruamchat.connectors.email.actions import ingest
    from ruamchat.connectors.website.actions import receive_visitor_message
    from ruamchat.contacts import actions as contacts
    from ruamchat.contacts.models import AttributeDefinition, Contact
    from ruamchat.inbox import actions as inbox
    from ruamchat.inbox.models import Conversation

    # the website: the visitor says who they are and sends a copy of their ID card
    web = receive_visitor_message(
        channel=website, visitor_token=VISITOR, client_id="client-somsri-0001", name=NAME, email=EMAIL,
        text=f"สวัสดีค่ะ {SENTENCE} โทร {PHONE}", page_url="https://shop.example/orders?email=" + EMAIL,
        uploads=[SimpleUploadedFile(FILE_NAME, WEB_FILE, content_type="application/pdf")])
    run_jobs()
    # LINE: a text and a photo through the signed webhook; LINE tells us their display name
    line_api.add_profile(CUSTOMER, NAME)
    line_api.add_content(LINE_PHOTO_ID, LINE_PHOTO, "image/jpeg")
    line_body = fresh("message_text", **{"message.text": f"{SENTENCE} เบอร์ {PHONE}", "message.id": LINE_MESSAGE_ID,
                                         "webhookEventId": "01JPRIVACYTEXT0000000000001"})
    assert deliver(line_body).status_code == 200
    assert deliver(fresh("message_image", **{"message.id": LINE_PHOTO_ID,
                                            "webhookEventId": "01JPRIVACYPHOTO000000000001"})).status_code == 200
    run_jobs()
    # email: a mail with an attachment
    ingest(channel=mailbox_channel, raw=mail(
        sender=f"{NAME} <{EMAIL}>", subject=f"ขอแก้ที่อยู่ {PHONE}", message_id=f"20261120.{EMAIL}",
        text=f"{SENTENCE}\nโทรกลับที่ {PHONE}",
        attachments=[(FILE_NAME, "application/pdf", MAIL_FILE)]))
    run_jobs()

    conversations = {
        "web": Conversation.objects.get(channel=website),
        "line": Conversation.objects.get(channel=line_channel),
        "mail": Conversation.objects.get(channel=mailbox_channel),
    }
    target = Contact.objects.get(pk=web.conversation.contact_id)
    for name in ("line", "mail"):
        source = Contact.objects.get(pk=conversations[name].contact_id)
        contacts.merge_contacts(actor=admin_user, target=target, source=source)
    target.refresh_from_db()

    # what agents add about them
    contacts.update_contact(contact=target, phone=PHONE)
    AttributeDefinition.objects.create(key="member_no", label_th="เลขสมาชิก", label_en="Member number")
    contacts.set_attributes(actor=admin_user, contact=target, values={"member_no": "SOMSRI-MEMBER-4410"})
    contacts.add_contact_tag(actor=admin_user, contact=target, name="VIP")
    contacts.add_note(actor=admin_user, contact=target, text=f"ลูกค้าขอให้โทรหา {PHONE} หลังหกโมงเย็น")
    web_conversation = conversations["web"]
    inbox.send_reply(conversation=web_conversation, actor=agent, text=f"ขอบคุณค่ะคุณ{NAME} จะโทรกลับที่ {PHONE}")
    inbox.add_note(conversation=web_conversation, actor=agent, text=f"ลูกค้าอีเมล {EMAIL}")
    inbox.transfer(conversation=web_conversation, actor=agent, team=support_team,
                   reason=f"ลูกค้า{NAME}ขอให้ซ่อมด่วน", note=f"ที่อยู่ {SENTENCE}")
    run_jobs()
    # an unhappy survey answer about the LINE conversation: its comment, and the follow-up it opens
    from ruamchat.surveys.actions import answer_on_page
    from ruamchat.surveys.models import Invitation, Survey

    Survey.objects.get(kind="csat").channels.add(line_channel)
    inbox.send_reply(conversation=conversations["line"], actor=agent, text="ได้รับรูปแล้วค่ะ")
    run_jobs()
    inbox.change_status(conversation=conversations["line"], actor=agent, status="resolved")
    run_jobs()
    answer_on_page(invitation=Invitation.objects.get(conversation=conversations["line"]), score=1,
                   comment=f"แย่มาก {SENTENCE}")
    run_jobs()
    # and then they said no more surveys, please
    contacts.record_consent(contact=target, purpose="surveys", granted=False, source="agent",
                            note=f"โทรมาแจ้งจากเบอร์ {PHONE}", actor=admin_user)
    for conversation in conversations.values():
        conversation.refresh_from_db()
    return Customer(
        contact=target, conversations=conversations, line_body=line_body,
        texts=[NAME, "สมศรี", SENTENCE, PHONE, PHONE_DIGITS, EMAIL, FILE_NAME, VISITOR, CUSTOMER,
               "SOMSRI-MEMBER-4410"],
        blobs=[WEB_FILE, LINE_PHOTO, MAIL_FILE],
    )
