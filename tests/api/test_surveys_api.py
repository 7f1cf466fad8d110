"""Surveys through the API: the numbers against hand-computed values (CSAT, NPS with its margin of error, CES,
the response rate, by team and by local day), the answers and their filters, closing a follow-up, the survey
definitions (administrators) and campaigns (supervisors)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from ruamchat.connectors.models import Channel
from ruamchat.contacts.models import Contact, Identity
from ruamchat.inbox.actions import mark_failed
from ruamchat.inbox.models import Event, Message
from ruamchat.jobs.models import Job
from ruamchat.surveys import actions
from ruamchat.surveys.models import Campaign, FollowUp, Invitation, Response, Survey
from tests.surveys.conftest import answer_and_resolve, csat_on, invitation_of  # noqa: F401
from tests.surveys.factories import answered

pytestmark = pytest.mark.django_db

JSON = "application/json"
METRICS = "/api/v1/surveys/metrics"
RESPONSES = "/api/v1/surveys/responses"
FOLLOW_UPS = "/api/v1/surveys/follow-ups"
CAMPAIGNS = "/api/v1/surveys/campaigns"
BANGKOK = ZoneInfo("Asia/Bangkok")
NOT_SUPERVISOR = {"detail": "Only supervisors and administrators can see the survey results."}


def sent(kind: str = "nps", *, at: datetime | None = None, status: str = Invitation.Status.SENT,
         **fields: Any) -> Invitation:
    """An invitation nobody answered."""
    at = at or timezone.now() - timedelta(hours=1)
    return Invitation.objects.create(
        survey=Survey.objects.get(kind=kind), kind=kind, contact=Contact.objects.create(name="ไม่ได้ตอบ"),
        token=actions.new_token(), send_at=at, status=status,
        sent_at=at if status == Invitation.Status.SENT else None, **fields)


@pytest.fixture
def supervisor_api(client_for: Callable[[Any], Client], supervisor: Any) -> Client:
    return client_for(supervisor)


# ---------------------------------------------------------------- the numbers


def test_the_totals_match_the_numbers_worked_out_by_hand(supervisor_api: Client) -> None:
    for score in (5, 4, 4, 3, 1):
        answered("csat", score)
    for score in (10, 9, 9, 8, 7, 6, 3, 0, 10, 5):
        answered("nps", score)
    for score in (7, 6, 5, 4, 2):
        answered("ces", score)

    response = supervisor_api.get(METRICS)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["group"] == "" and body["groups"] == []
    total = body["total"]
    assert total["key"] is None
    assert total["csat"] == {"answers": 5, "satisfied": 3, "percent": 60.0}
    # 4 promoters (10, 9, 9, 10), 2 passives (8, 7), 4 detractors (6, 3, 0, 5): p = d = 0.4
    p, d, n = 0.4, 0.4, 10
    margin = 1.96 * 100 * math.sqrt((p + d - (p - d) ** 2) / n)
    assert total["nps"] == {"answers": 10, "promoters": 4, "passives": 2, "detractors": 4, "score": 0.0,
                            "margin": pytest.approx(margin)}
    assert total["nps"]["margin"] == pytest.approx(55.437, abs=0.001)
    assert total["ces"] == {"answers": 5, "mean": pytest.approx(4.8), "easy_percent": 60.0}
    assert (total["delivered"], total["answered"], total["response_rate"]) == (20, 20, 100.0)


def test_an_empty_period_has_no_scores_rather_than_zero(supervisor_api: Client) -> None:
    total = supervisor_api.get(METRICS).json()["total"]
    assert total["csat"] == {"answers": 0, "satisfied": 0, "percent": None}
    assert (total["nps"]["score"], total["nps"]["margin"], total["ces"]["mean"]) == (None, None, None)
    assert (total["delivered"], total["response_rate"]) == (0, None)


def test_the_response_rate_counts_delivered_invitations_of_the_period(
        supervisor_api: Client, conversation: Any) -> None:
    answered("nps", 9)
    answered("nps", 4)
    sent("nps")  # delivered, not answered
    # its message could not be delivered (inbox.actions.mark_failed marks the invitation failed): not counted
    failed = Message.objects.create(
        conversation=conversation, channel=conversation.channel, direction=Message.Direction.OUTGOING,
        sender_type=Message.Sender.SYSTEM, status=Message.Status.PENDING, text="คุณพอใจไหมคะ",
        metadata={"survey": {"kind": "csat"}})
    sent("csat", conversation=conversation, message=failed)
    mark_failed(message_id=failed.pk, error="refused")
    sent("nps", status=Invitation.Status.SKIPPED, skip_reason=Invitation.Skip.QUIET)
    sent("nps", status=Invitation.Status.SCHEDULED)
    sent("nps", at=timezone.now() - timedelta(days=45))  # before the period

    total = supervisor_api.get(METRICS).json()["total"]
    assert (total["delivered"], total["answered"]) == (3, 2)
    assert total["response_rate"] == pytest.approx(200 / 3)


def test_by_team_one_row_per_team(supervisor_api: Client, team: Any, support_team: Any, agent: Any) -> None:
    answered("csat", 5, team=team, agent=agent)
    answered("csat", 4, team=team, agent=agent)
    answered("csat", 2, team=team)
    answered("nps", 10, team=support_team)
    answered("csat", 1, team=support_team)
    answered("ces", 6)  # no team (a campaign answer)
    sent("csat", team=team)

    body = supervisor_api.get(METRICS, {"group": "team"}).json()
    assert body["group"] == "team"
    rows = {row["key"]: row for row in body["groups"]}
    assert list(rows) == [team.pk, support_team.pk, None]
    assert rows[team.pk]["csat"] == {"answers": 3, "satisfied": 2, "percent": pytest.approx(200 / 3)}
    assert (rows[team.pk]["delivered"], rows[team.pk]["answered"]) == (4, 3)
    assert rows[support_team.pk]["csat"]["percent"] == 0.0
    assert rows[support_team.pk]["nps"]["score"] == 100.0
    assert rows[None]["ces"]["mean"] == 6.0 and rows[None]["csat"]["answers"] == 0
    assert body["total"]["csat"]["answers"] == 4  # the total is still everything

    only = supervisor_api.get(METRICS, {"team_id": support_team.pk}).json()["total"]
    assert (only["csat"]["answers"], only["nps"]["answers"]) == (1, 1)
    by_agent = supervisor_api.get(METRICS, {"group": "agent"}).json()["groups"]
    assert [(row["key"], row["csat"]["answers"]) for row in by_agent] == [(agent.pk, 2), (None, 2)]


def test_days_are_the_organisations_local_days(supervisor_api: Client) -> None:
    late = datetime(2025, 3, 10, 23, 30, tzinfo=BANGKOK)  # 16:30 UTC on the 10th
    after_midnight = datetime(2025, 3, 11, 0, 30, tzinfo=BANGKOK)  # 17:30 UTC, still the 10th in UTC
    assert late.astimezone(ZoneInfo("UTC")).hour == 16
    answered("csat", 5, at=late)
    answered("csat", 1, at=after_midnight)

    body = supervisor_api.get(METRICS, {"group": "day", "since": "2025-03-10T00:00:00+07:00",
                                        "until": "2025-03-12T00:00:00+07:00"}).json()
    days = [(row["key"], row["csat"]["answers"], row["csat"]["percent"]) for row in body["groups"]]
    assert days == [("2025-03-10", 1, 100.0), ("2025-03-11", 1, 0.0)]
    assert [(row["key"], row["delivered"]) for row in body["groups"]] == [("2025-03-10", 1), ("2025-03-11", 1)]


def test_answers_outside_the_period_are_left_out(supervisor_api: Client) -> None:
    since = datetime(2025, 6, 1, tzinfo=BANGKOK)
    until = datetime(2025, 6, 8, tzinfo=BANGKOK)
    answered("csat", 5, at=since - timedelta(seconds=1))
    answered("csat", 5, at=since)  # the start is in
    answered("csat", 1, at=until - timedelta(seconds=1))
    answered("csat", 5, at=until)  # the end is not

    body = supervisor_api.get(METRICS, {"since": since.isoformat(), "until": until.isoformat()}).json()
    assert body["total"]["csat"] == {"answers": 2, "satisfied": 1, "percent": 50.0}
    assert datetime.fromisoformat(body["since"]) == since
    assert datetime.fromisoformat(body["until"]) == until


def test_a_period_without_a_time_zone_is_read_in_the_organisations_time_zone(supervisor_api: Client) -> None:
    answered("csat", 5, at=datetime(2025, 6, 1, 0, 30, tzinfo=BANGKOK))  # 31 May 17:30 UTC
    response = supervisor_api.get(METRICS, {"since": "2025-06-01T00:00:00", "until": "2025-06-02T00:00:00"})
    assert response.status_code == 200, response.content
    assert response.json()["total"]["csat"]["answers"] == 1
    # only one end given: the other is the default, and the two compare
    assert supervisor_api.get(METRICS, {"since": "2025-06-01T00:00:00"}).status_code == 200


def test_a_start_not_before_the_end_is_refused(supervisor_api: Client) -> None:
    for since, until in (("2025-06-08T00:00:00+07:00", "2025-06-01T00:00:00+07:00"),
                         ("2025-06-01T00:00:00+07:00", "2025-06-01T00:00:00+07:00")):
        for url in (METRICS, RESPONSES):
            response = supervisor_api.get(url, {"since": since, "until": until})
            assert response.status_code == 400
            assert response.json() == {"detail": "The start must be before the end.",
                                       "errors": {"since": ["The start must be before the end."]}}


def test_unknown_groups_are_refused_naming_the_field(supervisor_api: Client) -> None:
    response = supervisor_api.get(METRICS, {"group": "planet"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["group"]


def test_agents_do_not_see_the_numbers(agent_api: Client, admin_api: Client) -> None:
    answered("csat", 5)
    for url in (METRICS, RESPONSES, FOLLOW_UPS, "/api/v1/surveys", CAMPAIGNS):
        refused = agent_api.get(url)
        assert (refused.status_code, refused.json()) == (403, NOT_SUPERVISOR), url
    assert admin_api.get(METRICS).json()["total"]["csat"]["answers"] == 1


def test_numbers_need_credentials() -> None:
    assert Client().get(METRICS).status_code == 401


# ---------------------------------------------------------------- the answers


@pytest.fixture
def answers(team: Any, conversation: Any) -> dict[str, Response]:
    now = timezone.now()
    made = {
        "happy": answered("csat", 5, at=now - timedelta(hours=5), team=team, comment="ประทับใจมากค่ะ",
                          sentiment="positive", topics=("staff",)),
        "angry": answered("csat", 1, at=now - timedelta(hours=4), team=team, comment="ส่งช้ามาก",
                          sentiment="negative", topics=("delivery",)),
        "detractor": answered("nps", 3, at=now - timedelta(hours=3)),
        "passive": answered("nps", 8, at=now - timedelta(hours=2), comment="ก็โอเค", sentiment="neutral"),
        "easy": answered("ces", 6, at=now - timedelta(hours=1)),
    }
    FollowUp.objects.create(response=made["angry"], conversation=conversation, team=team)
    return made


def _ids(body: dict[str, Any]) -> list[int]:
    return [item["id"] for item in body["items"]]


def test_answers_newest_first_with_their_follow_up(supervisor_api: Client, answers: dict[str, Response],
                                                   conversation: Any, team: Any) -> None:
    body = supervisor_api.get(RESPONSES).json()
    assert body["count"] == 5
    order = ["easy", "passive", "detractor", "angry", "happy"]
    assert _ids(body) == [answers[name].pk for name in order]
    angry = body["items"][order.index("angry")]
    assert angry["follow_up_conversation_id"] == conversation.pk
    assert {k: angry[k] for k in ("kind", "score", "comment", "sentiment", "topics", "via", "team_id")} == {
        "kind": "csat", "score": 1, "comment": "ส่งช้ามาก", "sentiment": "negative", "topics": ["delivery"],
        "via": "page", "team_id": team.pk}
    assert [item["follow_up_conversation_id"] for item in body["items"] if item["id"] != angry["id"]] == [None] * 4


@pytest.mark.parametrize(("query", "expected"), [
    ({"kind": "csat"}, ["angry", "happy"]),
    ({"kind": "nps"}, ["passive", "detractor"]),
    ({"sentiment": "negative"}, ["angry"]),
    ({"unhappy": "true"}, ["detractor", "angry"]),
    ({"with_comment": "true"}, ["passive", "angry", "happy"]),
    ({"kind": "csat", "unhappy": "true"}, ["angry"]),
])
def test_answers_filtered(supervisor_api: Client, answers: dict[str, Response], query: dict[str, str],
                          expected: list[str]) -> None:
    body = supervisor_api.get(RESPONSES, query).json()
    assert _ids(body) == [answers[name].pk for name in expected]
    assert body["count"] == len(expected)


def test_answers_in_pages(supervisor_api: Client, answers: dict[str, Response]) -> None:
    first = supervisor_api.get(RESPONSES, {"limit": 2}).json()
    assert (first["count"], first["limit"], first["offset"], first["next_offset"]) == (5, 2, 0, 2)
    assert _ids(first) == [answers["easy"].pk, answers["passive"].pk]
    last = supervisor_api.get(RESPONSES, {"limit": 2, "offset": 4}).json()
    assert _ids(last) == [answers["happy"].pk] and last["next_offset"] is None
    assert supervisor_api.get(RESPONSES, {"limit": 0}).status_code == 400
    assert supervisor_api.get(RESPONSES, {"sentiment": "furious"}).status_code == 400


# ---------------------------------------------------------------- follow-ups


@pytest.fixture
def follow_up(website: Any, conversation: Any, agent: Any, csat_on: Callable[..., Any],  # noqa: F811
              answer_and_resolve: Callable[..., Any]) -> FollowUp:  # noqa: F811
    """A CSAT of 1 with a comment, answered on the survey page: the closed loop opened a follow-up conversation
    for the Service team (the agent's team)."""
    csat_on(website)
    answer_and_resolve(conversation, agent)
    actions.answer_on_page(invitation=invitation_of(conversation), score=1, comment="รอนานมาก ไม่มีใครตอบเลย")
    return FollowUp.objects.select_related("conversation").get(about=conversation)


def test_supervisors_list_follow_ups(supervisor_api: Client, follow_up: FollowUp, conversation: Any,
                                     team: Any, agent: Any) -> None:
    body = supervisor_api.get(FOLLOW_UPS).json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert {k: item[k] for k in ("id", "conversation_id", "about_conversation_id", "response_id", "team_id",
                                 "outcome", "closed_at", "first_contact_at")} == {
        "id": follow_up.pk, "conversation_id": follow_up.conversation_id, "about_conversation_id": conversation.pk,
        "response_id": follow_up.response_id, "team_id": team.pk, "outcome": "", "closed_at": None,
        "first_contact_at": None}
    assert follow_up.conversation_id != conversation.pk  # a conversation of its own
    actions.close_follow_up(follow_up=follow_up, actor=agent, outcome="resolved")
    assert supervisor_api.get(FOLLOW_UPS, {"open_only": "true"}).json()["count"] == 0
    assert supervisor_api.get(FOLLOW_UPS).json()["items"][0]["outcome"] == "resolved"


def test_an_agent_who_sees_the_conversation_closes_the_follow_up(
        agent_api: Client, agent: Any, follow_up: FollowUp) -> None:
    response = agent_api.post(f"{FOLLOW_UPS}/{follow_up.pk}/close", {"outcome": "recovered"}, content_type=JSON)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["outcome"]) == (follow_up.pk, "recovered") and body["closed_at"]
    follow_up.refresh_from_db()
    assert (follow_up.outcome, follow_up.closed_by, follow_up.closed_at is not None) == ("recovered", agent, True)
    event = Event.objects.get(conversation=follow_up.conversation, kind=Event.Kind.FOLLOW_UP_CLOSED)
    assert (event.actor, event.data["outcome"]) == (agent, "recovered")


