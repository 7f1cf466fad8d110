"""The chatbot through the API: its settings per channel (administrators), pausing and resuming it in a
conversation, its numbers (supervisors), and conversations the bot is answering (status "bot")."""
# ruff: noqa: F811  (tests take the fixtures imported from the bot's and the knowledge base's conftest)

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ruamchat.bot.models import BotConversation, BotSettings
from ruamchat.inbox.models import Conversation
from tests.bot.conftest import bot_on  # noqa: F401  (the chatbot's fixtures, here too)
from tests.kb.conftest import kb_category, make_article  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)  # the bot searches the knowledge base

JSON = "application/json"
CONVERSATIONS = "/api/v1/conversations"


def _bot_url(channel: Any) -> str:
    return f"/api/v1/channels/{channel.pk}/bot"


@pytest.fixture
def instalments(make_article: Callable[..., Any]) -> Any:
    return make_article(
        title="ผ่อน 0% นานสูงสุด 10 เดือน", keywords="ผ่อน แบ่งจ่าย ดอกเบี้ย",
        summary="ผ่อนชำระ 0% ด้วยบัตรเครดิตที่ร่วมรายการ นานสูงสุด 10 เดือน",
        body="ผ่อนชำระ 0% นานสูงสุด 10 เดือน ด้วยบัตรเครดิตกสิกร กรุงเทพ กรุงศรี เมื่อซื้อครบ 3,000 บาท")


@pytest.fixture
def with_bot(website: Any, bot_on: Callable[..., Any], instalments: Any, visitor_says: Callable[..., Any],
             run_jobs: Callable[[], int]) -> Conversation:
    """A website conversation the bot is answering (it offered the article and waits for "did it help?")."""
    bot_on(website)
    conversation = visitor_says("ผ่อน 0% ได้กี่เดือนคะ").conversation
    run_jobs()
    conversation.refresh_from_db()
    assert conversation.status == "bot"
    return conversation


# ---------------------------------------------------------------- settings


def test_an_admin_reads_the_defaults_and_switches_the_bot_on(admin_api: Client, website: Any) -> None:
    defaults = admin_api.get(_bot_url(website))
    assert defaults.status_code == 200
    assert defaults.json() == {
        "channel_id": website.pk, "enabled": False, "greeting_th": "", "greeting_en": "", "after_hours": True,
        "after_hours_details_th": "", "after_hours_details_en": "", "threshold": 0.2, "max_messages": 6,
        "quiet_minutes": 60}
    assert not BotSettings.objects.exists()  # reading stores nothing

    response = admin_api.patch(_bot_url(website), {"enabled": True, "threshold": 0.5,
                                                   "greeting_th": "  สวัสดีค่ะ ชวนช้อปยินดีต้อนรับ  "},
                               content_type=JSON)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["enabled"], body["threshold"], body["greeting_th"]) == (True, 0.5, "สวัสดีค่ะ ชวนช้อปยินดีต้อนรับ")
    assert body["max_messages"] == 6  # what was not sent stays as it was
    stored = BotSettings.objects.get(channel=website)
    assert stored.enabled and stored.threshold == 0.5 and stored.greeting_th == "สวัสดีค่ะ ชวนช้อปยินดีต้อนรับ"
    assert admin_api.get(_bot_url(website)).json() == body

    assert admin_api.patch(_bot_url(website), {"max_messages": 3}, content_type=JSON).json()["threshold"] == 0.5


def test_only_administrators_see_or_change_the_settings(agent_api: Client, client_for: Callable[[Any], Client],
                                                        supervisor: Any, website: Any) -> None:
    for api in (agent_api, client_for(supervisor)):
        assert api.get(_bot_url(website)).status_code == 403
        refused = api.patch(_bot_url(website), {"enabled": True}, content_type=JSON)
        assert refused.status_code == 403
        assert refused.json() == {"detail": "Only administrators can see or change the chatbot's settings."}
    assert not BotSettings.objects.exists()


def test_a_threshold_above_one_is_refused_naming_the_field(admin_api: Client, website: Any,
                                                           bot_on: Callable[..., Any]) -> None:
    bot_on(website, threshold=0.4)
    response = admin_api.patch(_bot_url(website), {"threshold": 2}, content_type=JSON)
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["threshold"]
    assert body["detail"].startswith("The request is not valid: threshold:")
    assert BotSettings.objects.get(channel=website).threshold == 0.4


def test_settings_of_a_channel_that_does_not_exist_are_a_404(admin_api: Client) -> None:
    response = admin_api.get("/api/v1/channels/999999/bot")
    assert (response.status_code, response.json()) == (404, {"detail": "Channel not found."})


# ---------------------------------------------------------------- pause and resume


