"""The reports' history (demo.history): a month of past conversations written in bulk must read like the inbox's
own actions had written it, or every report built on it is wrong."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from ruamchat.accounts.models import Team
from ruamchat.bot.models import BotConversation
from ruamchat.connectors.models import Channel
from ruamchat.contacts.models import Identity
from ruamchat.demo.history import EXTERNAL_PREFIX, generate
from ruamchat.inbox.models import Conversation, Event, Message
from ruamchat.reports import actions, selectors
from ruamchat.sla.models import Calendar, OpeningPeriod, SlaPolicy
from ruamchat.surveys.models import Invitation, Response

ENDED = (Conversation.Status.RESOLVED, Conversation.Status.CLOSED)
ACTIVE = (Conversation.Status.OPEN, Conversation.Status.PENDING, Conversation.Status.SNOOZED)


@pytest.fixture
def shop(team: Any, support_team: Any, make_agent: Callable[..., Any], website: Any) -> dict[str, Any]:
    """ChuanShop's shape: a Service and a Support team with two agents each, office hours and SLA targets,
    the website chat and a LINE account; then 300 conversations of the last 30 days."""
    office = Calendar.objects.create(name="office", time_zone="Asia/Bangkok", holiday_country="TH", is_default=True)
    for day in range(6):
        OpeningPeriod.objects.create(calendar=office, weekday=day, opens=time(9), closes=time(18))
    for each in (team, support_team):
        for priority, first, resolution in ((0, 15, 240), (1, 60, 480), (None, 120, 1440)):
            SlaPolicy.objects.create(team=each, priority=priority, first_response_minutes=first,
                                     resolution_minutes=resolution)
    support_team.assignment = Team.Assignment.LEAST_BUSY
    support_team.save()
    for n in range(2):
        make_agent(teams=[team], username=f"service{n}")
        make_agent(teams=[support_team], username=f"support{n}")
    Channel.objects.create(kind="line", name="LINE @shop", default_team=team)
    now = timezone.now()
    counts = generate(conversations=300, days=30, now=now)
    return {"counts": counts, "now": now, "team": team, "support": support_team}


def _events() -> dict[int, list[Event]]:
    found: dict[int, list[Event]] = defaultdict(list)
    for event in Event.objects.order_by("id"):
        found[event.conversation_id].append(event)
    return found


def test_every_conversation_has_its_start_and_its_end(shop: dict[str, Any]) -> None:
    assert shop["counts"]["conversations"] == Conversation.objects.count() == 300
    events = _events()
    now = shop["now"]
    for conversation in Conversation.objects.all():
        kinds = [e.kind for e in events[conversation.pk]]
        assert kinds[0] == "created" and kinds.count("created") == 1, kinds
        created = events[conversation.pk][0]
        assert created.created_at == conversation.created_at
        assert created.data["team_id"] in {shop["team"].pk, shop["support"].pk}
        assert now - timedelta(days=31) < conversation.created_at < now
        times = [e.created_at for e in events[conversation.pk]]
        assert times == sorted(times) and times[-1] <= now  # in the order it happened, nothing in the future
        if conversation.status in ENDED:
            assert conversation.resolved_at is not None
            endings = [e for e in events[conversation.pk] if e.kind == "bot_resolved" or (
                e.kind == "status_changed" and e.data["new"] in ENDED)]
            assert endings, kinds
            # resolved_at is the (last) resolution; closing a resolved one keeps it
            assert conversation.resolved_at in {e.created_at for e in endings}
        else:
            assert conversation.resolved_at is None
    statuses = Counter(Conversation.objects.values_list("status", flat=True))
    assert statuses["resolved"] + statuses["closed"] > 200  # most were dealt with
    assert sum(statuses[s] for s in ACTIVE) > 0  # the last days leave a backlog


def test_first_replies_are_people_answering_the_customer(shop: dict[str, Any]) -> None:
    events = _events()
    replied = Conversation.objects.filter(first_reply_at__isnull=False)
    assert replied.count() > 150
    for conversation in replied:
        first_customer = (Message.objects.filter(conversation=conversation, sender_type="contact")
                          .order_by("created_at").first())
        assert first_customer is not None and conversation.first_reply_at >= first_customer.created_at
        first_reply = [e for e in events[conversation.pk] if e.kind == "first_reply"]
        assert len(first_reply) == 1
        message = Message.objects.get(pk=first_reply[0].data["message_id"])
        assert message.conversation_id == conversation.pk
        assert (message.sender_type, message.is_private, message.direction) == ("agent", False, "out")
        assert message.created_at == conversation.first_reply_at == first_reply[0].created_at
        assert message.sender_user_id == first_reply[0].actor_id is not None
    # nobody answered the others: neither bot messages nor private notes are replies
    for conversation in Conversation.objects.filter(first_reply_at__isnull=True):
        assert not Message.objects.filter(conversation=conversation, sender_type="agent", is_private=False).exists()


def test_transfers_bot_and_sla_events_carry_what_the_actions_write(shop: dict[str, Any]) -> None:
    teams = set(Team.objects.values_list("pk", flat=True))
    transfers = Event.objects.filter(kind="transferred")
    assert transfers.exists()
    for event in transfers:
        assert {event.data["from_team_id"], event.data["to_team_id"]} <= teams
        assert event.data["from_team_id"] != event.data["to_team_id"] and event.data["reason"]
        last = Event.objects.filter(conversation_id=event.conversation_id, kind="transferred").order_by("-id")[0]
        assert Conversation.objects.get(pk=event.conversation_id).team_id == last.data["to_team_id"]
    to_support = transfers.filter(data__to_team_id=shop["support"].pk).values("conversation").distinct().count()
    assert 0.05 < to_support / 300 < 0.3  # about one in seven goes from Service to Support

    bots = BotConversation.objects.all()
    assert bots.exists()
    assert set(bots.values_list("conversation__channel__kind", flat=True)) <= {"website", "line"}
    for state in bots.filter(state=BotConversation.State.RESOLVED):
        conversation = state.conversation
        assert state.outcome and conversation.first_reply_at is None and conversation.status in ENDED
        assert Event.objects.filter(conversation=conversation, kind="bot_resolved",
                                    data__outcome=state.outcome).exists()
    for state in bots.filter(state=BotConversation.State.HANDED_OFF):
        assert Event.objects.filter(conversation=state.conversation, kind="bot_handoff",
                                    data__reason=state.reason).exists()
    assert not Event.objects.filter(kind__startswith="bot_").exclude(conversation__bot__isnull=False).exists()

    breaches = Event.objects.filter(kind="sla_breached")
    assert breaches.exists()
    for event in breaches:
        assert event.data["clock"] in ("first_response", "resolution") and event.data["due_at"]
        if event.data["clock"] == "first_response":  # announced before anyone answered
            conversation = event.conversation
            assert conversation.first_reply_at is None or conversation.first_reply_at > event.created_at


def test_customers_come_back_and_answer_surveys(shop: dict[str, Any]) -> None:
    per_contact = Counter(Conversation.objects.values_list("contact_id", flat=True))
    assert max(per_contact.values()) > 1
    assert Identity.objects.filter(external_id__startswith=EXTERNAL_PREFIX).count() == Identity.objects.count()
    invitations = Invitation.objects.select_related("conversation")
    assert invitations.exists()
    for invitation in invitations:
        conversation = invitation.conversation
        assert conversation is not None and conversation.resolved_at is not None
        assert invitation.message is not None and invitation.message.conversation_id == conversation.pk
        assert invitation.sent_at == invitation.message.created_at
        assert (invitation.kind == "csat") == (invitation.team_id == shop["team"].pk)
    responses = Response.objects.select_related("invitation")
    assert responses.exists()
    for response in responses:
        assert response.invitation.answered_at == response.answered_at > response.invitation.sent_at
        low, high = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}[response.kind]
        assert low <= response.score <= high
        assert response.conversation_id == response.invitation.conversation_id


def test_the_service_dashboard_reads_the_history(shop: dict[str, Any]) -> None:
    actions.rebuild_all()
    board = selectors.dashboard("service", selectors.period("30"))
    metrics = {m.key: m.value for m in board.metrics}
    assert metrics["conversations"] > 50
    assert 50 <= metrics["response_rate"] <= 100
    assert metrics["frt_median"] is not None and metrics["frt_median"] > 0
    assert 50 <= metrics["sla_first"] < 100  # targets are mostly met, a few missed
    channels = {m.key: m.value for m in selectors.dashboard("channels", selectors.period("30")).metrics}
    assert channels["bot_involved"] > 0 and 0 < channels["deflection"] < 100


@pytest.mark.django_db
def test_on_an_empty_database_it_makes_a_minimal_shop_first_and_can_run_again() -> None:
    first = generate(conversations=40, days=5, seed=1)
    again = generate(conversations=40, days=5, seed=1, backlog=False)  # new customers, not the same ones
    assert first["conversations"] == again["conversations"] == 40
    assert set(Team.objects.values_list("kind", flat=True)) == {"service", "support"}
    assert Channel.objects.exists()
    assert Conversation.objects.count() == 80
    second_run = Conversation.objects.order_by("pk")[40:]
    assert not [c for c in second_run if c.status in ACTIVE]  # backlog=False: none left in a queue