def test_an_agent_of_another_team_cannot_close_it(
        client_for: Callable[[Any], Client], make_agent: Callable[..., Any], support_team: Any,
        follow_up: FollowUp) -> None:
    outsider = client_for(make_agent(teams=[support_team], username="outsider"))
    response = outsider.post(f"{FOLLOW_UPS}/{follow_up.pk}/close", {"outcome": "recovered"}, content_type=JSON)
    assert (response.status_code, response.json()) == (404, {"detail": "Follow-up not found."})
    missing = outsider.post(f"{FOLLOW_UPS}/999999/close", {"outcome": "recovered"}, content_type=JSON)
    assert (missing.status_code, missing.json()) == (404, {"detail": "Follow-up not found."})
    follow_up.refresh_from_db()
    assert follow_up.closed_at is None and follow_up.outcome == ""
    assert not Event.objects.filter(kind=Event.Kind.FOLLOW_UP_CLOSED).exists()


def test_an_unknown_outcome_is_refused_naming_the_field(agent_api: Client, follow_up: FollowUp) -> None:
    for payload in ({"outcome": "happy"}, {}):
        response = agent_api.post(f"{FOLLOW_UPS}/{follow_up.pk}/close", payload, content_type=JSON)
        assert response.status_code == 400
        body = response.json()
        assert list(body["errors"]) == ["outcome"]
        assert body["detail"].startswith("The request is not valid: outcome:")
    follow_up.refresh_from_db()
    assert follow_up.closed_at is None


