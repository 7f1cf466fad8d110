"""SLA clocks on conversations: due times in business time of the team's calendar, pending pauses the
resolution clock, warnings and breaches announced once (timeline + live alert), escalation on breach, the
queue puts breached first. Times are fixed: the clocks are computed with an explicit "now"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ruamchat.inbox.models import Conversation, Event
from ruamchat.sla import actions as sla
from ruamchat.sla.models import Calendar, OpeningPeriod, SlaPolicy

pytestmark = pytest.mark.django_db
BKK = ZoneInfo("Asia/Bangkok")


def bkk(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=BKK)


@pytest.fixture
def office(team: Any) -> Calendar:
    """Mon–Fri 09:00–18:00 Bangkok, Thai public holidays, the service team's calendar."""
    calendar = Calendar.objects.create(name="สำนักงาน", time_zone="Asia/Bangkok", holiday_country="TH")
    for day in range(5):
        OpeningPeriod.objects.create(calendar=calendar, weekday=day, opens=time(9), closes=time(18))
    calendar.teams.add(team)
    return calendar


@pytest.fixture
def policy(team: Any, office: Calendar) -> SlaPolicy:
    return SlaPolicy.objects.create(team=team, priority=None, first_response_minutes=60,
                                    next_response_minutes=30, resolution_minutes=8 * 60, warn_percent=75)


def _at(conversation: Conversation, created: datetime) -> Conversation:
    Conversation.objects.filter(pk=conversation.pk).update(created_at=created, waiting_since=created)
    conversation.refresh_from_db()
    return conversation


def test_due_times_in_business_time_across_a_weekend(policy: SlaPolicy, visitor_says: Callable[..., Any]) -> None:
    conversation = _at(visitor_says("สวัสดีค่ะ").conversation, bkk(2026, 5, 15, 17, 30))  # Friday 17:30
    sla.recompute(conversation, now=bkk(2026, 5, 15, 17, 31))
    conversation.refresh_from_db()
    assert conversation.first_response_due_at == bkk(2026, 5, 18, 9, 30)  # 30 min Fri + 30 min Mon
    assert conversation.resolution_due_at == bkk(2026, 5, 18, 16, 30)
    assert conversation.sla_state == sla.OK and conversation.sla_due_at == conversation.first_response_due_at


def test_a_thai_holiday_and_its_substitution_day_are_skipped(policy: SlaPolicy,
                                                             visitor_says: Callable[..., Any]) -> None:
    # Visakha Bucha 2026 is Sunday 31 May; Monday 1 June is its substitution day
    conversation = _at(visitor_says("ของชำรุดค่ะ").conversation, bkk(2026, 5, 29, 17, 45))  # Friday 17:45
    sla.recompute(conversation, now=bkk(2026, 5, 29, 17, 46))
    conversation.refresh_from_db()
    assert conversation.first_response_due_at == bkk(2026, 6, 2, 9, 45)


def test_created_outside_hours_starts_at_opening(policy: SlaPolicy, visitor_says: Callable[..., Any]) -> None:
    conversation = _at(visitor_says("ตีสองแล้วค่ะ").conversation, bkk(2026, 5, 12, 2, 0))  # Tuesday 02:00
    sla.recompute(conversation, now=bkk(2026, 5, 12, 2, 1))
    conversation.refresh_from_db()
    assert conversation.first_response_due_at == bkk(2026, 5, 12, 10, 0)


def test_first_then_next_response_clocks(policy: SlaPolicy, visitor_says: Callable[..., Any], agent: Any) -> None:
    from ruamchat.inbox.actions import send_reply

    conversation = _at(visitor_says("สอบถามค่ะ").conversation, bkk(2026, 5, 12, 10, 0))
    send_reply(conversation=conversation, actor=agent, text="ได้เลยค่ะ")
    conversation.refresh_from_db()
    assert conversation.first_response_due_at is None and conversation.next_response_due_at is None
    visitor_says("ขอถามอีกข้อค่ะ")
    conversation.refresh_from_db()
    assert conversation.waiting_since is not None  # the customer waits again: a next-response clock runs
    Conversation.objects.filter(pk=conversation.pk).update(waiting_since=bkk(2026, 5, 12, 11, 0))
    conversation.refresh_from_db()
    sla.recompute(conversation, now=bkk(2026, 5, 12, 11, 1))
    conversation.refresh_from_db()
    assert conversation.next_response_due_at == bkk(2026, 5, 12, 11, 30)
    assert conversation.first_response_due_at is None


