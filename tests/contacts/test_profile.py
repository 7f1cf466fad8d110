"""The customer's profile: custom attributes, tags, notes, consent, lifetime figures, and who saw it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ruamchat.contacts.actions import set_attributes
from ruamchat.contacts.models import AttributeDefinition, Consent
from ruamchat.contacts.selectors import lifetime
from ruamchat.privacy.models import AuditRecord
from ruamchat.surveys.models import Response
from tests.pages import login
from tests.surveys.factories import answered

pytestmark = pytest.mark.django_db


@pytest.fixture
def definitions() -> dict[str, AttributeDefinition]:
    made = {}
    for key, kind, choices in (("member_level", "list", "Silver\nGold\nPlatinum"), ("points", "number", ""),
                               ("birthday", "date", ""), ("wholesale", "boolean", ""), ("shop_page", "link", ""),
                               ("company", "text", "")):
        made[key] = AttributeDefinition.objects.create(key=key, label_th=f"th-{key}", label_en=f"en-{key}", kind=kind,
                                                       choices=choices)
    return made


def test_attributes_are_typed_and_checked(conversation: Any, agent: Any, definitions: Any) -> None:
    contact = conversation.contact
    set_attributes(actor=agent, contact=contact, values={
        "member_level": "Gold", "points": "1,250", "birthday": "1990-04-13", "wholesale": "yes",
        "shop_page": "https://shopee.co.th/malee", "company": "ร้านมาลี"})
    contact.refresh_from_db()
    assert contact.attributes == {"member_level": "Gold", "points": 1250, "birthday": "1990-04-13",
                                  "wholesale": True, "shop_page": "https://shopee.co.th/malee", "company": "ร้านมาลี"}

    for key, bad in (("member_level", "Diamond"), ("points", "many"), ("birthday", "13/04/1990"),
                     ("wholesale", "maybe"), ("shop_page", "javascript:alert(1)"), ("unknown", "x")):
        with pytest.raises(ValidationError) as error:
            set_attributes(actor=agent, contact=contact, values={"company": "changed", key: bad})
        assert key in error.value.message_dict
    contact.refresh_from_db()
    assert contact.attributes["company"] == "ร้านมาลี"  # all or nothing

    set_attributes(actor=agent, contact=contact, values={"company": ""})  # blank clears
    contact.refresh_from_db()
    assert "company" not in contact.attributes


def test_an_agent_who_cannot_see_the_customer_cannot_change_them(
        conversation: Any, make_agent: Any, support_team: Any, definitions: Any) -> None:
    outsider = make_agent(teams=[support_team], username="outsider")
    with pytest.raises(PermissionDenied):
        set_attributes(actor=outsider, contact=conversation.contact, values={"company": "x"})
    assert login(outsider).get(f"/contacts/{conversation.contact.pk}/").status_code == 404


def test_the_page_edits_details_attributes_tags_notes_and_consent(
        conversation: Any, agent: Any, definitions: Any) -> None:
    contact = conversation.contact
    client = login(agent)
    base = f"/contacts/{contact.pk}"
    client.post(f"{base}/edit", {"name": "มาลี ใจดี", "email": "Malee@Example.com", "phone": "081 234 5678",
                                 "language": "th"})
    client.post(f"{base}/attributes", {"attr-member_level": "Platinum", "attr-points": "oops"})
    client.post(f"{base}/tags/add", {"name": "ลูกค้าประจำ"})
    client.post(f"{base}/notes", {"text": "แพ้ผ้าขนสัตว์ <b>อย่าเสนอ</b>"})
    client.post(f"{base}/consent", {"purpose": "surveys", "granted": "no", "note": "บอกทางโทรศัพท์"})

    contact.refresh_from_db()
    assert (contact.name, contact.email, contact.phone_key) == ("มาลี ใจดี", "malee@example.com", "+66812345678")
    assert contact.attributes == {}  # a bad number stopped the whole form
    page = client.get(f"{base}/").content.decode()
    assert "“oops” is not a number." in page  # said on the page the form comes back to
    assert "ลูกค้าประจำ" in page
    assert "แพ้ผ้าขนสัตว์ &lt;b&gt;อย่าเสนอ&lt;/b&gt;" in page  # a note is text, never markup
    assert 'data-purpose="surveys"><span class="badge badge-bad">Refused' in page
    consent = Consent.objects.get(contact=contact)
    assert (consent.source, consent.recorded_by_id, consent.note) == ("agent", agent.pk, "บอกทางโทรศัพท์")
    assert set(AuditRecord.objects.filter(contact_id=contact.pk).values_list("action", flat=True)) == {
        "edited", "consent", "viewed"}
    assert "“oops” is not a number." not in client.get(f"{base}/").content.decode()  # once


def test_lifetime_figures(conversation: Any, visitor_says: Any) -> None:
    contact = conversation.contact
    visitor_says("อีกเรื่องค่ะ")  # the same visitor, the same conversation
    for kind, score in (("csat", 5), ("csat", 2), ("nps", 9)):
        Response.objects.filter(pk=answered(kind, score).pk).update(contact=contact)
    latest_nps = answered("nps", 3, at=timezone.now() - timedelta(minutes=5))
    Response.objects.filter(pk=latest_nps.pk).update(contact=contact)
    figures = lifetime(contact)
    assert figures.conversations == 1
    assert figures.csat_average == 3.5 and figures.csat_answers == 2
    assert figures.last_nps == 3
    assert figures.last_contact is not None


def test_views_are_audit_logged_once_per_person_every_ten_minutes(conversation: Any, agent: Any,
                                                                    supervisor: Any) -> None:
    contact = conversation.contact
    with time_machine.travel(timezone.now(), tick=False) as clock:
        login(agent).get(f"/contacts/{contact.pk}/")
        login(agent).get(f"/contacts/{contact.pk}/")
        login(supervisor).get(f"/contacts/{contact.pk}/")
        clock.shift(timedelta(minutes=11))
        login(agent).get(f"/contacts/{contact.pk}/")
    views = AuditRecord.objects.filter(action="viewed", contact_id=contact.pk)
    assert sorted(views.values_list("actor__username", flat=True)) == ["somchai", "somchai", "supa"]
    assert views.first().address == "127.0.0.1"


def test_the_conversation_side_panel_shows_the_customer(conversation: Any, agent: Any, definitions: Any) -> None:
    contact = conversation.contact
    set_attributes(actor=agent, contact=contact, values={"member_level": "Gold", "wholesale": "no"})
    contact.tags.create(name="vip")
    Response.objects.filter(pk=answered("csat", 4).pk).update(contact=contact)
    page = login(agent).get(f"/inbox/c/{conversation.pk}/").content.decode()
    assert f'href="/contacts/{contact.pk}/" id="customer-profile-link"' in page
    assert "CSAT 4.0 / 5" in page
    assert "<dt>en-member_level</dt><dd>Gold</dd>" in page and "<dt>en-wholesale</dt><dd>No</dd>" in page
    assert '<li class="tag">vip</li>' in page
    assert 'id="orders-panel"' in page


def test_the_api_reads_and_sets_attributes_and_tags(conversation: Any, agent: Any, client_for: Any,
                                                    definitions: Any) -> None:
    contact = conversation.contact
    contact.tags.create(name="vip")
    api = client_for(agent)
    done = api.patch(f"/api/v1/contacts/{contact.pk}/attributes", {"values": {"points": "300", "wholesale": "yes"}},
                     content_type="application/json")
    assert done.status_code == 200
    assert done.json()["attributes"] == {"points": 300, "wholesale": True}
    assert done.json()["tags"] == ["vip"]
    refused = api.patch(f"/api/v1/contacts/{contact.pk}/attributes", {"values": {"points": "lots"}},
                        content_type="application/json")
    assert refused.status_code == 400
    assert api.get(f"/api/v1/contacts/{contact.pk}").json()["attributes"] == {"points": 300, "wholesale": True}