# ---------------------------------------------------------------- the surveys


def test_supervisors_read_the_surveys_and_administrators_change_them(
        supervisor_api: Client, admin_api: Client, website: Any, csat_on: Callable[..., Any]) -> None:  # noqa: F811
    csat_on(website)
    listed = supervisor_api.get("/api/v1/surveys")
    assert listed.status_code == 200
    surveys = {item["kind"]: item for item in listed.json()}
    assert set(surveys) == {"csat", "nps", "ces"}
    assert (surveys["csat"]["scale"], surveys["csat"]["channel_ids"]) == ([1, 5], [website.pk])
    assert surveys["nps"]["scale"] == [0, 10] and surveys["ces"]["scale"] == [1, 7]

    nps = Survey.objects.get(kind="nps")
    refused = supervisor_api.patch(f"/api/v1/surveys/{nps.pk}", {"quiet_days": 14}, content_type=JSON)
    assert refused.status_code == 403
    nps.refresh_from_db()
    assert nps.quiet_days == 90

    changed = admin_api.patch(f"/api/v1/surveys/{nps.pk}", {"quiet_days": 14, "question_en": "  Would you "
                              "recommend ChuanShop?  "}, content_type=JSON)
    assert changed.status_code == 200, changed.content
    assert (changed.json()["quiet_days"], changed.json()["question_en"]) == (14, "Would you recommend ChuanShop?")
    assert changed.json()["question_th"] == nps.question_th  # what was not sent stays
    nps.refresh_from_db()
    assert (nps.quiet_days, nps.question_en) == (14, "Would you recommend ChuanShop?")


