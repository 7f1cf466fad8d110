"""The chatbot on Messenger and Instagram, driven through the channels' real, signed webhooks and the fake Graph
API: answers go out as ordinary responses inside the 24-hour window (never under the human-agent tag), with the
article in the text and quick replies; outside the window the bot says nothing and hands over."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from ruamchat.bot.models import BotAnswer, BotConversation
from ruamchat.inbox.models import Conversation, Message
from ruamchat.jobs.models import Job
from ruamchat.jobs.queue import run_next
from ruamchat.kb.selectors import article_url
from tests.connectors.meta import OUR_APP_ID, PAGE_INBOX_APP_ID, fixture_bytes
from tests.connectors.meta.conftest import (  # noqa: F401  (the Meta channels' fixtures, here too)
    CUSTOMER,
    IG_CUSTOMER,
    IG_ID,
    PAGE_ID,
    body,
    deliver,
    instagram,
    messenger,
    text_item,
)
from tests.fakes.graph_api import FakeGraphApi

pytestmark = pytest.mark.django_db(transaction=True)  # the knowledge-base search needs committed rows

QUESTION = "สั่งของไปแล้ว ขอเลขพัสดุหน่อยค่ะ จะติดตามพัสดุยังไง"

ACCOUNTS = {"messenger": (PAGE_ID, CUSTOMER), "instagram": (IG_ID, IG_CUSTOMER)}


def th(text: str) -> str:
    with translation.override("th"):
        return gettext(text)


def bot_messages(**filters: Any) -> list[Message]:
    return list(Message.objects.filter(direction="out", sender_type="bot", **filters).order_by("id"))


def sends(graph_api: FakeGraphApi) -> list[Any]:
    """Every Send API request ruamchat made (whatever the fake answered)."""
    return [c for c in graph_api.calls if c.method == "POST" and c.path.endswith("/messages")]


@pytest.fixture
def bot_messenger(messenger: Any, bot_on: Callable[..., Any], delivery_article: Any) -> Any:  # noqa: F811
    bot_on(messenger)
    return messenger


@pytest.fixture
def customer_says(bot_messenger: Any, deliver: Callable[..., Any],  # noqa: F811
                  run_jobs: Callable[[], int]) -> Callable[..., None]:
    """The Messenger customer writes (a message item; ``message`` adds fields such as quick_reply); jobs run."""

    def say(text: str, **message: Any) -> None:
        assert deliver(bot_messenger, body(text_item(text, **message))).status_code == 200
        run_jobs()

    return say


@pytest.mark.parametrize("kind", ["messenger", "instagram"])
def test_a_question_is_answered_as_a_response_with_the_article_and_quick_replies(
    kind: str, request: pytest.FixtureRequest, bot_on: Callable[..., Any], delivery_article: Any,
    deliver: Callable[..., Any], run_jobs: Callable[[], int], graph_api: FakeGraphApi,  # noqa: F811
) -> None:
    channel = request.getfixturevalue(kind)
    bot_on(channel)
    account, customer = ACCOUNTS[kind]
    assert deliver(channel, body(text_item(QUESTION, sender=customer, recipient=account),
                                 kind=kind)).status_code == 200
    run_jobs()

    conversation = Conversation.objects.get(identity__external_id=customer)
    assert conversation.status == "bot" and conversation.assignee is None
    (answer,) = bot_messages()
    assert answer.metadata["bot"] == "answer" and answer.status == "sent"
    (sent,) = graph_api.delivered
    assert (sent.sender_id, sent.recipient_id) == (account, customer)
    assert (sent.messaging_type, sent.tag) == ("RESPONSE", None)  # never the human-agent tag
    assert answer.provider_message_id == sent.message_id
    # Meta shows no cards: the article's title and address follow the bot's words in the text
    assert sent.text.startswith(answer.text)
    assert delivery_article.title in sent.text
    assert article_url(delivery_article) in sent.text
    assert [(q["content_type"], q["title"], q["payload"]) for q in sent.message["quick_replies"]] == [
        ("text", th("Yes, thanks"), "bot:yes"), ("text", th("No"), "bot:no"),
        ("text", th("Talk to a person"), "bot:human")]
    (call,) = sends(graph_api)
    assert "tag" not in call.json and call.json["messaging_type"] == "RESPONSE"


def test_tapping_yes_resolves_the_conversation(
    customer_says: Callable[..., None], graph_api: FakeGraphApi,
) -> None:
    customer_says(QUESTION)
    customer_says(th("Yes, thanks"), quick_reply={"payload": "bot:yes"})

    conversation = Conversation.objects.get(identity__external_id=CUSTOMER)
    assert conversation.status == "resolved" and conversation.first_reply_at is None
    state = BotConversation.objects.get(conversation=conversation)
    assert (state.state, state.outcome) == ("resolved", "confirmed")
    assert BotAnswer.objects.get(conversation=conversation).helped is True
    (thanks,) = bot_messages(metadata__bot="resolved")
    assert thanks.status == "sent"
    assert [d.text for d in graph_api.delivered][-1] == thanks.text
    assert len(graph_api.delivered) == 2
    assert {d.messaging_type for d in graph_api.delivered} == {"RESPONSE"}


def test_tapping_no_hands_over_to_the_team(
    customer_says: Callable[..., None], graph_api: FakeGraphApi, team: Any,
) -> None:
    customer_says(QUESTION)
    customer_says(th("No"), quick_reply={"payload": "bot:no"})

    conversation = Conversation.objects.get(identity__external_id=CUSTOMER)
    assert conversation.status == "open" and conversation.team == team
    state = BotConversation.objects.get(conversation=conversation)
    assert (state.state, state.reason) == ("handed_off", "declined")
    (handoff,) = bot_messages(metadata__bot="handoff")
    assert team.name in handoff.text
    assert graph_api.delivered[-1].text == handoff.text
    assert graph_api.delivered[-1].messaging_type == "RESPONSE"


def test_after_24_hours_the_bot_sends_nothing_and_hands_the_conversation_over(
    bot_messenger: Any, deliver: Callable[..., Any], run_jobs: Callable[[], int],  # noqa: F811
    graph_api: FakeGraphApi, team: Any,
) -> None:
    assert deliver(bot_messenger, body(text_item(QUESTION))).status_code == 200
    while not Message.objects.filter(direction="in").exists():  # the webhook event becomes the message …
        assert run_next("test-worker"), "the webhook event was not processed"
    conversation = Conversation.objects.get(identity__external_id=CUSTOMER)
    assert conversation.status == "bot"
    assert Job.objects.filter(name="bot.respond", status=Job.Status.QUEUED).exists()
    # … and the bot only gets to it more than a day later (the worker was down): Meta's window has closed
    when = timezone.now() - timedelta(hours=25)
    Message.objects.filter(conversation=conversation).update(created_at=when)
    graph_api.last_user_message(CUSTOMER, when)
    run_jobs()

    assert sends(graph_api) == [] and graph_api.delivered == []
    assert not Message.objects.filter(direction="out").exists()  # nothing waits to be sent, nothing failed
    conversation.refresh_from_db()
    assert conversation.status == "open" and conversation.team == team
    assert conversation.handover["reason"] == "window"
    state = BotConversation.objects.get(conversation=conversation)
    assert (state.state, state.reason, state.messages_sent) == ("handed_off", "window", 0)


def test_the_echo_of_the_bots_own_message_triggers_nothing(
    customer_says: Callable[..., None], bot_messenger: Any, deliver: Callable[..., Any],  # noqa: F811
    run_jobs: Callable[[], int], graph_api: FakeGraphApi,
) -> None:
    customer_says(QUESTION)
    (answer,) = bot_messages()
    (sent,) = graph_api.delivered
    echo = {"sender": {"id": PAGE_ID}, "recipient": {"id": CUSTOMER},
            "timestamp": int(timezone.now().timestamp() * 1000),
            "message": {"mid": sent.message_id, "is_echo": True, "app_id": int(OUR_APP_ID), "text": sent.text}}
    assert deliver(bot_messenger, body(echo)).status_code == 200
    run_jobs()
    run_jobs()

    assert len(graph_api.delivered) == 1 and len(sends(graph_api)) == 1
    assert list(Message.objects.filter(direction="out")) == [answer]  # not shown twice either
    conversation = Conversation.objects.get(identity__external_id=CUSTOMER)
    assert conversation.status == "bot" and conversation.messages.filter(direction="in").count() == 1
    state = BotConversation.objects.get(conversation=conversation)
    assert (state.state, state.messages_sent, state.awaiting) == ("active", 1, "feedback")


def test_a_person_answering_in_the_pages_own_inbox_stops_the_bot(
    customer_says: Callable[..., None], bot_messenger: Any, deliver: Callable[..., Any],  # noqa: F811
    run_jobs: Callable[[], int], graph_api: FakeGraphApi, team: Any,
) -> None:
    customer_says(QUESTION)
    echo = {"sender": {"id": PAGE_ID}, "recipient": {"id": CUSTOMER},
            "timestamp": int(timezone.now().timestamp() * 1000),
            "message": {"mid": "m_page_inbox_person_1", "is_echo": True, "app_id": int(PAGE_INBOX_APP_ID),
                        "text": "แอดมินรับเรื่องแล้วค่ะ เดี๋ยวเช็กเลขพัสดุให้นะคะ"}}
    assert deliver(bot_messenger, body(echo)).status_code == 200
    run_jobs()
    customer_says("ลืมรหัสผ่านค่ะ เข้าสู่ระบบไม่ได้")

    conversation = Conversation.objects.get(identity__external_id=CUSTOMER)
    assert conversation.status == "open" and conversation.team == team
    assert BotConversation.objects.get(conversation=conversation).state == "handed_off"
    assert len(bot_messages()) == 1  # the bot did not talk over the person
    assert json.dumps([d.message for d in graph_api.delivered], ensure_ascii=False).count("bot:yes") == 1


def test_the_pages_talk_to_a_person_menu_button_hands_over_like_the_typed_words(
    bot_messenger: Any, deliver: Callable[..., Any], run_jobs: Callable[[], int],  # noqa: F811
    make_article: Callable[..., Any], graph_api: FakeGraphApi, team: Any,
) -> None:
    make_article(title="ช่องทางติดต่อเจ้าหน้าที่",
                 body="คุยกับเจ้าหน้าที่ได้ทาง LINE และ Messenger ทุกวันจันทร์ถึงเสาร์ 9.00-18.00 น.")
    # the Page's menu button "คุยกับเจ้าหน้าที่" (payload TALK_TO_AGENT): typing these words hands over
    assert deliver(bot_messenger, fixture_bytes("messenger_postback")).status_code == 200
    run_jobs()

    conversation = Conversation.objects.get(identity__external_id=CUSTOMER)
    assert conversation.messages.get(direction="in").text == "คุยกับเจ้าหน้าที่"
    assert conversation.status == "open" and conversation.team == team
    state = BotConversation.objects.get(conversation=conversation)
    assert (state.state, state.reason) == ("handed_off", "person")
    assert [m.metadata["bot"] for m in bot_messages()] == ["handoff"]
