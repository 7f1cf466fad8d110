"""Per-team automatic assignment: round-robin or least-busy among online agents below their capacity;
the rest waits in the team's queue and is handed out as capacity frees; going offline can release."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ruamchat.accounts.actions import update_agent, update_team
from ruamchat.accounts.models import AgentProfile
from ruamchat.inbox.actions import change_status, transfer
from ruamchat.inbox.models import Conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_agents(make_agent: Callable[..., Any], team: Any, online: Callable[..., None]) -> tuple[Any, Any]:
    a, b = make_agent(teams=[team], username="ploy"), make_agent(teams=[team], username="ton")
    online(a, b)
    return a, b


def test_manual_teams_leave_new_conversations_unassigned(line_says: Callable[..., Any], two_agents: Any) -> None:
    assert line_says("สวัสดีค่ะ").conversation.assignee is None


def test_round_robin_takes_turns(line_says: Callable[..., Any], team: Any, two_agents: Any) -> None:
    update_team(actor=None, team=team, assignment="round_robin")
    owners = [line_says("สอบถามค่ะ", user=f"R{i}").conversation.assignee for i in range(4)]
    assert owners[0] != owners[1] and owners[0] == owners[2] and owners[1] == owners[3]
    first = Conversation.objects.order_by("id").first()
    assert first is not None and first.events.filter(kind="assigned", data__reason="auto").exists()


def test_least_busy_picks_the_agent_with_fewest_open(line_says: Callable[..., Any], team: Any,
                                                     two_agents: Any) -> None:
    a, b = two_agents
    for i in range(3):  # a already has three open conversations
        Conversation.objects.filter(pk=line_says("มีงานอยู่แล้ว", user=f"L{i}").conversation.pk).update(assignee=a)
    update_team(actor=None, team=team, assignment="least_busy")
    assert line_says("ใหม่", user="L9").conversation.assignee == b


def test_offline_agents_and_full_agents_get_nothing_then_capacity_frees(
    line_says: Callable[..., Any], team: Any, two_agents: Any, run_jobs: Callable[[], int], agent: Any,
) -> None:
    a, b = two_agents
    AgentProfile.objects.filter(user=b).update(presence="offline")
    update_agent(actor=None, profile=a.agent, capacity=1)
    update_team(actor=None, team=team, assignment="round_robin")
    first = line_says("เรื่องแรก", user="F1").conversation
    waiting = line_says("เรื่องที่สอง", user="F2").conversation
    assert first.assignee == a and waiting.assignee is None  # a is full, b is offline: it waits
    change_status(conversation=first, actor=a, status="resolved")
    run_jobs()
    waiting.refresh_from_db()
    assert waiting.assignee == a  # handed out as soon as a had room


def test_urgent_waiting_conversations_are_handed_out_first(line_says: Callable[..., Any], team: Any,
                                                           two_agents: Any, run_jobs: Callable[[], int]) -> None:
    a, b = two_agents
    AgentProfile.objects.filter(user__in=[a, b]).update(presence="offline")
    update_team(actor=None, team=team, assignment="round_robin")
    normal = line_says("สอบถามเรื่องสินค้า", user="U1").conversation
    urgent = line_says("มีควันออกจากเครื่องค่ะ", user="U2").conversation
    update_agent(actor=None, profile=a.agent, capacity=1)
    from ruamchat.accounts.actions import set_presence

    set_presence(user=a, presence="online")  # a comes online with room for one
    run_jobs()
    urgent.refresh_from_db()
    normal.refresh_from_db()
    assert urgent.assignee == a and normal.assignee is None


def test_going_offline_releases_open_conversations_when_the_team_says_so(
    line_says: Callable[..., Any], team: Any, two_agents: Any,
) -> None:
    from ruamchat.accounts.actions import set_presence

    a, _b = two_agents
    conversation = line_says("ฝากเรื่องไว้", user="O1").conversation
    Conversation.objects.filter(pk=conversation.pk).update(assignee=a)
    set_presence(user=a, presence="offline")
    conversation.refresh_from_db()
    assert conversation.assignee == a  # the team keeps assignments by default
    set_presence(user=a, presence="online")
    update_team(actor=None, team=team, release_on_offline=True)
    set_presence(user=a, presence="offline")
    conversation.refresh_from_db()
    assert conversation.assignee is None
    assert conversation.events.filter(kind="unassigned", data__reason="offline").exists()


def test_a_missed_heartbeat_makes_an_agent_offline(two_agents: Any, team: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from ruamchat.routing.actions import sweep_presence

    a, b = two_agents
    AgentProfile.objects.filter(user=a).update(last_seen_at=timezone.now() - timedelta(minutes=5))
    assert sweep_presence() == 1
    assert AgentProfile.objects.get(user=a).presence == "offline"
    assert AgentProfile.objects.get(user=b).presence == "online"


def test_supervisors_reassign_and_agents_claim(line_says: Callable[..., Any], two_agents: Any,
                                               supervisor: Any) -> None:
    from ruamchat.inbox.actions import assign, claim

    a, b = two_agents
    conversation = line_says("ขอความช่วยเหลือ", user="C1").conversation
    claim(conversation=conversation, actor=a)
    assign(conversation=conversation, actor=supervisor, assignee=b)
    conversation.refresh_from_db()
    assert conversation.assignee == b


def test_transfer_with_reason_and_note_shows_on_top_in_the_receiving_queue(
    line_says: Callable[..., Any], two_agents: Any, support_team: Any, make_agent: Callable[..., Any],
    client: Any,
) -> None:
    from ruamchat.inbox.actions import send_reply
    from ruamchat.inbox.selectors import team_periods

    a, _b = two_agents
    conversation = line_says("แอปเข้าไม่ได้ค่ะ", user="T1").conversation
    transfer(conversation=conversation, actor=a, reason="ปัญหาเทคนิค ส่งซัพพอร์ต", team=support_team,
             note="ลูกค้าใช้ iPhone 12 ลองลบแอปแล้ว")
    conversation.refresh_from_db()
    assert conversation.team == support_team and conversation.handover["reason"] == "ปัญหาเทคนิค ส่งซัพพอร์ต"
    note = conversation.messages.get(is_private=True)
    assert note.text == "ลูกค้าใช้ iPhone 12 ลองลบแอปแล้ว" and note.sender_user == a
    wichai = make_agent(teams=[support_team], username="wichai", language="th")
    client.force_login(wichai)
    page = client.get(f"/inbox/?queue=team:{support_team.pk}").content.decode()
    assert "↪ ปัญหาเทคนิค ส่งซัพพอร์ต" in page
    periods = team_periods(conversation)
    assert [p[0] for p in periods] == [conversation.channel.default_team_id, support_team.pk]
    send_reply(conversation=conversation, actor=wichai, text="ลองอัปเดตแอปเวอร์ชันล่าสุดนะคะ")
    conversation.refresh_from_db()
    assert conversation.handover == {}


def test_assignment_and_transfer_through_the_api(client_for: Callable[..., Any], admin_user: Any, team: Any,
                                                 two_agents: Any, support_team: Any,
                                                 line_says: Callable[..., Any]) -> None:
    api = client_for(admin_user)
    changed = api.patch(f"/api/v1/teams/{team.pk}", {"assignment": "least_busy", "release_on_offline": True},
                        content_type="application/json")
    assert changed.status_code == 200 and changed.json()["assignment"] == "least_busy"
    conversation = line_says("ขอเปลี่ยนที่อยู่จัดส่งค่ะ", user="API1").conversation
    assert conversation.assignee in two_agents
    a = conversation.assignee
    moved = client_for(a).post(f"/api/v1/conversations/{conversation.pk}/transfer", {
        "team_id": support_team.pk, "reason": "เรื่องที่อยู่ในระบบ", "note": "ตรวจในระบบหลังบ้านด้วย"},
        content_type="application/json")
    assert moved.status_code == 200
    conversation.refresh_from_db()
    assert conversation.team == support_team
    assert conversation.messages.filter(is_private=True, text="ตรวจในระบบหลังบ้านด้วย").exists()
    missing = client_for(admin_user).post(f"/api/v1/conversations/{conversation.pk}/transfer",
                                          {"team_id": team.pk, "reason": ""}, content_type="application/json")
    assert missing.status_code == 400