@pytest.mark.parametrize("quiet_days", [731, -1])
def test_a_quiet_period_out_of_range_is_refused(admin_api: Client, quiet_days: int) -> None:
    nps = Survey.objects.get(kind="nps")
    response = admin_api.patch(f"/api/v1/surveys/{nps.pk}", {"quiet_days": quiet_days}, content_type=JSON)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["quiet_days"]
    nps.refresh_from_db()
    assert nps.quiet_days == 90


def test_an_empty_name_is_refused_and_a_missing_survey_is_a_404(admin_api: Client) -> None:
    nps = Survey.objects.get(kind="nps")
    response = admin_api.patch(f"/api/v1/surveys/{nps.pk}", {"name": "  "}, content_type=JSON)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["name"]
    missing = admin_api.patch("/api/v1/surveys/999999", {"quiet_days": 1}, content_type=JSON)
    assert (missing.status_code, missing.json()) == (404, {"detail": "Survey not found."})


# ---------------------------------------------------------------- campaigns


@pytest.fixture
def line_account(team: Any) -> Channel:
    """A LINE account to send from (nothing is pushed: the contacts here are not its friends)."""
    return Channel.objects.create(kind="line", name="LINE @chuanshop", default_team=team)


def _campaign_payload(line_account: Channel, website: Any, **changes: Any) -> dict[str, Any]:
    return {"name": "NPS ลูกค้าเว็บไซต์", "survey_id": Survey.objects.get(kind="nps").pk,
            "line_channel_id": line_account.pk, "segment_channel_ids": [website.pk], "per_minute": 1, **changes}


