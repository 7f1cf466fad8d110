"""Exporting everything held about a customer (PDPA right of access): one zip an administrator downloads."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from ruamchat.privacy.models import AuditRecord
from tests.connectors.line.conftest import CUSTOMER
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
)

pytestmark = pytest.mark.django_db


def _download(client: Client, contact_id: int) -> zipfile.ZipFile:
    response = client.post(f"/privacy/contacts/{contact_id}/export")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f'filename="contact-{contact_id}.zip"' in response["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(response.getvalue()))


def test_the_zip_holds_the_profile_every_conversation_and_the_files(
    customer: Customer, admin_client: Client, visitor_says: Callable[..., Any],
) -> None:
    visitor_says("ข้อความของลูกค้าคนอื่น ไม่เกี่ยวกัน", visitor="visitor-someone-else-dddddddddddddd")
    archive = _download(admin_client, customer.contact.pk)
    raw = archive.read("contact.json")
    assert SENTENCE.encode() in raw  # Thai as it is, not \u escapes
    data = json.loads(raw)

    profile = data["contact"]
    assert (profile["id"], profile["name"], profile["email"], profile["phone"]) == (
        customer.contact.pk, NAME, EMAIL, PHONE)
    assert profile["attributes"] == [{"key": "member_no", "label": "เลขสมาชิก", "value": "SOMSRI-MEMBER-4410"}]
    assert profile["tags"] == ["VIP"] and profile["created_at"].endswith("+07:00")
    assert [n["text"] for n in data["notes"]] == [f"ลูกค้าขอให้โทรหา {PHONE} หลังหกโมงเย็น"]
    assert sorted(i["channel"]["kind"] for i in data["identities"]) == ["email", "line", "website"]
    line = next(i for i in data["identities"] if i["channel"]["kind"] == "line")
    assert line["external_id"] == CUSTOMER and line["display_name"] == NAME
    assert [(c["purpose"], c["granted"], c["note"]) for c in data["consents"]] == [
        ("surveys", False, f"โทรมาแจ้งจากเบอร์ {PHONE}")]
    assert len(data["merged_contacts"]) == 2

    conversations = {c["channel"]["kind"]: c for c in data["conversations"] if c["id"] in
                     {c.pk for c in customer.conversations.values()}}
    web = conversations["website"]
    texts = [m["text"] for m in web["messages"]]
    assert f"สวัสดีค่ะ {SENTENCE} โทร {PHONE}" in texts and f"ลูกค้าอีเมล {EMAIL}" in texts
    note = next(m for m in web["messages"] if m["text"] == f"ลูกค้าอีเมล {EMAIL}")
    assert note["internal_note"] is True and note["sender"] == "agent" and note["agent"] == "Somchai"
    first = web["messages"][0]
    assert first["direction"] == "in" and first["sender"] == "contact" and first["time"].endswith("+07:00")
    assert "transferred" in [e["kind"] for e in web["events"]]
    assert all(e["description"] and e["time"].endswith("+07:00") for e in web["events"])
    assert len(data["conversations"]) == 4  # and the follow-up the unhappy answer opened
    assert "ไม่เกี่ยวกัน" not in raw.decode()  # nothing of another customer

    files = {m["attachments"][0]["file"]: m["attachments"][0] for c in data["conversations"] for m in c["messages"]
             if m["attachments"]}
    contents = {path: archive.read(path) for path in files}
    assert sorted(contents.values()) == sorted([WEB_FILE, LINE_PHOTO, MAIL_FILE])
    web_file = next(path for path, content in contents.items() if content == WEB_FILE)
    assert web_file.startswith(f"attachments/{customer.conversations['web'].pk}/") and web_file.endswith(FILE_NAME)
    assert files[web_file]["filename"] == FILE_NAME and files[web_file]["size"] == len(WEB_FILE)

    [answer] = [s for s in data["survey_invitations"] if s["response"]]
    assert answer["survey"]["kind"] == "csat" and answer["response"]["score"] == 1
    assert answer["response"]["comment"] == f"แย่มาก {SENTENCE}"
    assert [f["about"] for f in data["follow_ups"]] == [customer.conversations["line"].pk]

    record = AuditRecord.objects.get(action="exported")
    assert record.contact_id == customer.contact.pk and record.actor.get_username() == "admin"
    assert record.detail == {"conversations": 4, "messages": sum(len(c["messages"]) for c in data["conversations"]),
                             "attachments": 3, "bytes": len(WEB_FILE) + len(LINE_PHOTO) + len(MAIL_FILE)}


def test_the_command_writes_the_same_zip(visitor_says: Callable[..., Any], tmp_path: Path) -> None:
    contact_id = visitor_says("ขอสำเนาข้อมูลของฉันค่ะ").conversation.contact_id
    target = tmp_path / "export.zip"
    out = io.StringIO()
    call_command("export_contact", str(contact_id), str(target), stdout=out)
    assert "1 conversations, 1 messages" in out.getvalue()
    data = json.loads(zipfile.ZipFile(target).read("contact.json"))
    assert [m["text"] for m in data["conversations"][0]["messages"]] == ["ขอสำเนาข้อมูลของฉันค่ะ"]
    assert AuditRecord.objects.get(action="exported").actor is None


def test_an_unknown_customer_is_not_found(admin_client: Client) -> None:
    assert admin_client.post("/privacy/contacts/999999/export").status_code == 404
    assert not AuditRecord.objects.exists()