def test_pending_pauses_the_resolution_clock(policy: SlaPolicy, visitor_says: Callable[..., Any],
                                             agent: Any) -> None:
    conversation = _at(visitor_says("ขอเปลี่ยนสินค้า").conversation, bkk(2026, 5, 12, 9, 0))  # Tue 09:00
    Conversation.objects.filter(pk=conversation.pk).update(first_reply_at=bkk(2026, 5, 12, 9, 10),
                                                           waiting_since=None)
    conversation.refresh_from_db()
    Conversation.objects.filter(pk=conversation.pk).update(status="pending")
    conversation.status = "pending"
    sla.recompute(conversation, now=bkk(2026, 5, 12, 10, 0))  # paused at 10:00 (1 h of 8 used)
    conversation.refresh_from_db()
    assert conversation.sla_paused_at == bkk(2026, 5, 12, 10, 0)
    conversation.status = "open"
    Conversation.objects.filter(pk=conversation.pk).update(status="open")
    sla.recompute(conversation, now=bkk(2026, 5, 13, 11, 0))  # resumed next day 11:00: 10 business hours paused
    conversation.refresh_from_db()
    assert conversation.sla_paused_at is None and conversation.sla_paused_seconds == 10 * 3600
    assert conversation.resolution_due_at == bkk(2026, 5, 13, 18, 0)  # 7 h left from 11:00


def test_warning_then_breach_announced_once_with_escalation(
    policy: SlaPolicy, visitor_says: Callable[..., Any], agent: Any, published: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    SlaPolicy.objects.filter(pk=policy.pk).update(escalate_priority=True)
    conversation = _at(visitor_says("ยังไม่มีใครตอบเลย").conversation, bkk(2026, 5, 12, 10, 0))
    Conversation.objects.filter(pk=conversation.pk).update(assignee=agent, priority=2)
    conversation.refresh_from_db()
    sla.recompute(conversation, now=bkk(2026, 5, 12, 10, 1))
    assert sla.sweep(now=bkk(2026, 5, 12, 10, 30)) == 0  # nothing due yet: not even looked at
    with django_capture_on_commit_callbacks(execute=True):
        assert sla.sweep(now=bkk(2026, 5, 12, 10, 46)) == 1  # 75% of 60 min: at risk
    conversation.refresh_from_db()
    assert conversation.sla_state == sla.AT_RISK
    with django_capture_on_commit_callbacks(execute=True):
        assert sla.sweep(now=bkk(2026, 5, 12, 11, 1)) == 1  # breached
    conversation.refresh_from_db()
    assert conversation.sla_state == sla.BREACHED
    kinds = list(conversation.events.filter(kind__in=["sla_warning", "sla_breached", "escalated"])
                 .values_list("kind", flat=True))
    assert kinds == ["sla_warning", "sla_breached", "escalated"]
    assert conversation.priority == 1  # raised from normal to high
    alerts = [(g, m["payload"]) for g, m in published if m["event"] == "sla.alert"]
    assert [p["level"] for _g, p in alerts] == ["warning", "breached"]
    assert all(f"user.{agent.pk}" in g and "supervisors" in g for g, _p in alerts)
    assert sla.sweep(now=bkk(2026, 5, 12, 11, 30)) == 0  # announced once; nothing more to look at
    assert Event.objects.filter(kind="sla_breached").count() == 1


def test_breached_first_in_the_queue(policy: SlaPolicy, visitor_says: Callable[..., Any], supervisor: Any) -> None:
    from ruamchat.inbox.selectors import QueueFilter, queue_conversations

    calm = _at(visitor_says("ไม่รีบค่ะ", visitor="visitor-token-calm-00000000000").conversation,
               bkk(2026, 5, 12, 10, 0))
    late = _at(visitor_says("รอนานแล้ว", visitor="visitor-token-late-00000000000").conversation,
               bkk(2026, 5, 12, 9, 0))
    Conversation.objects.filter(pk=calm.pk).update(priority=0)
    calm.refresh_from_db()
    sla.recompute(calm, now=bkk(2026, 5, 12, 10, 5))
    sla.recompute(late, now=bkk(2026, 5, 12, 10, 5))  # 65 min: breached
    order = [c.pk for c in queue_conversations(supervisor, QueueFilter(queue="all"))]
    assert order.index(late.pk) < order.index(calm.pk)  # breached before an urgent one on time


def test_no_policy_no_clock(visitor_says: Callable[..., Any]) -> None:
    conversation = visitor_says("สวัสดี").conversation
    conversation.refresh_from_db()
    assert conversation.sla_state == sla.NONE and conversation.sla_due_at is None