def test_a_supervisor_creates_a_draft_campaign(supervisor_api: Client, supervisor: Any, line_account: Channel,
                                               website: Any) -> None:
    response = supervisor_api.post(CAMPAIGNS, _campaign_payload(line_account, website), content_type=JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("name", "status", "line_channel_id", "email_channel_id", "per_minute",
                                 "reminder_days", "started_at", "counts")} == {
        "name": "NPS ลูกค้าเว็บไซต์", "status": "draft", "line_channel_id": line_account.pk, "email_channel_id": None,
        "per_minute": 1, "reminder_days": 3, "started_at": None, "counts": {}}
    campaign = Campaign.objects.get(pk=body["id"])
    assert campaign.created_by == supervisor
    assert list(campaign.segment_channels.all()) == [website]
    assert not Job.objects.filter(name="surveys.run_campaign").exists()  # a draft sends nothing
    assert supervisor_api.get(f"{CAMPAIGNS}/{campaign.pk}").json() == body
    assert [item["id"] for item in supervisor_api.get(CAMPAIGNS).json()] == [campaign.pk]


def test_a_campaign_sent_from_the_wrong_kind_of_channel_is_refused(
        supervisor_api: Client, line_account: Channel, website: Any) -> None:
    response = supervisor_api.post(CAMPAIGNS, _campaign_payload(line_account, website, line_channel_id=website.pk),
                                   content_type=JSON)
    assert response.status_code == 400
    assert response.json()["errors"] == {"line_channel_id": ["Choose a LINE account."]}
    response = supervisor_api.post(CAMPAIGNS, _campaign_payload(line_account, website, email_channel_id=website.pk),
                                   content_type=JSON)
    assert response.json()["errors"] == {"email_channel_id": ["Choose an email mailbox."]}
    assert not Campaign.objects.exists()