def test_an_agent_pauses_the_bot_and_gives_the_conversation_back_to_it(
        agent_api: Client, with_bot: Conversation) -> None:
    paused = agent_api.post(f"{CONVERSATIONS}/{with_bot.pk}/bot/pause")
    assert paused.status_code == 200, paused.content
    assert paused.json() == {"conversation_id": with_bot.pk, "state": "handed_off", "reason": "paused",
                             "outcome": "", "paused": True, "messages_sent": 1}
    assert agent_api.get(f"{CONVERSATIONS}/{with_bot.pk}").json()["status"] == "open"  # the team has it

    resumed = agent_api.post(f"{CONVERSATIONS}/{with_bot.pk}/bot/resume")
    assert resumed.status_code == 200, resumed.content
    assert resumed.json() == {"conversation_id": with_bot.pk, "state": "active", "reason": "", "outcome": "",
                              "paused": False, "messages_sent": 0}
    assert agent_api.get(f"{CONVERSATIONS}/{with_bot.pk}").json()["status"] == "bot"


def test_pausing_a_conversation_the_caller_cannot_see_is_a_404(
        agent_api: Client, other_team_conversation: Any, bot_on: Callable[..., Any]) -> None:
    bot_on(other_team_conversation.channel)
    for action in ("pause", "resume"):
        response = agent_api.post(f"{CONVERSATIONS}/{other_team_conversation.pk}/bot/{action}")
        assert (response.status_code, response.json()) == (404, {"detail": "Conversation not found."})
    assert not BotConversation.objects.filter(conversation=other_team_conversation).exists()


def test_resuming_on_a_channel_without_the_bot_is_refused_with_a_reason(
        agent_api: Client, conversation: Conversation) -> None:
    response = agent_api.post(f"{CONVERSATIONS}/{conversation.pk}/bot/resume")
    assert response.status_code == 400
    assert response.json() == {"detail": "The chatbot is not on for this channel.",
                               "errors": {"__all__": ["The chatbot is not on for this channel."]}}
    conversation.refresh_from_db()
    assert conversation.status == "open"


# ---------------------------------------------------------------- numbers


def test_the_numbers_are_for_supervisors(
        agent_api: Client, client_for: Callable[[Any], Client], supervisor: Any, with_bot: Conversation,
        visitor_says: Callable[..., Any], run_jobs: Callable[[], int], team: Any) -> None:
    from ruamchat.connectors.actions import create_channel

    refused = agent_api.get("/api/v1/bot/metrics")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Only supervisors and administrators can see the chatbot's numbers."}

    visitor_says("ใช่ค่ะ ขอบคุณค่ะ")  # the answer helped: resolved by the bot
    visitor_says("ขอคุยกับพนักงานค่ะ", visitor="visitor-token-bbbbbbbbbbbbbbbbbbbbbb")  # handed to a person
    run_jobs()
    assert Conversation.objects.get(pk=with_bot.pk).status == "resolved"

    api = client_for(supervisor)
    body = api.get("/api/v1/bot/metrics").json()
    assert {k: body[k] for k in ("conversations", "answered", "deflected", "handed_off", "active", "reasons",
                                 "outcomes", "feedback_yes", "feedback_no", "deflection_rate", "handoff_rate",
                                 "yes_rate")} == {
        "conversations": 2, "answered": 1, "deflected": 1, "handed_off": 1, "active": 0,
        "reasons": {"person": 1}, "outcomes": {"confirmed": 1}, "feedback_yes": 1, "feedback_no": 0,
        "deflection_rate": 0.5, "handoff_rate": 0.5, "yes_rate": 1.0}

    # per channel, and per period
    other = create_channel(actor=None, kind="website", name="หน้าร้านสาขาสอง", default_team=team)
    quiet = api.get("/api/v1/bot/metrics", {"channel_id": other.pk}).json()
    assert (quiet["conversations"], quiet["deflection_rate"], quiet["yes_rate"]) == (0, None, None)
    assert api.get("/api/v1/bot/metrics", {"channel_id": with_bot.channel_id}).json()["conversations"] == 2
    before = (timezone.now() - timedelta(days=2)).isoformat()
    earlier = api.get("/api/v1/bot/metrics", {"until": before}).json()
    assert earlier["conversations"] == 0


# ---------------------------------------------------------------- conversations with the bot


def test_a_conversation_with_the_bot_has_the_status_bot_and_is_listed_under_it(
        agent_api: Client, with_bot: Conversation, visitor_says: Callable[..., Any], run_jobs: Callable[[], int],
        team: Any) -> None:
    handed = visitor_says("ขอคุยกับพนักงานค่ะ", visitor="visitor-token-bbbbbbbbbbbbbbbbbbbbbb").conversation
    run_jobs()  # the bot hands this one to the team at once

    one = agent_api.get(f"{CONVERSATIONS}/{with_bot.pk}")
    assert one.status_code == 200
    assert one.json()["status"] == "bot" and one.json()["assignee"] is None

    listed = agent_api.get(CONVERSATIONS, {"status": "bot"}).json()
    assert [(item["id"], item["status"]) for item in listed["items"]] == [(with_bot.pk, "bot")]
    in_team = agent_api.get(CONVERSATIONS, {"status": "bot", "queue": f"team:{team.pk}"}).json()
    assert [item["id"] for item in in_team["items"]] == [with_bot.pk]
    # "open" (the default): the team's queue has the hand-off, not the conversation the bot is answering
    assert [item["id"] for item in agent_api.get(CONVERSATIONS).json()["items"]] == [handed.pk]
