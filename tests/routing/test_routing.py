"""Every new conversation is triaged, then routed by the administrators' rules in order; each applied rule
is in the timeline. Rules are managed through the REST API (and the admin pages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from ruamchat.routing.actions import create_rule

pytestmark = pytest.mark.django_db


def test_without_rules_a_conversation_stays_with_the_channels_team(line_says: Callable[..., Any], team: Any) -> None:
    conversation = line_says("สอบถามเวลาเปิดร้านค่ะ").conversation
    assert conversation.team == team
    assert conversation.events.filter(kind="triaged").exists()
    assert not conversation.events.filter(kind="rule_applied").exists()


def test_triage_sets_priority_and_category_with_reasons(line_says: Callable[..., Any]) -> None:
    conversation = line_says("ปลั๊กพ่วงมีควันออกมาแล้วมีกลิ่นไหม้ค่ะ").conversation
    assert conversation.priority == 0
    reasons = conversation.triage["reasons"]
    assert any(r["field"] == "priority" and r["value"] == "0" for r in reasons)
    triaged = conversation.events.get(kind="triaged")
    assert triaged.data["priority"] == 0


def test_a_support_category_goes_to_the_support_team_by_rule(line_says: Callable[..., Any],
                                                              support_team: Any) -> None:
    create_rule(actor=None, name="ซัพพอร์ตรับเรื่องคืนเงิน",
                conditions=[{"field": "triage_team", "op": "is", "value": "support"}],
                actions=[{"type": "set_team", "value": support_team.pk}, {"type": "add_tag", "value": "คืนเงิน"}])
    conversation = line_says("ขอคืนเงินค่ะ สินค้าที่ได้รับไม่ตรงปก").conversation
    conversation.refresh_from_db()
    assert conversation.team == support_team
    assert list(conversation.tags.values_list("name", flat=True)) == ["คืนเงิน"]
    applied = conversation.events.get(kind="rule_applied")
    assert applied.data["rule"] == "ซัพพอร์ตรับเรื่องคืนเงิน"
    assert {"type": "set_team", "value": support_team.pk, "label": support_team.name} in applied.data["actions"]


def test_rules_run_in_order_and_stop_stops(line_says: Callable[..., Any], team: Any, support_team: Any) -> None:
    create_rule(actor=None, name="second", position=20, conditions=[],
                actions=[{"type": "set_priority", "value": 3}])
    create_rule(actor=None, name="first", position=10, stop=True,
                conditions=[{"field": "text", "op": "contains_word", "value": "ด่วน"}],
                actions=[{"type": "set_priority", "value": 1}])
    urgent = line_says("ด่วนมากค่ะ ขอเลขพัสดุ", user="U2").conversation
    urgent.refresh_from_db()
    assert urgent.priority == 1
    assert list(urgent.events.filter(kind="rule_applied").values_list("data__rule", flat=True)) == ["first"]
    other = line_says("ขอเลขพัสดุหน่อยค่ะ", user="U3").conversation
    other.refresh_from_db()
    assert other.priority == 3


def test_contains_word_is_thai_aware_not_a_substring(line_says: Callable[..., Any]) -> None:
    create_rule(actor=None, name="ตา", conditions=[{"field": "text", "op": "contains_word", "value": "ตา"}],
                actions=[{"type": "add_tag", "value": "ตา"}])
    inside = line_says("ขอตารางผ่อนชำระหน่อยค่ะ", user="U4").conversation  # "ตา" only inside "ตาราง"
    assert not inside.tags.exists()
    word = line_says("แว่นตาที่สั่งไปยังไม่ได้รับค่ะ ตา ข้างซ้ายเลนส์แตก", user="U5").conversation
    assert word.tags.filter(name="ตา").exists()


def test_regex_and_language_conditions(line_says: Callable[..., Any], support_team: Any) -> None:
    create_rule(actor=None, name="order number",
                conditions=[{"field": "text", "op": "matches_regex", "value": r"ORD-\d{5}"},
                            {"field": "language", "op": "is", "value": "en"}],
                actions=[{"type": "set_category", "value": "order_status"}])
    english = line_says("Where is my parcel ORD-12345?", user="U6").conversation
    english.refresh_from_db()
    assert english.category == "order_status"
    thai = line_says("พัสดุ ORD-12345 อยู่ไหนคะ", user="U7").conversation
    assert not thai.events.filter(kind="rule_applied").exists()  # the language condition does not hold


def test_outside_business_hours_sends_an_automatic_reply(line_says: Callable[..., Any], team: Any,
                                                         run_jobs: Callable[[], int]) -> None:
    from ruamchat.sla.models import Calendar

    Calendar.objects.create(name="ปิดตลอด", is_default=True, holiday_country="")  # no opening hours at all
    create_rule(actor=None, name="นอกเวลา", conditions=[{"field": "business_hours", "op": "outside"}],
                actions=[{"type": "auto_reply", "value": "ขณะนี้อยู่นอกเวลาทำการ ทีมงานจะติดต่อกลับค่ะ"}])
    conversation = line_says("สวัสดีค่ะ", user="U8").conversation
    run_jobs()
    reply = conversation.messages.get(direction="out")
    assert reply.sender_type == "system" and reply.text.startswith("ขณะนี้อยู่นอกเวลาทำการ")
    conversation.refresh_from_db()
    assert conversation.first_reply_at is None  # an automatic reply is not a first response


def test_a_broken_rule_never_loses_the_message(line_says: Callable[..., Any]) -> None:
    from ruamchat.routing.models import RoutingRule

    RoutingRule.objects.create(name="broken", conditions=[{"field": "text", "op": "matches_regex", "value": "("}],
                               actions=[{"type": "set_priority", "value": 0}])
    message = line_says("ยังได้รับข้อความอยู่ไหม", user="U9")
    assert message.pk and message.conversation.priority != 0


def test_rules_through_the_api(client_for: Callable[[Any], Client], admin_user: Any, agent: Any,
                               support_team: Any) -> None:
    api = client_for(admin_user)
    created = api.post("/api/v1/routing-rules", {
        "name": "Refunds to Support", "conditions": [{"field": "triage_category", "op": "is", "value": "refund"}],
        "actions": [{"type": "set_team", "value": support_team.pk}]}, content_type="application/json")
    assert created.status_code == 201, created.content
    rule_id = created.json()["id"]
    bad = api.post("/api/v1/routing-rules", {
        "name": "bad", "conditions": [{"field": "text", "op": "matches_regex", "value": "("}],
        "actions": [{"type": "set_team", "value": 999999}]}, content_type="application/json")
    assert bad.status_code == 400
    assert "conditions" in bad.content.decode() and "actions" in bad.content.decode()
    assert api.patch(f"/api/v1/routing-rules/{rule_id}", {"is_active": False},
                     content_type="application/json").json()["is_active"] is False
    assert [r["name"] for r in api.get("/api/v1/routing-rules").json()] == ["Refunds to Support"]
    assert client_for(agent).get("/api/v1/routing-rules").status_code == 403
    assert api.delete(f"/api/v1/routing-rules/{rule_id}").status_code == 204


def test_admin_edits_rules_and_sees_mistakes(client: Client, admin_user: Any) -> None:
    client.force_login(admin_user)
    response = client.post("/django-admin/routing/routingrule/add/", {
        "name": "bad", "position": 10, "is_active": "on", "conditions": '[{"field": "nope"}]',
        "actions": "[]"})
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "conditions" in form.errors and "actions" in form.errors
    ok = client.post("/django-admin/routing/routingrule/add/", {
        "name": "ด่วน", "position": 10, "is_active": "on",
        "conditions": '[{"field": "triage_priority", "op": "is", "value": 0}]',
        "actions": '[{"type": "add_tag", "value": "ด่วน"}]'})
    assert ok.status_code == 302
    from ruamchat.routing.models import RoutingRule

    saved = RoutingRule.objects.get(name="ด่วน")
    assert saved.conditions == [{"field": "triage_priority", "op": "is", "value": 0}]
    assert saved.actions == [{"type": "add_tag", "value": "ด่วน"}]


def test_a_customer_angry_again_is_high_priority(line_says: Callable[..., Any], agent: Any) -> None:
    from ruamchat.inbox.actions import change_status

    first = line_says("แย่มาก บริการห่วยที่สุด ไม่พอใจเลย!!!", user="A1").conversation
    assert first.triage["angry"] is True
    change_status(conversation=first, actor=agent, status="closed")
    again = line_says("แย่มาก บริการห่วยที่สุด ไม่พอใจเลย!!!", user="A1").conversation
    assert again.pk != first.pk and again.priority == 1
    assert any(r["rule"] == "angry" for r in again.triage["reasons"])


def test_agents_read_the_triage_reasons_and_rules_in_the_timeline(line_says: Callable[..., Any], agent: Any,
                                                                  support_team: Any, client: Client) -> None:
    create_rule(actor=None, name="Refunds to Support", conditions=[{"field": "triage_team", "op": "is",
                                                                     "value": "support"}],
                actions=[{"type": "set_team", "value": support_team.pk}])
    conversation = line_says("มีควันออกจากปลั๊กค่ะ ขอคืนเงินด้วย", user="TL").conversation
    conversation.refresh_from_db()
    from ruamchat.web.timeline import describe

    with translation.override("en"):
        sentences = [e.sentence for e in describe(conversation.events.order_by("id"))]
    triage = next(s for s in sentences if s.startswith("Triage suggests"))
    assert "Urgent" in triage and "ควัน” (safety hazard) → Urgent" in triage
    assert any(s.startswith("Routing rule “Refunds to Support” applied: ") and support_team.name in s
               for s in sentences)