def test_campaign_problems_name_the_api_fields(supervisor_api: Client, line_account: Channel, website: Any) -> None:
    csat = Survey.objects.get(kind="csat")
    response = supervisor_api.post(CAMPAIGNS, _campaign_payload(line_account, website, survey_id=csat.pk,
                                                                line_channel_id=None), content_type=JSON)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"survey_id", "line_channel_id"}
    missing = supervisor_api.post(CAMPAIGNS, _campaign_payload(line_account, website, survey_id=999999),
                                  content_type=JSON)
    assert missing.json()["errors"] == {"survey_id": ["There is no such survey."]}
    assert not Campaign.objects.exists()


def test_starting_schedules_it_once(supervisor_api: Client, line_account: Channel, website: Any) -> None:
    campaign_id = supervisor_api.post(CAMPAIGNS, _campaign_payload(line_account, website),
                                      content_type=JSON).json()["id"]
    started = supervisor_api.post(f"{CAMPAIGNS}/{campaign_id}/start")
    assert started.status_code == 200, started.content
    assert started.json()["status"] == "scheduled"
    job = Job.objects.get(name="surveys.run_campaign")
    assert job.payload == {"campaign_id": campaign_id}

    again = supervisor_api.post(f"{CAMPAIGNS}/{campaign_id}/start")
    refusal = "Only a draft campaign can be started."
    assert (again.status_code, again.json()) == (400, {"detail": refusal, "errors": {"__all__": [refusal]}})
    assert Job.objects.filter(name="surveys.run_campaign").count() == 1
    assert supervisor_api.post(f"{CAMPAIGNS}/999999/start").status_code == 404


