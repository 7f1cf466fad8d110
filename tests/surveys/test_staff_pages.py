"""The surveys in the agents' pages: the overview for supervisors (the numbers, by team / agent / channel,
comments with their sentiment and topics, follow-ups, campaigns), the nav link, and the conversation's side
panel (a survey's answer or why it was not sent; a follow-up's answer and its outcome form)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ruamchat.contacts.models import Contact
from ruamchat.surveys import actions
from ruamchat.surveys.models import Campaign, FollowUp, Invitation, Survey
from tests.pages import element_text, login, text_of
from tests.surveys.conftest import invitation_of
from tests.surveys.factories import answered

pytestmark = pytest.mark.django_db

OVERVIEW = "/surveys/"
UNHAPPY = "รอนานมาก ไม่มีใครตอบเลย"


def _metric(page: str, name: str) -> str:
    match = re.search(rf'<span class="stat-value" data-metric="{name}">(.*?)</span>\s*<span class="muted">(.*?)</span>',
                      page, re.S)
    assert match, f"{name} not on the page"
    return f"{text_of(match.group(1))} | {text_of(match.group(2))}"


def _rows(page: str, table_id: str) -> list[str]:
    body = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    return [text_of(row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def _panel(page: str) -> str:
    assert 'id="survey-panel"' in page, "no survey panel"
    return text_of(page.split('id="survey-panel"', 1)[1].split("</section>", 1)[0].split(">", 1)[1])


@pytest.fixture
def supervisor_client(supervisor: Any) -> Client:
    return login(supervisor)


@pytest.fixture
def agent_client(agent: Any) -> Client:
    return login(agent)


@pytest.fixture
def follow_up(website: Any, conversation: Any, agent: Any, csat_on: Callable[..., Any],
              answer_and_resolve: Callable[..., Any]) -> FollowUp:
    """The agent answered and resolved the conversation; the customer gave CSAT 1 with a comment on the survey
    page: the closed loop opened a follow-up conversation for the Service team (the agent's team)."""
    csat_on(website)
    answer_and_resolve(conversation, agent)
    actions.answer_on_page(invitation=invitation_of(conversation), score=1, comment=UNHAPPY)
    return FollowUp.objects.select_related("conversation", "response").get(about=conversation)


# ---------------------------------------------------------------- the overview


def test_the_overview_shows_the_numbers_of_the_period(supervisor_client: Client, team: Any) -> None:
    for score in (5, 4, 4, 3, 1):
        answered("csat", score, team=team)
    for score in (10, 9, 9, 8, 7, 6, 3, 0, 10, 5):
        answered("nps", score)
    for score in (7, 6, 5, 4, 2):
        answered("ces", score)
    Invitation.objects.create(survey=Survey.objects.get(kind="nps"), kind="nps", token=actions.new_token(),
                              contact=Contact.objects.create(name="ไม่ได้ตอบ"), status=Invitation.Status.SENT,
                              send_at=timezone.now(), sent_at=timezone.now())
    answered("csat", 1, at=timezone.now() - timedelta(days=40))  # before the last 30 days

    response = supervisor_client.get(OVERVIEW)
    assert response.status_code == 200
    page = response.content.decode()
    assert _metric(page, "csat") == "60% | 5 answers"
    assert _metric(page, "nps") == "0 ± 55 | 4 promoters · 2 passives · 4 detractors"
    assert _metric(page, "ces") == "4.8 | 60% answered 5 or more"
    assert _metric(page, "response_rate") == "95% | 20 of 21 invitations"  # 20 answered of 21 delivered
    # by team (the default): the team's answers, and those about no team
    assert _rows(page, "survey-groups") == [
        f"{team.name} 60% (5) – – 100% (5/5)",
        "(none) – 0 ± 55 (10) 4.8 (60% ≥ 5) 94% (15/16)",
    ]

    longer = supervisor_client.get(OVERVIEW, {"days": 90}).content.decode()
    assert _metric(longer, "csat") == "50% | 6 answers"
    assert '<option value="90" selected>' in longer


def test_by_agent_by_channel_and_by_category(supervisor_client: Client, agent: Any, website: Any,
                                             team: Any) -> None:
    # at noon, sent five minutes before: the same local day, week and month whenever the test runs
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    noon -= timedelta(days=1) if noon > timezone.now() else timedelta(0)
    answered("csat", 5, agent=agent, channel=website, team=team, category="refund", at=noon)
    answered("csat", 2, agent=agent, channel=website, team=team, category="refund", at=noon)
    answered("csat", 4, at=noon)

    by_agent = supervisor_client.get(OVERVIEW, {"group": "agent"}).content.decode()
    assert '<option value="agent" selected>' in by_agent
    assert _rows(by_agent, "survey-groups") == ["Somchai 50% (2) – – 100% (2/2)", "(none) 100% (1) – – 100% (1/1)"]
    by_channel = supervisor_client.get(OVERVIEW, {"group": "channel"}).content.decode()
    assert _rows(by_channel, "survey-groups") == [f"{website.name} 50% (2) – – 100% (2/2)",
                                                  "(none) 100% (1) – – 100% (1/1)"]
    by_category = supervisor_client.get(OVERVIEW, {"group": "category"}).content.decode()
    assert sorted(_rows(by_category, "survey-groups")) == ["(none) 100% (1) – – 100% (1/1)",
                                                          "refund 50% (2) – – 100% (2/2)"]
    for period in ("week", "month"):  # one row: the answers and their invitations are of one week and month
        by_period = supervisor_client.get(OVERVIEW, {"group": period}).content.decode()
        (row,) = _rows(by_period, "survey-groups")
        assert row.endswith("67% (3) – – 100% (3/3)")


def test_nonsense_in_the_address_falls_back_to_the_defaults(supervisor_client: Client) -> None:
    answered("csat", 5, at=timezone.now() - timedelta(days=20))
    for query in ({"days": "banana"}, {"days": "12"}, {"group": "planet", "sentiment": "furious"}):
        response = supervisor_client.get(OVERVIEW, query)
        assert response.status_code == 200
        page = response.content.decode()
        assert '<option value="30" selected>' in page and '<option value="team" selected>' in page
        assert _metric(page, "csat") == "100% | 1 answer"


def test_comments_with_their_sentiment_and_topics(supervisor_client: Client, team: Any) -> None:
    answered("csat", 2, team=team, comment="ส่งช้ามาก กล่องบุบ", sentiment="negative", topics=("delivery",))
    answered("nps", 10, comment="พนักงานตอบไวมาก", sentiment="positive", topics=("staff", "response_time"),
             at=timezone.now() - timedelta(hours=2))
    answered("ces", 6)  # no comment: not listed

    page = supervisor_client.get(OVERVIEW).content.decode()
    comments = [text_of(item) for item in
                re.findall(r"<li class=\"sentiment-[^\"]*\">(.*?)</li>", page.split('id="survey-comments"')[1], re.S)]
    assert len(comments) == 2
    assert comments[0].startswith("CSAT 2 Negative Delivery ส่งช้ามาก กล่องบุบ ลูกค้า csat 2 ·")
    assert comments[0].endswith(f"· {team.name}")
    assert comments[1].startswith("NPS 10 Positive Staff Response time พนักงานตอบไวมาก")

    negative = supervisor_client.get(OVERVIEW, {"sentiment": "negative"}).content.decode()
    assert "ส่งช้ามาก" in negative and "พนักงานตอบไวมาก" not in negative


def test_the_overview_lists_the_follow_ups(supervisor_client: Client, follow_up: FollowUp,
                                           conversation: Any) -> None:
    page = supervisor_client.get(OVERVIEW).content.decode()
    (row,) = _rows(page, "follow-up-list")
    assert row.startswith(f"#{follow_up.conversation_id} (about #{conversation.pk}) CSAT 1 “{UNHAPPY}”")
    assert row.endswith("Waiting –")
    assert f'href="/inbox/c/{follow_up.conversation_id}/"' in page
    assert "1 opened in the period · 0 contacted · 0 closed" in text_of(page)


def test_campaigns_with_their_counts(supervisor_client: Client, admin_user: Any) -> None:
    nps = Survey.objects.get(kind="nps")
    campaign = Campaign.objects.create(survey=nps, name="NPS ลูกค้าไตรมาส 4", status=Campaign.Status.SENDING)
    draft = Campaign.objects.create(survey=nps, name="NPS ลูกค้าใหม่")

    def invitation(status: str, reason: str = "") -> Invitation:
        return Invitation.objects.create(
            survey=nps, kind="nps", campaign=campaign, contact=Contact.objects.create(name="ลูกค้า"),
            token=actions.new_token(), status=status, skip_reason=reason, send_at=timezone.now(),
            sent_at=timezone.now() if status == "sent" else None)

    answered_one = invitation("sent")
    invitation("sent")
    invitation("failed")
    invitation("skipped", "opted_out")
    invitation("skipped", "quiet")
    invitation("skipped", "inactive")
    invitation("scheduled")
    actions.answer_on_page(invitation=answered_one, score=9)

    page = supervisor_client.get(OVERVIEW).content.decode()
    rows = _rows(page, "campaign-list")
    assert rows[0] == "NPS ลูกค้าใหม่ NPS Draft 0 0 0 Start"
    assert rows[1] == ("NPS ลูกค้าไตรมาส 4 NPS Sending 2 (1 failed) 3: opted out 1 surveyed recently 1 "
                       "survey switched off 1 1 Cancel")
    assert f'action="/surveys/campaigns/{draft.pk}/start"' in page
    assert f'action="/surveys/campaigns/{campaign.pk}/cancel"' in page
    assert "/django-admin/surveys/campaign/" not in page  # editing is for administrators

    as_admin = login(admin_user).get(OVERVIEW).content.decode()
    assert f'href="/django-admin/surveys/campaign/{campaign.pk}/change/"' in as_admin


def test_a_supervisor_starts_and_cancels_a_campaign_from_the_overview(supervisor_client: Client, team: Any) -> None:
    from ruamchat.connectors.models import Channel

    line = Channel.objects.create(kind="line", name="LINE @chuanshop", default_team=team)
    campaign = Campaign.objects.create(survey=Survey.objects.get(kind="nps"), name="NPS", line_channel=line)
    started = supervisor_client.post(f"/surveys/campaigns/{campaign.pk}/start", follow=True)
    assert started.redirect_chain == [("/surveys/#campaigns", 302)]
    assert "The campaign is scheduled." in started.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == "scheduled"

    again = supervisor_client.post(f"/surveys/campaigns/{campaign.pk}/start", follow=True)
    assert "Only a draft campaign can be started." in again.content.decode()
    cancelled = supervisor_client.post(f"/surveys/campaigns/{campaign.pk}/cancel", follow=True)
    assert "The campaign is cancelled." in cancelled.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == "cancelled"


def test_agents_may_not_see_the_overview_nor_run_campaigns(agent_client: Client, team: Any) -> None:
    assert agent_client.get(OVERVIEW).status_code == 403
    campaign = Campaign.objects.create(survey=Survey.objects.get(kind="nps"), name="NPS")
    assert agent_client.post(f"/surveys/campaigns/{campaign.pk}/start").status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    assert Client().get(OVERVIEW).status_code == 302  # to the sign-in page


def test_the_nav_link_is_for_supervisors(agent_client: Client, supervisor_client: Client,
                                         admin_user: Any) -> None:
    link = '<a href="/surveys/"'
    assert link in supervisor_client.get("/inbox/").content.decode()
    assert link in login(admin_user).get("/inbox/").content.decode()
    assert link not in agent_client.get("/inbox/").content.decode()
    assert '<a href="/surveys/" aria-current="page">Surveys</a>' in supervisor_client.get(OVERVIEW).content.decode()


# ---------------------------------------------------------------- the side panel: the closed loop


def test_the_follow_up_panel_closes_the_loop(agent_client: Client, follow_up: FollowUp, conversation: Any) -> None:
    url = f"/inbox/c/{follow_up.conversation_id}/"
    page = agent_client.get(url).content.decode()
    panel = _panel(page)
    assert panel.startswith(f"Surveys Follow-up of an unhappy answer : CSAT 1 · about #{conversation.pk} {UNHAPPY}")
    assert "How did the follow-up end?" in panel
    options = re.findall(r'<option value="(\w+)">([^<]*)</option>',
                         page.split('id="follow-up-outcome-select"')[1].split("</select>")[0])
    assert options == [("recovered", "Problem solved, customer satisfied"), ("resolved", "Problem solved"),
                       ("not_recovered", "Customer still unhappy"), ("unreachable", "Could not reach the customer")]
    assert f'action="/surveys/follow-ups/{follow_up.pk}/close"' in page

    closed = agent_client.post(f"/surveys/follow-ups/{follow_up.pk}/close", {"outcome": "recovered"}, follow=True)
    assert closed.redirect_chain == [(url, 302)]
    page = closed.content.decode()
    assert "The follow-up is closed." in page
    assert element_text(page, "follow-up-outcome") == "Outcome: Problem solved, customer satisfied"
    assert 'id="follow-up-close"' not in page
    follow_up.refresh_from_db()
    assert (follow_up.outcome, follow_up.closed_at is not None) == ("recovered", True)


def test_a_bad_outcome_is_refused_with_a_message(agent_client: Client, follow_up: FollowUp) -> None:
    refused = agent_client.post(f"/surveys/follow-ups/{follow_up.pk}/close", {"outcome": "happy"}, follow=True)
    assert "Choose how the follow-up ended." in refused.content.decode()
    assert 'id="follow-up-close"' in refused.content.decode()  # the form is still there
    follow_up.refresh_from_db()
    assert follow_up.closed_at is None


def test_an_agent_of_another_team_cannot_close_it(make_agent: Callable[..., Any], support_team: Any,
                                                  follow_up: FollowUp) -> None:
    outsider = login(make_agent(teams=[support_team], username="outsider"))
    assert outsider.post(f"/surveys/follow-ups/{follow_up.pk}/close", {"outcome": "recovered"}).status_code == 404
    follow_up.refresh_from_db()
    assert follow_up.closed_at is None


def test_the_first_reply_in_the_follow_up_is_its_first_contact(
        supervisor_client: Client, agent: Any, follow_up: FollowUp, run_jobs: Callable[[], int]) -> None:
    from ruamchat.inbox.actions import send_reply

    FollowUp.objects.filter(pk=follow_up.pk).update(created_at=timezone.now() - timedelta(hours=2))
    send_reply(conversation=follow_up.conversation, actor=agent, text="ขออภัยที่ให้รอนานค่ะ ขอตรวจสอบให้นะคะ")
    run_jobs()
    follow_up.refresh_from_db()
    assert follow_up.first_contact_at is not None
    first = follow_up.first_contact_at
    send_reply(conversation=follow_up.conversation, actor=agent, text="จัดส่งให้ใหม่แล้วค่ะ")
    follow_up.refresh_from_db()
    assert follow_up.first_contact_at == first  # the first one only

    page = supervisor_client.get(OVERVIEW).content.decode()
    (row,) = _rows(page, "follow-up-list")
    assert row.endswith("2 hours –")  # two hours from opening to the first contact
    assert "Waiting" not in row
    assert "1 opened in the period · 1 contacted · 0 closed · median time to first contact 2.0 h" in text_of(page)


# ---------------------------------------------------------------- the side panel: the survey of a conversation


def test_a_surveyed_conversation_shows_the_answer(
        agent_client: Client, website: Any, conversation: Any, agent: Any, csat_on: Callable[..., Any],
        answer_and_resolve: Callable[..., Any]) -> None:
    url = f"/inbox/c/{conversation.pk}/"
    assert 'id="survey-panel"' not in agent_client.get(url).content.decode()  # nothing asked yet
    csat_on(website)
    answer_and_resolve(conversation, agent)
    assert _panel(agent_client.get(url).content.decode()) == "Surveys CSAT: Sent"

    actions.answer_on_page(invitation=invitation_of(conversation), score=4, comment="แอดมินตอบไว บริการดีมากค่ะ")
    page = agent_client.get(url).content.decode()
    assert _panel(page) == "Surveys CSAT: 4 · Positive แอดมินตอบไว บริการดีมากค่ะ"
    assert 'id="follow-up"' not in page  # a happy answer opens no follow-up


def test_a_skipped_survey_says_why(agent_client: Client, website: Any, conversation: Any, agent: Any,
                                   csat_on: Callable[..., Any], answer_and_resolve: Callable[..., Any]) -> None:
    from ruamchat.contacts.actions import record_consent
    from ruamchat.contacts.models import Consent

    csat_on(website)
    record_consent(contact=conversation.contact, purpose=Consent.Purpose.SURVEYS, granted=False, source="agent")
    answer_and_resolve(conversation, agent)
    assert invitation_of(conversation).skip_reason == "opted_out"
    page = agent_client.get(f"/inbox/c/{conversation.pk}/").content.decode()
    assert _panel(page) == "Surveys CSAT: not sent: Opted out of surveys"
