"""The chatbot in the agents' pages: the side panel's pause and resume, the chatbot overview for supervisors,
the nav link, the "With the bot" queue filter, and the administrators' settings form (Django admin)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ruamchat.bot.models import BotConversation, BotSettings
from ruamchat.inbox.models import Conversation
from tests.pages import element_text, login, text_of

pytestmark = pytest.mark.django_db(transaction=True)  # the bot searches the knowledge base

TITLE = "ผ่อน 0% นานสูงสุด 10 เดือน"
QUESTION = "ผ่อน 0% ได้กี่เดือนคะ"


@pytest.fixture
def instalments(make_article: Callable[..., Any]) -> Any:
    return make_article(
        title=TITLE, keywords="ผ่อน แบ่งจ่าย ดอกเบี้ย",
        summary="ผ่อนชำระ 0% ด้วยบัตรเครดิตที่ร่วมรายการ นานสูงสุด 10 เดือน",
        body="ผ่อนชำระ 0% นานสูงสุด 10 เดือน ด้วยบัตรเครดิตกสิกร กรุงเทพ กรุงศรี เมื่อซื้อครบ 3,000 บาท")


@pytest.fixture
def answered(website: Any, bot_on: Callable[..., Any], instalments: Any, visitor_says: Callable[..., Any],
             run_jobs: Callable[[], int]) -> Conversation:
    """A conversation the bot is answering: it offered the article and waits for "did it help?"."""
    bot_on(website)
    conversation = visitor_says(QUESTION).conversation
    run_jobs()
    conversation.refresh_from_db()
    assert conversation.status == "bot"
    return conversation


@pytest.fixture
def agent_client(client: Client, agent: Any) -> Client:
    client.force_login(agent)  # language "en": the UI speaks English to this agent
    return client


def _queue_ids(page: str) -> set[int]:
    listing = page.split('id="queue-list"', 1)[1]
    return {int(pk) for pk in re.findall(r'<li class="queue-row[^"]*" data-conversation-id="(\d+)"', listing)}


# ---------------------------------------------------------------- the side panel: pause and resume


def test_the_side_panel_pauses_the_bot_while_it_answers_and_resumes_it_after(
        agent_client: Client, answered: Conversation) -> None:
    url = f"/inbox/c/{answered.pk}/"
    page = agent_client.get(url).content.decode()
    assert element_text(page, "bot-heading") == "Chatbot"
    assert element_text(page, "bot-state") == "Answering"
    assert TITLE in text_of(page.split('id="bot-panel"')[1].split("</section>")[0])  # the article it offered
    assert element_text(page, "bot-pause") == "Pause the bot"
    assert 'id="bot-resume"' not in page

    response = agent_client.post(f"/bot/conversations/{answered.pk}/pause")
    assert (response.status_code, response["Location"]) == (302, url)
    answered.refresh_from_db()
    state = BotConversation.objects.get(conversation=answered)
    assert state.paused and state.reason == "paused"
    assert answered.status == "open"  # the team has it now
    page = agent_client.get(url).content.decode()
    assert "The chatbot is paused for this conversation." in page
    assert element_text(page, "bot-state") == "Paused by an agent."
    assert element_text(page, "bot-resume") == "Resume the bot"
    assert 'id="bot-pause"' not in page

    response = agent_client.post(f"/bot/conversations/{answered.pk}/resume")
    assert (response.status_code, response["Location"]) == (302, url)
    answered.refresh_from_db()
    state.refresh_from_db()
    assert answered.status == "bot" and not state.paused and state.state == "active"
    page = agent_client.get(url).content.decode()
    assert "The chatbot answers this conversation again." in page
    assert element_text(page, "bot-pause") == "Pause the bot"


def test_resuming_on_a_channel_without_the_bot_says_why(agent_client: Client, conversation: Conversation) -> None:
    response = agent_client.post(f"/bot/conversations/{conversation.pk}/resume", follow=True)
    assert response.redirect_chain == [(f"/inbox/c/{conversation.pk}/", 302)]
    assert "The chatbot is not on for this channel." in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.status == "open"
    assert 'id="bot-panel"' not in response.content.decode()  # the bot has nothing to do with this channel


def test_an_agent_of_another_team_cannot_pause_the_bot(
        make_agent: Callable[..., Any], support_team: Any, answered: Conversation) -> None:
    outsider = login(make_agent(teams=[support_team], username="outsider"))
    assert outsider.post(f"/bot/conversations/{answered.pk}/pause").status_code == 404
    assert outsider.post(f"/bot/conversations/{answered.pk}/resume").status_code == 404
    answered.refresh_from_db()
    assert answered.status == "bot" and not BotConversation.objects.get(conversation=answered).paused


def test_pausing_needs_a_post(agent_client: Client, answered: Conversation) -> None:
    assert agent_client.get(f"/bot/conversations/{answered.pk}/pause").status_code == 405
    assert not BotConversation.objects.get(conversation=answered).paused


# ---------------------------------------------------------------- the overview and the nav link


def _row(page: str, channel_id: int) -> list[str]:
    match = re.search(rf'<tr data-channel="{channel_id}">(.*?)</tr>', page, re.S)
    assert match, f"no row for channel {channel_id}"
    return [text_of(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", match.group(1), re.S)]


def test_the_overview_shows_a_supervisor_the_bots_numbers_per_channel(
        supervisor: Any, answered: Conversation, website: Any, team: Any, visitor_says: Callable[..., Any],
        run_jobs: Callable[[], int]) -> None:
    from ruamchat.connectors.actions import create_channel

    shop_front = create_channel(actor=None, kind="website", name="หน้าร้านสาขาสอง", default_team=team)
    visitor_says("ใช่ค่ะ ขอบคุณค่ะ")  # the answer helped: the bot resolves the conversation
    run_jobs()
    answered.refresh_from_db()
    assert answered.status == "resolved"

    response = login(supervisor).get("/bot/")
    assert response.status_code == 200
    page = response.content.decode()
    # channel, bot, conversations, resolved by the bot, handed to a person, "did this help?" yes, reasons
    assert _row(page, website.pk) == [
        "เว็บไซต์ Website chat", "On", "1", "1 (100%)", "0 (0%)", "100% (1/1)", "–"]
    assert _row(page, shop_front.pk)[1:6] == ["Off", "0", "0", "0", "–"]
    assert "Chatbot settings" not in page  # the settings are an administrator's


def test_the_overview_is_refused_to_a_plain_agent(agent_client: Client) -> None:
    assert agent_client.get("/bot/").status_code == 403


def test_the_chatbot_link_is_in_the_nav_for_supervisors_only(agent_client: Client, supervisor: Any) -> None:
    nav = re.compile(r'<a href="/bot/"[^>]*>Chatbot</a>')
    assert nav.search(login(supervisor).get("/inbox/").content.decode())
    assert not nav.search(agent_client.get("/inbox/").content.decode())
    assert 'href="/bot/"' not in agent_client.get("/inbox/").content.decode()


# ---------------------------------------------------------------- the queue filter


def test_with_the_bot_lists_what_the_bot_answers_and_open_lists_what_it_handed_off(
        agent_client: Client, answered: Conversation, team: Any, visitor_says: Callable[..., Any],
        run_jobs: Callable[[], int]) -> None:
    handed = visitor_says("ขอคุยกับพนักงานค่ะ", visitor="visitor-token-bbbbbbbbbbbbbbbbbbbbbb").conversation
    run_jobs()
    handed.refresh_from_db()
    assert handed.status == "open"

    with_bot = agent_client.get("/inbox/", {"queue": f"team:{team.pk}", "status": "bot"}).content.decode()
    assert _queue_ids(with_bot) == {answered.pk}
    assert '<option value="bot" selected>With the bot</option>' in with_bot
    default = agent_client.get("/inbox/", {"queue": f"team:{team.pk}"}).content.decode()
    assert _queue_ids(default) == {handed.pk}  # "Open": the conversation with the bot is not in the queue
    assert '<option value="open" selected>Open</option>' in default


# ---------------------------------------------------------------- Administration → Chatbot settings


def _settings_form(channel: Any, **values: Any) -> dict[str, Any]:
    form = {"channel": channel.pk, "enabled": "on", "threshold": "0.2", "max_messages": "6", "quiet_minutes": "60",
            "greeting_th": "", "after_hours_details_th": "", "greeting_en": "", "after_hours_details_en": "",
            "after_hours": "on"}
    form.update(values)
    return form


def test_an_admin_saves_the_chatbot_settings_through_the_action_and_an_impossible_threshold_is_refused(
        client: Client, admin_user: Any, website: Any) -> None:
    client.force_login(admin_user)

    add = client.get(f"/django-admin/bot/botsettings/add/?channel={website.pk}")
    assert add.status_code == 200 and "Chatbot settings" in add.content.decode()
    response = client.post("/django-admin/bot/botsettings/add/", _settings_form(
        website, threshold="0.5", greeting_th="  สวัสดีค่ะ ชวนช้อปยินดีต้อนรับ  "))
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = BotSettings.objects.get(channel=website)
    # trimmed: saved by actions.save_settings, not by the admin's plain model save
    assert stored.enabled and stored.threshold == 0.5 and stored.greeting_th == "สวัสดีค่ะ ชวนช้อปยินดีต้อนรับ"

    change = f"/django-admin/bot/botsettings/{stored.pk}/change/"
    refused = client.post(change, _settings_form(website, threshold="2"))
    assert refused.status_code == 200
    assert "Ensure this value is less than or equal to 1.0." in refused.content.decode()
    stored.refresh_from_db()
    assert stored.threshold == 0.5  # nothing saved

    assert client.post(change, _settings_form(website, threshold="0.35", enabled="")).status_code == 302
    stored.refresh_from_db()
    assert stored.threshold == 0.35 and not stored.enabled
    assert BotSettings.objects.count() == 1
