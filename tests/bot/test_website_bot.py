"""The chatbot on the website chat, through the visitor's real path (receive_visitor_message, the jobs the
worker runs): answers, choices, hand-offs, yes/no, agents stepping in, pausing, limits, business hours."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from ruamchat.bot import actions, selectors
from ruamchat.bot.models import BotAnswer, BotConversation
from ruamchat.inbox.models import Conversation, Event, Message
from ruamchat.sla.models import Calendar, OpeningPeriod, SpecialDay

pytestmark = pytest.mark.django_db(transaction=True)

INSTALMENTS = "ผ่อน 0% นานสูงสุด 10 เดือน"


@pytest.fixture
def articles(make_article: Callable[..., Any]) -> dict[str, Any]:
    return {
        "instalments": make_article(
            title=INSTALMENTS, keywords="ผ่อน แบ่งจ่าย ดอกเบี้ย",
            summary="ผ่อนชำระ 0% ด้วยบัตรเครดิตที่ร่วมรายการ นานสูงสุด 10 เดือน",
            body="ผ่อนชำระ 0% นานสูงสุด 10 เดือน ด้วยบัตรเครดิตกสิกร กรุงเทพ กรุงศรี เมื่อซื้อครบ 3,000 บาท"),
        "shipping": make_article(
            title="ระยะเวลาและค่าจัดส่ง", keywords="ค่าส่ง ส่งกี่วัน จัดส่ง",
            summary="กรุงเทพฯ 1–2 วัน ต่างจังหวัด 2–4 วัน ส่งฟรีเมื่อซื้อครบ 990 บาท",
            body="จัดส่งในกรุงเทพฯ 1–2 วันทำการ ต่างจังหวัด 2–4 วันทำการ ค่าส่ง 50 บาท ส่งฟรีเมื่อซื้อครบ 990 บาท"),
        "instalments_en": make_article(
            title="0% instalments for up to 10 months", language="en", keywords="instalment installment",
            summary="Pay in 0% instalments for up to 10 months with participating credit cards.",
            body="Pay in 0% instalments for up to 10 months with participating credit cards on orders over "
                 "3,000 baht."),
    }


@pytest.fixture
def website_bot(website: Any, bot_on: Callable[..., Any]) -> Callable[..., Any]:
    """``website_bot(**fields)``: the chatbot on for the website chat."""
    return lambda **fields: bot_on(website, **fields)


def _bot_messages(conversation: Conversation) -> list[Message]:
    return list(conversation.messages.filter(sender_type=Message.Sender.BOT).order_by("id"))


def _state(conversation: Conversation) -> BotConversation:
    return BotConversation.objects.get(conversation=conversation)


def test_a_question_the_knowledge_base_answers_gets_the_article_and_did_it_help_buttons(
        website_bot: Callable[..., Any], articles: dict[str, Any], visitor_says: Callable[..., Any],
        run_jobs: Callable[[], int]) -> None:
    website_bot()
    conversation = visitor_says("ผ่อน 0% ได้กี่เดือนคะ").conversation
    assert Conversation.objects.get(pk=conversation.pk).status == "bot"  # never in the queue, not even briefly
    run_jobs()
    conversation.refresh_from_db()
    [answer] = _bot_messages(conversation)
    assert answer.text.startswith("บทความนี้")  # Thai, as the customer wrote
    assert answer.metadata["cards"][0]["title"] == INSTALMENTS
    from ruamchat.kb.selectors import article_url

    assert answer.metadata["cards"][0]["url"] == article_url(articles["instalments"])
    assert [q["data"] for q in answer.metadata["quick_replies"]] == ["bot:yes", "bot:no", "bot:human"]
    assert answer.status == Message.Status.SENT  # delivered to the visitor's widget
    assert conversation.status == "bot" and conversation.assignee_id is None
    assert conversation.first_reply_at is None  # a bot reply is never a human first response
    assert conversation.first_response_due_at is None  # no SLA clock while the bot has it
    assert _state(conversation).awaiting == "feedback"


def test_english_questions_are_answered_from_english_articles(
        website_bot: Callable[..., Any], articles: dict[str, Any], visitor_says: Callable[..., Any],
        run_jobs: Callable[[], int]) -> None:
    website_bot()
    conversation = visitor_says("Can I pay in instalments?").conversation
    run_jobs()
    [answer] = _bot_messages(conversation)
    assert answer.metadata["cards"][0]["title"] == "0% instalments for up to 10 months"
    assert answer.text == "This article should answer your question. Did it help?"


def test_no_hands_the_conversation_to_the_team_with_what_the_bot_offered(
        website_bot: Callable[..., Any], articles: dict[str, Any], visitor_says: Callable[..., Any],
        run_jobs: Callable[[], int], team: Any) -> None:
    website_bot()
    conversation = visitor_says("ผ่อน 0% ได้กี่เดือนคะ").conversation
    run_jobs()
    visitor_says("ไม่ใช่ค่ะ")
    run_jobs()
    conversation.refresh_from_db()
    assert conversation.status == "open" and conversation.team == team
    assert conversation.handover["kind"] == "bot" and conversation.handover["reason"] == "declined"
    assert conversation.handover["articles"] == [INSTALMENTS]
    assert _state(conversation).reason == "declined"
    assert BotAnswer.objects.get(conversation=conversation).helped is False
    handoff = _bot_messages(conversation)[-1]
    assert handoff.metadata["bot"] == "handoff" and team.name in handoff.text
    event = conversation.events.get(kind=Event.Kind.BOT_HANDOFF)
    assert event.data["reason"] == "declined" and event.data["articles"][0]["title"] == INSTALMENTS
    assert conversation.first_reply_at is None


def test_the_no_button_hands_off_too(website_bot: Callable[..., Any], articles: dict[str, Any], website: Any,
                                     visitor_says: Callable[..., Any], run_jobs: Callable[[], int]) -> None:
    from ruamchat.connectors.website.actions import receive_visitor_message

    website_bot()
    conversation = visitor_says("ผ่อน 0% ได้กี่เดือนคะ").conversation
    run_jobs()
    receive_visitor_message(channel=website, visitor_token="visitor-token-aaaaaaaaaaaaaaaa",
                            client_id="client-button-no", text="ไม่", postback="bot:no")
    run_jobs()
    conversation.refresh_from_db()
    assert conversation.status == "open" and _state(conversation).reason == "declined"


def test_yes_resolves_the_conversation_and_counts_as_deflected(
        website_bot: Callable[..., Any], articles: dict[str, Any], website: Any, visitor_says: Callable[..., Any],
        run_jobs: Callable[[], int]) -> None:
    website_bot()
    conversation = visitor_says("ค่าส่งต่างจังหวัดกี่บาท ส่งกี่วันคะ").conversation
    run_jobs()
    visitor_says("ได้แล้วค่ะ ขอบคุณค่ะ")
    run_jobs()
    conversation.refresh_from_db()
    assert conversation.status == "resolved"
    assert _state(conversation).outcome == "confirmed"
    assert _bot_messages(conversation)[-1].metadata["bot"] == "resolved"
    now = timezone.now()
    numbers = selectors.metrics(since=now - timedelta(days=1), until=now + timedelta(minutes=1))
    assert (numbers.conversations, numbers.deflected, numbers.handed_off) == (1, 1, 0)
    assert (numbers.feedback_yes, numbers.feedback_no, numbers.yes_rate) == (1, 0, 1.0)


@pytest.mark.parametrize(("text", "reason"), [
    ("ขอคุยกับพนักงานหน่อยค่ะ", "person"),
    ("talk to a human please", "person"),
    ("ร้านรับสมัครพนักงานขายไหมคะ อยากทำงานพาร์ทไทม์", "low_confidence"),
    ("ทีวีที่ซื้อไปมีควันออกมาจากด้านหลัง กลิ่นไหม้", "urgent"),
    ("ห่วยแตก ผ่อนก็ไม่ได้ รอมาสามวันแล้ว!!!", "angry"),
])
def test_the_bot_hands_off_at_once_when_it_should(
        text: str, reason: str, website_bot: Callable[..., Any], articles: dict[str, Any],
        visitor_says: Callable[..., Any], run_jobs: Callable[[], int]) -> None:
    website_bot()
    conversation = visitor_says(text).conversation
    run_jobs()
    conversation.refresh_from_db()
    assert conversation.status == "open"
    assert _state(conversation).reason == reason
    assert [m.metadata["bot"] for m in _bot_messages(conversation)] == ["handoff"]  # no article offered
    assert not BotAnswer.objects.filter(conversation=conversation).exists()


def test_close_candidates_are_offered_as_choices_and_a_number_picks_one(
        website_bot: Callable[..., Any], articles: dict[str, Any], visitor_says: Callable[..., Any],
        run_jobs: Callable[[], int], make_article: Callable[..., Any]) -> None:
    make_article(title="ผ่อนผ่านบัตรกรุงศรี", keywords="ผ่อน บัตร", body="ผ่อนบัตรกรุงศรี 0% 10 เดือน")
    website_bot()
    conversation = visitor_says("ผ่อนบัตร").conversation
    run_jobs()
    [offer] = _bot_messages(conversation)
    assert offer.metadata["bot"] == "choices"
    titles = [card["title"] for card in offer.metadata["cards"]]
    assert 2 <= len(titles) <= 3
    assert offer.metadata["quick_replies"][-1]["data"] == "bot:none"
    visitor_says("2")
    run_jobs()
    answer = _bot_messages(conversation)[-1]
    assert answer.metadata["bot"] == "answer" and answer.metadata["cards"][0]["title"] == titles[1]


def test_a_greeting_is_greeted_and_the_configured_greeting_opens_the_conversation(
        website_bot: Callable[..., Any], articles: dict[str, Any], visitor_says: Callable[..., Any],
        run_jobs: Callable[[], int]) -> None:
    website_bot(greeting_th="สวัสดีค่ะ ชวนช้อปยินดีต้อนรับ 😊", greeting_en="Welcome to ChuanShop!")
    conversation = visitor_says("สวัสดีค่ะ").conversation
    run_jobs()
    visitor_says("ผ่อน 0% ได้ไหมคะ")
    run_jobs()
    greeting, answer = _bot_messages(conversation)
    assert greeting.text.startswith("สวัสดีค่ะ ชวนช้อปยินดีต้อนรับ")
    assert not answer.text.startswith("สวัสดีค่ะ ชวนช้อป")  # greeted once
    assert answer.metadata["cards"][0]["title"] == INSTALMENTS


def test_an_agent_replying_stops_the_bot(website_bot: Callable[..., Any], articles: dict[str, Any], agent: Any,
                                         visitor_says: Callable[..., Any], run_jobs: Callable[[], int]) -> None:
    from ruamchat.inbox.actions import send_reply

    website_bot()
    conversation = visitor_says("ผ่อน 0% ได้กี่เดือนคะ").conversation
    run_jobs()
    send_reply(conversation=conversation, actor=agent, text="สวัสดีค่ะ แอดมินมาช่วยดูให้นะคะ")
    visitor_says("ผ่อนบัตรกรุงศรีได้ไหมคะ")
    run_jobs()
    conversation.refresh_from_db()
    assert conversation.status == "open" and conversation.assignee == agent
    assert conversation.first_reply_at is not None
    assert _state(conversation).reason == "agent"
    assert len(_bot_messages(conversation)) == 1  # only the first answer: nothing after the agent


def test_pause_and_resume(website_bot: Callable[..., Any], articles: dict[str, Any], agent: Any,
                          visitor_says: Callable[..., Any], run_jobs: Callable[[], int]) -> None:
    website_bot()
    conversation = visitor_says("ผ่อน 0% ได้กี่เดือนคะ").conversation
    run_jobs()
    actions.pause(conversation=conversation, actor=agent)
    conversation.refresh_from_db()
    assert conversation.status == "open" and _state(conversation).paused
    visitor_says("ค่าส่งเท่าไหร่คะ")
    run_jobs()
    assert len(_bot_messages(conversation)) == 1  # paused: the bot stays quiet

    actions.resume(conversation=conversation, actor=agent)
    conversation.refresh_from_db()
    assert conversation.status == "bot" and conversation.assignee_id is None
    visitor_says("ค่าส่งต่างจังหวัดเท่าไหร่คะ")
    run_jobs()
    assert _bot_messages(conversation)[-1].metadata["cards"][0]["title"] == "ระยะเวลาและค่าจัดส่ง"


def test_resuming_needs_the_bot_on_for_the_channel_and_a_conversation_not_closed(
        website: Any, agent: Any, visitor_says: Callable[..., Any], website_bot: Callable[..., Any]) -> None:
    from django.core.exceptions import ValidationError

    from ruamchat.inbox.actions import change_status

    conversation = visitor_says("สวัสดีค่ะ").conversation
    with translation.override("en"), pytest.raises(ValidationError, match="not on for this channel"):
        actions.resume(conversation=conversation, actor=agent)
    website_bot()
    change_status(conversation=conversation, actor=agent, status="closed")
    with translation.override("en"), pytest.raises(ValidationError, match="closed conversation"):
        actions.resume(conversation=conversation, actor=agent)
    assert Conversation.objects.get(pk=conversation.pk).status == "closed"


def test_at_most_n_automatic_messages(website_bot: Callable[..., Any], articles: dict[str, Any],
                                      visitor_says: Callable[..., Any], run_jobs: Callable[[], int]) -> None:
    website_bot(max_messages=2)
    conversation = visitor_says("สวัสดีค่ะ").conversation
    run_jobs()
    visitor_says("ผ่อน 0% ได้กี่เดือนคะ")  # an answer now would be the 2nd message: the limit hands off instead
    run_jobs()
    visitor_says("ค่าส่งเท่าไหร่")
    run_jobs()
    conversation.refresh_from_db()
    assert [m.metadata["bot"] for m in _bot_messages(conversation)] == ["greeting", "handoff"]
    assert _state(conversation).reason == "limit" and conversation.status == "open"


def test_a_customer_repeating_the_same_message_is_handed_off(
        website_bot: Callable[..., Any], articles: dict[str, Any], visitor_says: Callable[..., Any],
        run_jobs: Callable[[], int]) -> None:
    website_bot(max_messages=20)
    conversation = visitor_says("ผ่อน 0% ได้กี่เดือนคะ").conversation
    for _ in range(2):
        run_jobs()
        visitor_says("ผ่อน 0% ได้กี่เดือนคะ")
    run_jobs()
    assert _state(conversation).reason == "loop"
    assert len(_bot_messages(conversation)) == 3  # two answers, then the hand-off: never a loop


def test_the_bot_answers_once_for_messages_sent_together(
        website_bot: Callable[..., Any], articles: dict[str, Any], visitor_says: Callable[..., Any],
        run_jobs: Callable[[], int]) -> None:
    website_bot()
    conversation = visitor_says("สอบถามค่ะ").conversation
    visitor_says("ผ่อน 0% ได้กี่เดือน")
    run_jobs()
    run_jobs()
    [answer] = _bot_messages(conversation)
    assert answer.metadata["cards"][0]["title"] == INSTALMENTS


@pytest.fixture
def closed_today(team: Any) -> Calendar:
    """Open every day 09:00–18:00, but closed all of today: the team is back tomorrow at 09:00."""
    calendar = Calendar.objects.create(name="ร้าน", time_zone="Asia/Bangkok", holiday_country="", is_default=True)
    for day in range(7):
        OpeningPeriod.objects.create(calendar=calendar, weekday=day, opens=time(9), closes=time(18))
    today = timezone.localtime(timezone.now()).date()
    SpecialDay.objects.create(calendar=calendar, date=today, closed=True, note="ปิดปรับปรุงระบบ")
    calendar.teams.add(team)
    return calendar


def test_outside_business_hours_the_hand_off_says_when_the_team_is_back_and_what_to_send(
        website_bot: Callable[..., Any], articles: dict[str, Any], closed_today: Calendar,
        visitor_says: Callable[..., Any], run_jobs: Callable[[], int]) -> None:
    website_bot(after_hours_details_en="Please send your order number and phone number.")
    conversation = visitor_says("I want to talk to a human").conversation
    run_jobs()
    [handoff] = _bot_messages(conversation)
    assert "Our team is away right now" in handoff.text
    assert "tomorrow at 09:00" in handoff.text
    assert "Please send your order number and phone number." in handoff.text


def test_with_the_bot_off_a_conversation_started_after_hours_hears_when_the_team_is_back(
        website_bot: Callable[..., Any], closed_today: Calendar, visitor_says: Callable[..., Any],
        run_jobs: Callable[[], int]) -> None:
    website_bot(enabled=False, after_hours=True)
    conversation = visitor_says("สวัสดีค่ะ สั่งของไปแล้วยังไม่ได้รับ").conversation
    run_jobs()
    conversation.refresh_from_db()
    assert conversation.status == "open"  # straight to the team: the bot is off
    [notice] = _bot_messages(conversation)
    assert notice.metadata["bot"] == "after_hours"
    assert "พรุ่งนี้" in notice.text and "09:00" in notice.text
    assert "เลขคำสั่งซื้อ" in notice.text  # the default question for the details the team needs
    visitor_says("ORD-1234 ค่ะ")
    run_jobs()
    assert len(_bot_messages(conversation)) == 1  # once per conversation


def test_a_customer_who_goes_quiet_after_an_answer_is_resolved_by_the_sweep(
        website_bot: Callable[..., Any], articles: dict[str, Any], visitor_says: Callable[..., Any],
        run_jobs: Callable[[], int]) -> None:
    website_bot(quiet_minutes=30)
    conversation = visitor_says("ผ่อน 0% ได้กี่เดือนคะ").conversation
    run_jobs()
    assert actions.sweep_quiet(now=timezone.now() + timedelta(minutes=29)) == 0
    assert actions.sweep_quiet(now=timezone.now() + timedelta(minutes=31)) == 1
    conversation.refresh_from_db()
    assert conversation.status == "resolved" and _state(conversation).outcome == "quiet"


def test_a_customer_back_in_a_conversation_only_the_bot_had_is_answered_by_the_bot_again(
        website_bot: Callable[..., Any], articles: dict[str, Any], visitor_says: Callable[..., Any],
        run_jobs: Callable[[], int]) -> None:
    website_bot()
    conversation = visitor_says("ผ่อน 0% ได้กี่เดือนคะ").conversation
    run_jobs()
    visitor_says("ใช่ค่ะ")
    run_jobs()
    visitor_says("แล้วค่าส่งต่างจังหวัดเท่าไหร่คะ")
    run_jobs()
    conversation.refresh_from_db()
    assert conversation.status == "bot" and conversation.reopened_count == 1
    assert _bot_messages(conversation)[-1].metadata["cards"][0]["title"] == "ระยะเวลาและค่าจัดส่ง"


def test_hand_off_reasons_and_rates_are_counted_once_per_conversation(
        website_bot: Callable[..., Any], articles: dict[str, Any], visitor_says: Callable[..., Any],
        run_jobs: Callable[[], int]) -> None:
    website_bot()
    visitor_says("ขอคุยกับพนักงานค่ะ", visitor="visitor-token-bbbbbbbbbbbbbbbbbbbbbb")
    visitor_says("ผ่อน 0% ได้กี่เดือนคะ", visitor="visitor-token-cccccccccccccccccccccc")
    run_jobs()
    visitor_says("ไม่ใช่", visitor="visitor-token-cccccccccccccccccccccc")
    visitor_says("ค่าส่งต่างจังหวัดเท่าไหร่คะ", visitor="visitor-token-dddddddddddddddddddddd")
    run_jobs()
    visitor_says("ใช่ค่ะ", visitor="visitor-token-dddddddddddddddddddddd")
    run_jobs()
    now = timezone.now()
    numbers = selectors.metrics(since=now - timedelta(hours=1), until=now + timedelta(minutes=1))
    assert (numbers.conversations, numbers.deflected, numbers.handed_off, numbers.active) == (3, 1, 2, 0)
    assert numbers.reasons == {"person": 1, "declined": 1}
    assert (numbers.feedback_yes, numbers.feedback_no) == (1, 1)
    assert numbers.deflection_rate == pytest.approx(1 / 3)
