"""The live wallboard: what each team's row says right now, who may see it, and the presence event that keeps
its "agents online" live."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone, translation

from ruamchat.accounts.actions import create_team, set_presence
from ruamchat.accounts.models import AgentProfile
from ruamchat.asgi import application
from ruamchat.contacts.models import Contact
from ruamchat.inbox.models import Conversation
from ruamchat.reports.wallboard import TeamBoard, format_age, snapshot
from tests.pages import element_text, login

BREACHED, AT_RISK, OK, NO_SLA = 0, 1, 2, 9


def _conversation(channel: Any, team: Any, status: str, *, assignee: Any = None, waited: timedelta | None = None,
                  sla_state: int = NO_SLA, now: Any) -> Conversation:
    return Conversation.objects.create(
        channel=channel, contact=Contact.objects.create(name="ลูกค้า"), team=team, assignee=assignee, status=status,
        waiting_since=now - waited if waited is not None else None, sla_state=sla_state)


def _presence(user: Any, presence: str, seen: timedelta = timedelta(seconds=5)) -> None:
    AgentProfile.objects.filter(user=user).update(presence=presence, last_seen_at=timezone.now() - seen)


@pytest.fixture
def floor(website: Any, team: Any, support_team: Any, make_agent: Any) -> dict[str, Any]:
    """A moment on the shop floor, built by hand so every number on the board is known:

    Service team (ทีมบริการลูกค้า): two open conversations nobody has taken (one at risk, one breached), one open
    with Malee who has not answered for 40 minutes (the oldest wait), one pending, one snoozed at risk; a
    resolved one and one still with the chatbot, which the board ignores. Agents: Malee and Dao (in both teams)
    online, Noi away, Lek "online" whose heartbeat stopped five minutes ago, Fon offline, and a deactivated login.
    Support team (ทีมซัพพอร์ต): one open for 5 minutes nobody has taken, one pending whose resolution SLA is
    breached; Dao online and Ploy offline. A third team with nothing, and one conversation without a team."""
    now = timezone.now()
    malee = make_agent(teams=[team], username="malee")
    dao = make_agent(teams=[team, support_team], username="dao")
    noi, lek, fon = (make_agent(teams=[team], username=n) for n in ("noi", "lek", "fon"))
    gone = make_agent(teams=[team], username="gone")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    ploy = make_agent(teams=[support_team], username="ploy")
    for user in (malee, dao, gone):
        _presence(user, "online")
    _presence(noi, "away")
    _presence(lek, "online", seen=timedelta(minutes=5))
    for user in (fon, ploy):
        _presence(user, "offline")
    social = create_team(actor=None, name="ทีมโซเชียล", kind="service")

    _conversation(website, team, "open", waited=timedelta(minutes=10), sla_state=AT_RISK, now=now)
    _conversation(website, team, "open", waited=timedelta(minutes=25), sla_state=BREACHED, now=now)
    oldest = _conversation(website, team, "open", assignee=malee, waited=timedelta(minutes=40), sla_state=OK,
                           now=now)
    _conversation(website, team, "pending", assignee=malee, now=now)
    _conversation(website, team, "snoozed", assignee=malee, sla_state=AT_RISK, now=now)
    _conversation(website, team, "resolved", assignee=malee, waited=timedelta(hours=2), sla_state=BREACHED, now=now)
    _conversation(website, team, "bot", waited=timedelta(hours=3), now=now)

    support_waiting = _conversation(website, support_team, "open", waited=timedelta(minutes=5), sla_state=OK,
                                    now=now)
    _conversation(website, support_team, "pending", assignee=dao, sla_state=BREACHED, now=now)

    no_team = _conversation(website, None, "open", waited=timedelta(minutes=1), now=now)
    return {"now": now, "team": team, "support": support_team, "social": social, "oldest": oldest,
            "support_waiting": support_waiting, "no_team": no_team}


def _row(board: TeamBoard) -> tuple[Any, ...]:
    return (board.waiting, board.assigned, board.pending, board.at_risk, board.breached,
            board.agents_online, board.agents_away, board.agents_total)


def test_each_team_shows_its_queue_oldest_wait_agents_and_slas(floor: dict[str, Any], supervisor: Any) -> None:
    with translation.override("en"):
        boards = snapshot(supervisor, now=floor["now"])

    # every team by name, even one with nothing to do, then the conversations that belong to no team
    assert [b.name for b in boards] == ["ทีมซัพพอร์ต", "ทีมบริการลูกค้า", "ทีมโซเชียล", "No team"]
    support, service, social, no_team = boards
    # (in queue, open with an agent, pending, SLA at risk, breached, online, away, members)
    assert _row(service) == (2, 1, 1, 2, 1, 2, 1, 5)
    assert _row(support) == (1, 0, 1, 0, 1, 1, 0, 2)
    assert _row(social) == (0, 0, 0, 0, 0, 0, 0, 0)
    assert _row(no_team) == (1, 0, 0, 0, 0, None, None, None)

    assert service.oldest_waiting_since == floor["oldest"].waiting_since
    assert service.oldest_waiting_clock == "40:00"
    assert support.oldest_waiting_since == floor["support_waiting"].waiting_since
    assert social.oldest_waiting_since is None and social.oldest_waiting_clock == ""
    with translation.override("en"):
        assert (service.kind_label, no_team.kind_label) == ("Customer service", "")


def test_the_board_is_read_in_the_same_few_queries_however_many_teams(
    floor: dict[str, Any], supervisor: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(5):
        create_team(actor=None, name=f"ทีมสาขา {n}", kind="support")
    with django_assert_max_num_queries(3):  # the supervisor's profile, the conversations, the teams
        assert len(snapshot(supervisor)) == 9


def test_only_supervisors_and_administrators_get_the_board(floor: dict[str, Any], agent: Any, admin_user: Any) -> None:
    with pytest.raises(PermissionDenied):
        snapshot(agent)
    assert len(snapshot(admin_user)) == 4


def test_ages_read_as_a_clock() -> None:
    assert [format_age(s) for s in (0, 59, 61, 3599, 3600, 3723, 90061)] == [
        "0:00", "0:59", "1:01", "59:59", "1:00:00", "1:02:03", "25:01:01"]


# ---------------------------------------------------------------- the pages


def test_supervisor_sees_the_numbers_on_the_page_and_in_the_fragment(floor: dict[str, Any], supervisor: Any) -> None:
    client = login(supervisor)
    page = client.get("/reports/wallboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-ws-path="/ws/agent/"' in html and "reports/wallboard.js" in html
    team_id = floor["team"].pk
    section = html.split(f'data-team-id="{team_id}"', 1)[1].split("</section>", 1)[0]
    assert 'data-metric="waiting">2<' in section
    assert 'data-metric="breached">1<' in section
    assert f'data-since="{int(floor["oldest"].waiting_since.timestamp())}"' in section

    fragment = client.get("/reports/wallboard/board", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and fragment["Cache-Control"] == "no-store"
    body = fragment.content.decode()
    assert body.lstrip().startswith('<div id="wallboard-board"') and "<html" not in body
    assert "No team" in element_text(body, "wb-team-4")


def test_an_agent_is_refused_and_a_stranger_is_sent_to_log_in(floor: dict[str, Any], agent: Any) -> None:
    client = login(agent)
    assert client.get("/reports/wallboard/").status_code == 403
    assert client.get("/reports/wallboard/board").status_code == 403

    anonymous = Client()
    page = anonymous.get("/reports/wallboard/")
    assert page.status_code == 302 and page["Location"].startswith("/login/")
    fragment = anonymous.get("/reports/wallboard/board", HTTP_HX_REQUEST="true")
    assert fragment["HX-Redirect"].startswith("/login/")


# ---------------------------------------------------------------- the presence event


async def connect(user: Any) -> WebsocketCommunicator:
    """The agent websocket as a signed-in browser opens it."""
    client = Client()
    await database_sync_to_async(client.force_login)(user)
    return WebsocketCommunicator(application, "/ws/agent/", headers=[
        (b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())])


async def next_presence(watching: WebsocketCommunicator) -> dict[str, Any]:
    """The next presence event on a supervisor's socket. The supervisors' group also carries every other event
    (message status, hand-outs), some of them from work finishing in this process after an earlier test."""
    heard = await watching.receive_json_from(timeout=5)
    while heard.get("event") != "presence.changed":
        heard = await watching.receive_json_from(timeout=5)
    return dict(heard)


@pytest.mark.django_db(transaction=True)
async def test_supervisors_hear_when_an_agent_comes_online_or_goes_away(
    agent: Any, supervisor: Any, published: list[tuple[list[str], dict[str, Any]]]
) -> None:
    watching = socket = None
    try:
        # already online (another tab): opening the wallboard changes nothing anyone needs to hear
        await database_sync_to_async(_presence)(supervisor, "online")
        watching = await connect(supervisor)
        assert (await watching.connect())[0]
        assert await watching.receive_json_from(timeout=5) == {"type": "ready"}

        socket = await connect(agent)  # the agent opens the inbox
        assert (await socket.connect())[0]
        assert await next_presence(watching) == {
            "type": "event", "event": "presence.changed", "payload": {"user_id": agent.pk, "presence": "online"}}

        await socket.send_json_to({"type": "ping"})  # the heartbeat: still online, nothing new
        assert await socket.receive_json_from(timeout=5) == {"type": "ready"}
        assert await socket.receive_json_from(timeout=5) == {"type": "pong"}

        await database_sync_to_async(set_presence)(user=agent, presence="away")
        # the next presence event the supervisor hears is "away": the heartbeat in between announced nothing
        # (other events, such as the team's hand-outs when an agent comes online, may come meanwhile)
        assert await next_presence(watching) == {
            "type": "event", "event": "presence.changed", "payload": {"user_id": agent.pk, "presence": "away"}}
        # two announcements in all (online, away), to the supervisors' group only: agents' pages have no use for it
        presence = [(groups, m["payload"]["presence"]) for groups, m in published if m["event"] == "presence.changed"]
        assert presence == [(["supervisors"], "online"), (["supervisors"], "away")]
    finally:  # a failed assertion must not leave a consumer inside the channel layer for the next test
        for communicator in (socket, watching):
            if communicator is not None:
                await communicator.disconnect()


def test_an_agent_whose_heartbeat_stopped_goes_offline_on_the_board(
        agent: Any, published: list[tuple[list[str], dict[str, Any]]],
        django_capture_on_commit_callbacks: Any) -> None:
    from ruamchat.routing.actions import sweep_presence

    _presence(agent, "online", seen=timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_presence() == 1
    heard = [(groups, m["payload"]) for groups, m in published if m["event"] == "presence.changed"]
    assert heard == [(["supervisors"], {"user_id": agent.pk, "presence": "offline"})]
