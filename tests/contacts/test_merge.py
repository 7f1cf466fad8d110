"""Merging two records of one customer, and undoing it: what moves, what is filled in, what is recorded."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ruamchat.contacts.actions import add_note, merge_contacts, record_consent, undo_merge
from ruamchat.contacts.models import Consent, Contact, ContactNote, Identity
from ruamchat.inbox.models import Conversation, Event, Tag
from ruamchat.privacy.models import AuditRecord
from ruamchat.surveys.models import Response
from tests.contacts.conftest import person
from tests.pages import login
from tests.surveys.factories import answered

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_records(visitor_says: Any, line: Any, supervisor: Any) -> dict[str, Any]:
    """The same customer twice: on the website chat (with a conversation, a note, a CSAT answer) and on LINE
    (with an email address, a phone number, a tag and a consent record)."""
    web_conversation = visitor_says("ขอเปลี่ยนไซส์เสื้อค่ะ", visitor="visitor-malee-aaaaaaaaaaaaaa").conversation
    web = web_conversation.contact
    web.name = "มาลี ใจดี"
    web.save()
    add_note(actor=supervisor, contact=web, text="ชอบให้ติดต่อทางไลน์")
    csat = answered("csat", 5)
    Response.objects.filter(pk=csat.pk).update(contact=web)
    on_line = person(line, "U" + "a" * 32, name="มาลี ใจดี", email="malee@example.com", phone="081-234-5678")
    on_line.tags.add(Tag.objects.create(name="vip"))
    record_consent(contact=on_line, purpose="surveys", granted=False, source="agent")
    line_conversation = Conversation.objects.create(channel=line, contact=on_line,
                                                    identity=on_line.identities.get(), team=web_conversation.team)
    return {"web": web, "line": on_line, "web_conversation": web_conversation, "line_conversation": line_conversation,
            "csat": csat}


def test_a_merge_moves_identities_conversations_notes_consents_and_answers(
        two_records: dict[str, Any], supervisor: Any) -> None:
    web, line_contact = two_records["web"], two_records["line"]
    merge = merge_contacts(actor=supervisor, target=web, source=line_contact)

    web.refresh_from_db()
    line_contact.refresh_from_db()
    assert set(web.identities.values_list("channel__kind", flat=True)) == {"website", "line"}
    assert set(Conversation.objects.filter(contact=web).values_list("pk", flat=True)) == {
        two_records["web_conversation"].pk, two_records["line_conversation"].pk}
    assert ContactNote.objects.filter(contact=web).count() == 1
    assert Consent.objects.filter(contact=web, purpose="surveys", granted=False).count() == 1
    assert Response.objects.get(pk=two_records["csat"].pk).contact_id == web.pk
    # the kept customer's name stays; what it lacked comes from the other; tags are added
    assert (web.name, web.email, web.phone, web.phone_key) == ("มาลี ใจดี", "malee@example.com", "081-234-5678",
                                                                    "+66812345678")
    assert list(web.tags.values_list("name", flat=True)) == ["vip"]
    # the other record is kept empty-handed, pointing at the one it became
    assert line_contact.merged_into_id == web.pk
    assert not Identity.objects.filter(contact=line_contact).exists()
    # both conversations say so in their timelines; the audit log has it
    merged = Event.objects.filter(kind=Event.Kind.CONTACT_MERGED)
    assert set(merged.values_list("conversation_id", flat=True)) == {
        two_records["web_conversation"].pk, two_records["line_conversation"].pk}
    assert merged.first().data == {"source_id": line_contact.pk, "target_id": web.pk, "merge_id": merge.pk}
    record = AuditRecord.objects.get(action="merged")
    assert (record.contact_id, record.actor_id, record.detail["conversations"]) == (web.pk, supervisor.pk, 1)


def test_undo_puts_everything_back(two_records: dict[str, Any], supervisor: Any) -> None:
    web, line_contact = two_records["web"], two_records["line"]
    merge = merge_contacts(actor=supervisor, target=web, source=line_contact)
    undo_merge(actor=supervisor, merge=merge)

    web.refresh_from_db()
    line_contact.refresh_from_db()
    assert line_contact.merged_into_id is None
    assert list(web.identities.values_list("channel__kind", flat=True)) == ["website"]
    assert list(line_contact.identities.values_list("channel__kind", flat=True)) == ["line"]
    assert two_records["line_conversation"].__class__.objects.get(
        pk=two_records["line_conversation"].pk).contact_id == line_contact.pk
    assert Consent.objects.filter(contact=line_contact).count() == 1
    assert ContactNote.objects.filter(contact=web).count() == 1  # the website record's own note stays
    assert (web.email, web.phone, web.phone_key) == ("", "", "")
    assert not web.tags.exists()
    assert Event.objects.filter(kind=Event.Kind.CONTACT_UNMERGED,
                                conversation=two_records["line_conversation"]).exists()
    assert AuditRecord.objects.filter(action="unmerged", contact_id=web.pk).exists()
    with pytest.raises(ValidationError):
        undo_merge(actor=supervisor, merge=merge)


def test_undo_keeps_what_an_agent_changed_after_the_merge(two_records: dict[str, Any], supervisor: Any) -> None:
    web, line_contact = two_records["web"], two_records["line"]
    merge = merge_contacts(actor=supervisor, target=web, source=line_contact)
    Contact.objects.filter(pk=web.pk).update(email="malee.new@example.com")
    undo_merge(actor=supervisor, merge=merge)
    web.refresh_from_db()
    assert web.email == "malee.new@example.com"  # typed since: not the merge's to take back
    assert web.phone == ""


def test_agents_cannot_merge_and_nobody_merges_a_customer_with_itself(
        two_records: dict[str, Any], agent: Any, supervisor: Any) -> None:
    with pytest.raises(PermissionDenied):
        merge_contacts(actor=agent, target=two_records["web"], source=two_records["line"])
    with pytest.raises(ValidationError):
        merge_contacts(actor=supervisor, target=two_records["web"], source=two_records["web"])
    merge_contacts(actor=supervisor, target=two_records["web"], source=two_records["line"])
    with pytest.raises(ValidationError):  # already merged away
        merge_contacts(actor=supervisor, target=two_records["web"], source=two_records["line"])


def test_merging_and_undoing_from_the_customer_page(two_records: dict[str, Any], supervisor: Any, agent: Any) -> None:
    web, line_contact = two_records["web"], two_records["line"]
    client = login(supervisor)
    page = client.get(f"/contacts/{web.pk}/")
    assert page.status_code == 200
    assert f'id="merge-{line_contact.pk}"' in page.content.decode()  # suggested: same name on another channel

    preview = client.get(f"/contacts/{web.pk}/merge?other={line_contact.pk}")
    assert preview.status_code == 200
    assert 'data-count="conversations">1<' in preview.content.decode()
    assert Contact.objects.get(pk=line_contact.pk).merged_into_id is None  # looking changes nothing

    done = client.post(f"/contacts/{web.pk}/merge", {"other": line_contact.pk}, follow=True)
    assert "081-234-5678" in done.content.decode()
    # the merged-away record's address leads to the kept one
    moved = client.get(f"/contacts/{line_contact.pk}/")
    assert moved.status_code == 302 and moved["Location"] == f"/contacts/{web.pk}/"

    merge_id = web.merges_in.get().pk
    assert login(agent).post(f"/contacts/{web.pk}/merges/{merge_id}/undo").status_code == 403
    client.post(f"/contacts/{web.pk}/merges/{merge_id}/undo")
    assert Contact.objects.get(pk=line_contact.pk).merged_into_id is None


def test_the_merge_appears_in_the_conversation_timeline(two_records: dict[str, Any], supervisor: Any) -> None:
    merge_contacts(actor=supervisor, target=two_records["web"], source=two_records["line"])
    page = login(supervisor).get(f"/inbox/c/{two_records['line_conversation'].pk}/").content.decode()
    assert (f"merged customer #{two_records['line'].pk} into customer #{two_records['web'].pk}") in page
