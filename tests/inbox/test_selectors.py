from __future__ import annotations

from typing import Any

import pytest

from ruamchat.accounts.actions import update_team
from ruamchat.inbox import actions
from ruamchat.inbox.selectors import QueueFilter, can_view, queue_counts, queue_rows

pytestmark = pytest.mark.django_db


def ids(rows: list[Any]) -> list[int]:
    return [r.pk for r in rows]


def test_agents_see_their_teams_and_supervisors_see_everything(
    visitor_says: Any, agent: Any, make_agent: Any, support_team: Any, supervisor: Any
) -> None:
    mine = visitor_says("ของทีมบริการ", visitor="visitor-one-aaaaaaaaaaaaaaaaaa").conversation
    other = visitor_says("ของทีมซัพพอร์ต", visitor="visitor-two-aaaaaaaaaaaaaaaaaa").conversation
    other = actions.transfer(conversation=other, actor=supervisor, team=support_team, reason="เรื่องเทคนิค")
    support_agent = make_agent(teams=[support_team])

    assert ids(queue_rows(agent, QueueFilter(queue="unassigned"))) == [mine.pk]
    assert ids(queue_rows(support_agent, QueueFilter(queue="unassigned"))) == [other.pk]
    assert set(ids(queue_rows(supervisor, QueueFilter(queue="all")))) == {mine.pk, other.pk}
    assert ids(queue_rows(agent, QueueFilter(queue="all"))) == [mine.pk]  # "all" never widens an agent's view
    assert ids(queue_rows(agent, QueueFilter(queue=f"team:{support_team.pk}"))) == []
    assert not can_view(agent, other)


def test_a_team_opened_to_all_is_visible_to_every_agent(
    visitor_says: Any, make_agent: Any, support_team: Any, team: Any
) -> None:
    conversation = visitor_says("สวัสดี").conversation
    outsider = make_agent(teams=[support_team])
    assert not can_view(outsider, conversation)
    update_team(actor=None, team=team, open_to_all=True)
    assert can_view(outsider, conversation)


def test_queue_is_ordered_by_priority_then_longest_waiting(visitor_says: Any, agent: Any) -> None:
    old = visitor_says("มาก่อน", visitor="visitor-old-aaaaaaaaaaaaaaaaaa").conversation
    new = visitor_says("มาทีหลัง", visitor="visitor-new-aaaaaaaaaaaaaaaaaa").conversation
    answered = visitor_says("ตอบแล้ว", visitor="visitor-ans-aaaaaaaaaaaaaaaaaa").conversation
    actions.send_reply(conversation=answered, actor=agent, text="ตอบแล้วค่ะ")
    actions.assign(conversation=answered, actor=agent, assignee=None)
    urgent = visitor_says("ไฟไหม้!", visitor="visitor-urg-aaaaaaaaaaaaaaaaaa").conversation
    actions.change_priority(conversation=urgent, actor=agent, priority=0)
    order = ids(queue_rows(agent, QueueFilter(queue="unassigned")))
    assert order == [urgent.pk, old.pk, new.pk, answered.pk]  # nobody waiting on us goes last


def test_every_conversation_ever_is_listed_newest_first(visitor_says: Any, agent: Any) -> None:
    urgent = visitor_says("ไฟไหม้!", visitor="visitor-urg-aaaaaaaaaaaaaaaaaa").conversation
    actions.change_priority(conversation=urgent, actor=agent, priority=0)
    done = visitor_says("ได้รับของแล้ว", visitor="visitor-don-aaaaaaaaaaaaaaaaaa").conversation
    actions.change_status(conversation=done, actor=agent, status="resolved")
    latest = visitor_says("สอบถามค่ะ", visitor="visitor-lat-aaaaaaaaaaaaaaaaaa").conversation
    assert ids(queue_rows(agent, QueueFilter(queue="all", status="any"))) == [latest.pk, done.pk, urgent.pk]
    assert ids(queue_rows(agent, QueueFilter(queue="all", status="active")))[0] == urgent.pk  # urgency first


def test_filters_and_counts(visitor_says: Any, agent: Any, team: Any) -> None:
    a = visitor_says("หนึ่ง", visitor="visitor-a-aaaaaaaaaaaaaaaaaaaa").conversation
    b = visitor_says("สอง", visitor="visitor-b-aaaaaaaaaaaaaaaaaaaa").conversation
    actions.tag(conversation=a, actor=agent, name="vip")
    actions.claim(conversation=b, actor=agent)
    actions.change_status(conversation=b, actor=agent, status="pending")
    assert ids(queue_rows(agent, QueueFilter(queue="unassigned", tag="vip"))) == [a.pk]
    assert ids(queue_rows(agent, QueueFilter(queue="mine", status="pending"))) == [b.pk]
    assert ids(queue_rows(agent, QueueFilter(queue="mine", status="open"))) == []
    assert ids(queue_rows(agent, QueueFilter(queue=f"team:{team.pk}", status="active"))) == [a.pk, b.pk]
    assert ids(queue_rows(agent, QueueFilter(queue="unassigned", search=f"#{a.pk}"))) == [a.pk]
    counts = queue_counts(agent, [team])
    assert counts == {"mine": 0, "unassigned": 1, f"team:{team.pk}": 1}


def test_contact_history_leaves_out_conversations_of_teams_the_agent_cannot_see(
    visitor_says: Any, agent: Any, support_team: Any, supervisor: Any, make_agent: Any
) -> None:
    from ruamchat.inbox.selectors import contact_history

    earlier = visitor_says("เรื่องเงินคืน").conversation
    actions.add_note(conversation=earlier, actor=supervisor, text="ลูกค้าขู่ฟ้อง เก็บเป็นความลับ")
    earlier = actions.transfer(conversation=earlier, actor=supervisor, team=support_team, reason="คืนเงิน")
    actions.change_status(conversation=earlier, actor=supervisor, status="closed")
    now = visitor_says("ขอถามเรื่องใหม่ค่ะ").conversation
    assert now.pk != earlier.pk
    assert [m.text for m in contact_history(agent, now)] == ["ขอถามเรื่องใหม่ค่ะ"]
    texts = [m.text for m in contact_history(supervisor, now)]
    assert "ลูกค้าขู่ฟ้อง เก็บเป็นความลับ" in texts and texts[-1] == "ขอถามเรื่องใหม่ค่ะ"


def test_queue_counts_stop_at_the_cap_and_the_page_says_so(
    visitor_says: Any, agent: Any, team: Any, monkeypatch: Any, client: Any
) -> None:
    from ruamchat.inbox import selectors

    for n in range(3):
        visitor_says(f"ข้อความ {n}", visitor=f"visitor-cap-{n}-aaaaaaaaaaaaaaaa")
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    monkeypatch.setattr("ruamchat.inbox.views.COUNT_CAP", 2)
    assert queue_counts(agent, [team])["unassigned"] == 2
    client.force_login(agent)
    assert ">1+</span>" in client.get("/inbox/?queue=unassigned").content.decode()
