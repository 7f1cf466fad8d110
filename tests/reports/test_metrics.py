"""The report numbers against hand-computed fixtures (DESIGN.md, "Metrics, defined once").

Every conversation is built through the real actions (the website chat, replies, transfers, status changes, the
chatbot, the SLA sweep) at fixed Bangkok times with the clock travelled there, then the reports' catch-up reads
them like the periodic job does. The office is open Mon–Fri 09:00–18:00 with Thai public holidays.

Week P1, Tue 12 – Mon 18 May 2026 (service team S, support team T; agents s1 in S, t1 in T):
  A  Tue 10:00 website · s1 replies 10:05 · resolves 10:20                      FRT 300 s, resolution 1,200 s, FCR
  B  Tue 11:00 · s1 11:30 · resolved 12:00 · customer writes 13:00 (reopened) · s1 13:10 · resolved 14:00
                                                                                FRT 1,800 s, resolution 10,800 s once
  C  Tue 15:00 · s1 15:10 · transferred to T 15:15 · t1 replies 15:45 · t1 resolves Wed 10:00
                                            FRT 600 s for S; resolution for T: 68,400 s calendar, 14,400 s business
  E  Wed 09:00 bot site · asks for a person → bot hands off · s1 replies 09:20 · resolves 09:30    FRT 1,200 s
  F  Wed 09:05 bot site · the bot answers, the customer goes quiet → resolved by the bot alone (no team's numbers)
  G  Thu 10:00 · s1 10:10 · pending 10:15 · customer answers Mon 10:00 · s1 resolves Mon 10:30
                         resolution 347,400 s calendar / 66,600 s business; the pending pause keeps its SLA met
  H  Thu 11:00 · s1 11:05 · (sweep Fri 11:59: resolution SLA breached) · resolved Mon 10:00
  K  Fri 10:00 · nobody replies · (sweep Fri 11:59: first-response SLA breached) · closed Fri 12:00
Weeks P2 (25–31 May) and P3 (1–7 June), across a weekend and Visakha Bucha (Sun 31 May, in lieu Mon 1 June):
  I  Fri 29 May 17:30 · s1 Tue 2 June 09:30 · resolves 10:00    FRT 316,800 s calendar / 3,600 s business
  J  Fri 29 May 10:00 · s1 10:10 · resolves Tue 2 June 11:00    created in P2, resolved in P3
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from ruamchat.inbox.models import Conversation
from ruamchat.reports import actions, selectors
from ruamchat.reports.models import ConversationFact, DailyStat
from tests.reports.conftest import P1, P2, P3

pytestmark = pytest.mark.django_db


def fact(world: dict[str, Any], name: str) -> ConversationFact:
    return ConversationFact.objects.get(conversation_id=world["made"][name].pk)


def test_the_fixtures_happened_as_described(world: dict[str, Any]) -> None:
    made = world["made"]
    assert Conversation.objects.get(pk=made["B"].pk).reopened_count == 1
    assert Conversation.objects.get(pk=made["C"].pk).team_id == world["support"].pk
    from ruamchat.bot.models import BotConversation

    assert BotConversation.objects.get(conversation=made["E"]).reason == "person"
    assert BotConversation.objects.get(conversation=made["F"]).state == "resolved"
    assert len({c.pk for c in made.values()}) == 10


def test_first_response_times_calendar_and_business(world: dict[str, Any]) -> None:
    expected = {"A": (300, 300), "B": (1800, 1800), "C": (600, 600), "E": (1200, 1200), "G": (600, 600),
                "H": (300, 300), "J": (600, 600),
                # Fri 17:30 → Tue 09:30 over a weekend, Visakha Bucha and its day in lieu: 30 + 30 business minutes
                "I": (3 * 86400 + 16 * 3600, 3600)}
    for name, (calendar, business) in expected.items():
        f = fact(world, name)
        assert (f.frt_seconds, f.frt_business_seconds) == (calendar, business), name
    assert fact(world, "K").frt_seconds is None and fact(world, "K").needed_reply and not fact(world, "K").replied
    assert fact(world, "F").bot_only and not fact(world, "F").needed_reply


def test_resolution_times_count_a_reopened_conversation_once_with_its_final_resolution(world: dict[str, Any]) -> None:
    assert fact(world, "B").resolution_seconds == 3 * 3600  # 11:00 → the second resolution at 14:00
    assert fact(world, "C").resolution_seconds == 19 * 3600
    assert fact(world, "C").resolution_business_seconds == 4 * 3600  # Tue 15–18 + Wed 9–10
    # a pending pause does not shorten the resolution time (it pauses the SLA clock only)
    assert fact(world, "G").resolution_seconds == 4 * 86400 + 1800
    assert fact(world, "G").resolution_business_seconds == int(18.5 * 3600)  # Thu 10–18, Fri 9–18, Mon 9–10:30
    assert fact(world, "I").resolution_business_seconds == 5400
    assert fact(world, "J").resolution_business_seconds == 10 * 3600  # Fri 10–18 + Tue 9–11


def test_attribution_transfer_and_sla(world: dict[str, Any]) -> None:
    s, t = world["team"].pk, world["support"].pk
    c = fact(world, "C")
    assert (c.first_team_id, c.team_id, c.transferred_to_support) == (s, t, True)
    assert (c.first_agent_id, c.resolver_id) == (world["s1"].pk, world["t1"].pk)
    assert fact(world, "G").sla_resolution_met is True  # 18.5 business hours, 17.75 of them pending: met
    assert fact(world, "H").sla_resolution_met is False  # due Fri 10:00, breached
    assert fact(world, "K").sla_first_met is False
    assert fact(world, "A").fcr and not fact(world, "B").fcr and not fact(world, "K").fcr
    assert fact(world, "G").fcr  # pending and back is not a reopen; one reply


def _values(board: selectors.Dashboard) -> dict[str, Any]:
    return {m.key: m.value for m in board.metrics}


def test_service_dashboard_for_the_week(world: dict[str, Any]) -> None:
    values = _values(selectors.service(P1))
    # A B C E G H K under the service team (F belongs to the bot alone); each once, however many events it had
    assert values["conversations"] == 7
    assert values["response_rate"] == pytest.approx(100 * 6 / 7)
    # FRTs 300 300 600 600 1200 1800: median 600, p90 interpolated between 1200 and 1800
    assert values["frt_median_calendar"] == 600 and values["frt_p90_calendar"] == pytest.approx(1500)
    assert values["frt_median"] == 600
    assert values["sla_first"] == pytest.approx(100 * 6 / 7)  # K breached
    assert values["to_support"] == 1


def test_support_dashboard_for_the_week(world: dict[str, Any]) -> None:
    support = _values(selectors.support(P1))
    assert support["received"] == 1 and support["resolved"] == 1 and support["resolution_rate"] == 100
    assert support["resolution_median"] == 4 * 3600 and support["resolution_median_calendar"] == 19 * 3600
    assert support["fcr"] == 0 and support["reopen_rate"] == 0 and support["sla_resolution"] == 100
    # the support measures of the service team: A B E G H K resolved in the week (C was resolved by support)
    service = _values(selectors.support(P1, team_id=world["team"].pk))
    assert service["resolved"] == 6
    assert service["fcr"] == pytest.approx(100 * 4 / 6)  # A E G H; not B (reopened, two replies), not K (none)
    assert service["reopen_rate"] == pytest.approx(100 / 6)
    assert service["sla_resolution"] == pytest.approx(100 * 5 / 6)  # H breached; G paused while pending
    # resolution calendar: A 1200, E 1800, K 7200, B 10800, H 342000, G 347400 → median (7200 + 10800) / 2
    assert service["resolution_median_calendar"] == 9000


def test_a_conversation_resolved_in_another_period_counts_in_each_period_once(world: dict[str, Any]) -> None:
    p2 = _values(selectors.service(P2))
    assert p2["conversations"] == 2  # I and J were created in P2
    assert p2["frt_median_calendar"] == (600 + 316800) / 2 and p2["frt_median"] == (600 + 3600) / 2
    p3 = selectors.support(P3, team_id=world["team"].pk)
    values = _values(p3)
    assert values["resolved"] == 2 and values["received"] == 0
    assert values["resolution_median"] == (5400 + 36000) / 2
    assert values["resolution_p90"] == pytest.approx(5400 + 0.9 * (36000 - 5400))
    assert {m.key: m.previous for m in p3.metrics}["resolved"] == 0  # P2 resolved nothing
    assert _values(selectors.service(P3))["conversations"] == 0


def test_agents_and_channels(world: dict[str, Any]) -> None:
    board = selectors.agents(P1)
    rows = {r["agent_id"]: r for r in board.tables[0].rows}
    s1, t1 = rows[world["s1"].pk], rows[world["t1"].pk]
    assert (s1["first_replies"], s1["resolved"]) == (6, 6)
    assert (t1["first_replies"], t1["resolved"]) == (0, 1)
    with translation.override("en"):
        channels = selectors.channels(P1)
    per = {r["channel"]: r for r in channels.tables[0].rows}
    assert per["bot site"]["created"] == 2 and per["bot site"]["bot_only"] == 1
    assert per["bot site"]["deflection"] == 50
    assert per[world["website"].name]["created"] == 6
    assert dict(zip(channels.charts[1].labels, channels.charts[1].datasets[0]["data"], strict=True)) == {
        "Asked for a person": 1}


def test_the_daily_sums_hold_each_conversation_once(world: dict[str, Any]) -> None:
    rows = DailyStat.objects.filter(grain="t", day__gte=P1.first, day__lte=P1.last)
    assert sum(r.created for r in rows) == 8  # A B C E F G H K
    assert sum(r.resolved for r in rows) == 8  # A B C E F G H K, B once although it was resolved twice
    # a second catch-up with nothing new changes nothing
    before = sorted((r.day, r.team_id, r.channel_id, r.created, r.resolved) for r in rows)
    actions.catch_up()
    after = sorted((r.day, r.team_id, r.channel_id, r.created, r.resolved)
                   for r in DailyStat.objects.filter(grain="t", day__gte=P1.first, day__lte=P1.last))
    assert before == after


def test_rebuild_all_gives_the_same_numbers_as_the_catch_up(world: dict[str, Any]) -> None:
    caught_up = [_values(selectors.service(p)) for p in (P1, P2, P3)]
    DailyStat.objects.all().delete()
    ConversationFact.objects.all().delete()
    actions.rebuild_all()
    assert [_values(selectors.service(p)) for p in (P1, P2, P3)] == caught_up


def test_the_rebuild_command_fills_empty_report_tables(world: dict[str, Any]) -> None:
    from io import StringIO

    from django.core.management import call_command

    DailyStat.objects.all().delete()
    ConversationFact.objects.all().delete()
    out = StringIO()
    call_command("rebuild_reports", stdout=out)
    assert out.getvalue().startswith("10 conversations")
    assert _values(selectors.service(P1))["conversations"] == 7


def test_the_catch_up_follows_later_changes_and_moves_a_conversation_between_days(
        world: dict[str, Any], visitor_says: Any, run_jobs: Any) -> None:
    import time_machine

    from ruamchat.inbox import actions as inbox
    from tests.reports.conftest import bkk

    with time_machine.travel(bkk(5, 13, 12), tick=False):
        visitor_says("มีสีอื่นไหมคะ", visitor="visitor-late-aaaaaaaaaaaaaaaa")
    # B (resolved 12 May) is reopened and resolved again on 2 June, long after: its final resolution moves
    b = Conversation.objects.get(pk=world["made"]["B"].pk)
    with time_machine.travel(bkk(6, 2, 15), tick=False):
        inbox.change_status(conversation=b, actor=world["s1"], status="open")
        inbox.change_status(conversation=Conversation.objects.get(pk=b.pk), actor=world["s1"], status="resolved")
        actions.catch_up()
    assert _values(selectors.service(P1))["conversations"] == 8
    assert _values(selectors.support(P1, team_id=world["team"].pk))["resolved"] == 5
    assert _values(selectors.support(P3, team_id=world["team"].pk))["resolved"] == 3
    assert fact(world, "B").reopened_count == 2