def test_cancelling_skips_the_invitations_not_sent_yet(
        supervisor_api: Client, line_account: Channel, website: Any, run_jobs: Callable[[], int]) -> None:
    for n in range(3):
        contact = Contact.objects.create(name=f"ลูกค้าเว็บ {n}")
        Identity.objects.create(contact=contact, channel=website, external_id=f"visitor-campaign-{n:020d}")
    campaign_id = supervisor_api.post(CAMPAIGNS, _campaign_payload(line_account, website),
                                      content_type=JSON).json()["id"]
    supervisor_api.post(f"{CAMPAIGNS}/{campaign_id}/start")
    run_jobs()  # three invitations, one a minute: the first is due (and cannot reach its contact), two wait
    assert supervisor_api.get(f"{CAMPAIGNS}/{campaign_id}").json()["status"] == "sending"

    cancelled = supervisor_api.post(f"{CAMPAIGNS}/{campaign_id}/cancel")
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["finished_at"]
    assert cancelled.json()["counts"] == {"total": 3, "skipped": 3, "skipped_no_address": 1,
                                          "skipped_cancelled": 2, "answered": 0}
    assert supervisor_api.get(CAMPAIGNS).json()[0]["counts"] == cancelled.json()["counts"]
    reasons = sorted(Invitation.objects.filter(campaign_id=campaign_id).values_list("status", "skip_reason"))
    assert reasons == [("skipped", "cancelled"), ("skipped", "cancelled"), ("skipped", "no_address")]

    # their time comes: nothing is sent
    Job.objects.filter(status="queued", name="surveys.deliver").update(run_after=timezone.now())
    run_jobs()
    assert not Invitation.objects.filter(campaign_id=campaign_id, status="sent").exists()
    again = supervisor_api.post(f"{CAMPAIGNS}/{campaign_id}/cancel")
    assert (again.status_code, again.json()["detail"]) == (400, "This campaign has finished already.")


def test_agents_do_not_manage_campaigns(agent_api: Client, line_account: Channel, website: Any,
                                        supervisor: Any) -> None:
    refused = agent_api.post(CAMPAIGNS, _campaign_payload(line_account, website), content_type=JSON)
    assert (refused.status_code, refused.json()) == (403, NOT_SUPERVISOR)
    assert not Campaign.objects.exists()
    campaign = Campaign.objects.create(survey=Survey.objects.get(kind="nps"), name="NPS", line_channel=line_account)
    for action in ("start", "cancel"):
        assert agent_api.post(f"{CAMPAIGNS}/{campaign.pk}/{action}").status_code == 403
    assert agent_api.get(f"{CAMPAIGNS}/{campaign.pk}").status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    assert not Job.objects.filter(name="surveys.run_campaign").exists()
