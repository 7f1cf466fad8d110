"""The chatbot on LINE, driven through the channel's real, signed webhook and the fake LINE API: what reaches
the customer's chat (reply API with the message's own reply token, text + Flex card + quick replies), and
what the team sees when the bot hands over or resolves."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from ruamchat.bot.models import BotAnswer, BotConversation
from ruamchat.inbox.models import Conversation, Message
from ruamchat.kb.selectors import article_url
from tests.connectors.line.conftest import (  # noqa: F401  (the LINE channel's fixtures, here too)
    CUSTOMER,
    GROUP,
    ROOM,
    deliver,
    fresh,
    line_channel,
)
from tests.fakes.line_api import FakeLineApi

pytestmark = pytest.mark.django_db(transaction=True)  # the knowledge-base search needs committed rows

QUESTION = "สั่งของไปแล้ว ขอเลขพัสดุหน่อยค่ะ จะติดตามพัสดุยังไง"
REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"

_ids = itertools.count(1)


def _event(name: str, **changes: Any) -> tuple[bytes, str]:
    """A fixture body happening now, with unique ids and a reply token of its own; returns (body, token)."""
    n = next(_ids)
    token = f"{n:04d}" + "ab" * 14
    changes = {"webhookEventId": f"01JBOTTEST{n:016d}", "replyToken": token, **changes}
    if name.startswith("message"):
        changes.setdefault("message.id", f"77{n:016d}")
    return fresh(name, **changes), token


def th(text: str) -> str:
    with translation.override("th"):
        return gettext(text)


@pytest.fixture
def customer_says(deliver: Callable[..., Any], line_api: FakeLineApi,  # noqa: F811
                  run_jobs: Callable[[], int]) -> Callable[..., str]:
    """The customer writes ``text`` in the one-to-one chat (LINE issues a live reply token); jobs run.
    Returns the reply token of that message."""

    def say(text: str) -> str:
        body, token = _event("message_text", **{"message.text": text, "message.emojis": [],
                                                "message.mention": {"mentionees": []}})
        line_api.issue_reply_token(token=token, to=CUSTOMER)
        assert deliver(body).status_code == 200
        run_jobs()
        return token

    return say


@pytest.fixture
def customer_taps(deliver: Callable[..., Any], line_api: FakeLineApi,  # noqa: F811
                  run_jobs: Callable[[], int]) -> Callable[..., str]:
    """The customer presses a button whose postback data is ``data``; returns that event's reply token."""

    def tap(data: str) -> str:
        body, token = _event("postback", **{"postback.data": data})
        line_api.issue_reply_token(token=token, to=CUSTOMER)
        assert deliver(body).status_code == 200
        run_jobs()
        return token

    return tap


@pytest.fixture
def bot_line(line_channel: Any, bot_on: Callable[..., Any], delivery_article: Any) -> Any:  # noqa: F811
    bot_on(line_channel)
    return line_channel


def bot_messages(**filters: Any) -> list[Message]:
    return list(Message.objects.filter(direction="out", sender_type="bot", **filters).order_by("id"))


def test_a_question_is_answered_by_reply_with_the_article_as_a_flex_card_and_quick_replies(
    bot_line: Any, customer_says: Callable[..., str], line_api: FakeLineApi, delivery_article: Any,
    team: Any, client: Client,
) -> None:
    token = customer_says(QUESTION)

    conversation = Conversation.objects.get(identity__external_id=CUSTOMER)
    assert conversation.status == "bot" and conversation.assignee is None
    (answer,) = bot_messages()
    assert answer.metadata["bot"] == "answer" and answer.status == "sent"
    # it reached the chat once, free of charge: the reply API with the token of the question itself
    (delivery,) = line_api.delivered
    assert delivery.via == "reply" and delivery.to == CUSTOMER
    (reply_call,) = line_api.calls_to(REPLY)
    assert reply_call.json["replyToken"] == token and reply_call.status == 200
    assert not line_api.calls_to(PUSH)
    assert answer.provider_message_id == delivery.sent_messages[0]["id"]

    text, flex = delivery.messages
    assert text == {"type": "text", "text": answer.text}
    assert "quickReply" not in text  # quick replies ride on the last object only
    assert flex["type"] == "flex" and flex["altText"] == delivery_article.title
    bubble = flex["contents"]
    assert bubble["type"] == "bubble"
    assert bubble["body"]["contents"][0]["text"] == delivery_article.title
    (button,) = bubble["footer"]["contents"]
    url = article_url(delivery_article)
    assert button["action"]["type"] == "uri" and button["action"]["uri"] == url
    assert button["action"]["label"] == th("Read the article")
    # the link opens the article in the public help centre
    assert url.startswith("https://ruamchat.example/")
    page = client.get(urlsplit(url).path)
    assert page.status_code == 200 and delivery_article.title in page.content.decode()

    items = flex["quickReply"]["items"]
    shown = [(i["action"]["type"], i["action"]["label"], i["action"]["data"]) for i in items]
    assert shown == [("postback", th("Yes, thanks"), "bot:yes"), ("postback", th("No"), "bot:no"),
                     ("postback", th("Talk to a person"), "bot:human")]
    # the labels sent are the ones stored on the message (the customer's tap comes back with them)
    assert [i["action"]["label"] for i in items] == [q["label"] for q in answer.metadata["quick_replies"]]
    assert [i["action"]["displayText"] for i in items] == [i["action"]["label"] for i in items]

    state = BotConversation.objects.get(conversation=conversation)
    assert state.state == "active" and state.awaiting == "feedback" and state.messages_sent == 1
    assert list(BotAnswer.objects.filter(conversation=conversation).values_list("article_id", "url")) == [
        (delivery_article.pk, url)]


def test_no_on_the_answer_hands_the_conversation_to_the_team_and_says_so_by_reply(
    bot_line: Any, customer_says: Callable[..., str], customer_taps: Callable[..., str], line_api: FakeLineApi,
    team: Any,
) -> None:
    customer_says(QUESTION)
    token = customer_taps("bot:no")

    conversation = Conversation.objects.get(identity__external_id=CUSTOMER)
    assert conversation.status == "open" and conversation.team == team
    assert conversation.handover["reason"] == "declined"
    state = BotConversation.objects.get(conversation=conversation)
    assert (state.state, state.reason) == ("handed_off", "declined")
    assert BotAnswer.objects.get(conversation=conversation).helped is False
    # the tap is in the conversation as the customer saw it: the button's label
    tap = conversation.messages.filter(direction="in").order_by("-id").first()
    assert tap.text == th("No") and tap.metadata["postback"]["data"] == "bot:no"

    handoff = bot_messages(metadata__bot="handoff")
    assert len(handoff) == 1 and handoff[0].status == "sent"
    assert team.name in handoff[0].text  # who will answer
    assert [d.via for d in line_api.delivered] == ["reply", "reply"]
    assert line_api.calls_to(REPLY)[-1].json["replyToken"] == token
    assert line_api.delivered[-1].texts == [handoff[0].text]
    assert "quickReply" not in line_api.delivered[-1].messages[-1]


def test_yes_on_the_answer_resolves_the_conversation(
    bot_line: Any, customer_says: Callable[..., str], customer_taps: Callable[..., str], line_api: FakeLineApi,
) -> None:
    customer_says(QUESTION)
    customer_taps("bot:yes")

    conversation = Conversation.objects.get(identity__external_id=CUSTOMER)
    assert conversation.status == "resolved" and conversation.resolved_at is not None
    assert conversation.first_reply_at is None  # no person was needed
    state = BotConversation.objects.get(conversation=conversation)
    assert (state.state, state.outcome) == ("resolved", "confirmed")
    assert BotAnswer.objects.get(conversation=conversation).helped is True
    (thanks,) = bot_messages(metadata__bot="resolved")
    assert line_api.delivered[-1].texts == [thanks.text] and thanks.status == "sent"
    assert len(line_api.delivered) == 2


def test_asking_for_a_person_hands_over_at_once(
    bot_line: Any, customer_says: Callable[..., str], line_api: FakeLineApi, team: Any,
) -> None:
    customer_says("ขอคุยกับพนักงานค่ะ")

    conversation = Conversation.objects.get(identity__external_id=CUSTOMER)
    assert conversation.status == "open" and conversation.team == team
    state = BotConversation.objects.get(conversation=conversation)
    assert (state.state, state.reason) == ("handed_off", "person")
    (handoff,) = bot_messages()
    assert handoff.metadata["bot"] == "handoff" and team.name in handoff.text
    (delivery,) = line_api.delivered
    assert delivery.via == "reply" and delivery.texts == [handoff.text]


@pytest.mark.parametrize(("fixture", "chat"), [("message_group_text", GROUP), ("message_room_text", ROOM)])
def test_a_group_chat_is_never_answered_by_the_bot(
    fixture: str, chat: str, bot_line: Any, deliver: Callable[..., Any], line_api: FakeLineApi,  # noqa: F811
    run_jobs: Callable[[], int], team: Any,
) -> None:
    body, token = _event(fixture, **{"message.text": QUESTION})  # a question the bot could answer
    line_api.issue_reply_token(token=token, to=chat)
    assert deliver(body).status_code == 200
    run_jobs()
    run_jobs()

    conversation = Conversation.objects.get(identity__external_id=chat)
    assert conversation.messages.get().text == QUESTION  # the message did arrive
    assert conversation.status == "open" and conversation.team == team
    assert not BotConversation.objects.filter(conversation=conversation).exists()
    assert not Message.objects.filter(direction="out").exists()
    assert line_api.delivered == []
    assert not line_api.calls_to(REPLY) and not line_api.calls_to(PUSH)


def test_the_bot_answers_each_customer_message_once_and_never_its_own(
    bot_line: Any, customer_says: Callable[..., str], line_api: FakeLineApi, run_jobs: Callable[[], int],
) -> None:
    customer_says(QUESTION)
    run_jobs()
    run_jobs()
    assert len(bot_messages()) == 1 and len(line_api.delivered) == 1

    customer_says("ลืมรหัสผ่านค่ะ เข้าสู่ระบบไม่ได้")
    run_jobs()
    run_jobs()

    conversation = Conversation.objects.get(identity__external_id=CUSTOMER)
    sent = bot_messages()
    assert len(sent) == 2 == conversation.messages.filter(direction="in").count()
    assert len(line_api.delivered) == 2
    assert [d.via for d in line_api.delivered] == ["reply", "reply"]  # each with its own question's token
    assert BotConversation.objects.get(conversation=conversation).messages_sent == 2
    assert "รหัสผ่าน" in json.dumps(line_api.delivered[1].messages, ensure_ascii=False)


def test_a_stale_reply_token_means_the_answer_is_pushed(
    bot_line: Any, deliver: Callable[..., Any], line_api: FakeLineApi,  # noqa: F811
    run_jobs: Callable[[], int],
) -> None:
    body = json.loads(fresh("message_text", **{"message.text": QUESTION, "message.emojis": [],
                                               "message.mention": {"mentionees": []}}))
    body["events"][0]["timestamp"] -= 5 * 60 * 1000  # LINE delivered it late: its reply token has lapsed
    assert deliver(json.dumps(body, ensure_ascii=False).encode()).status_code == 200
    run_jobs()

    (answer,) = bot_messages()
    assert answer.status == "sent"
    assert not line_api.calls_to(REPLY)
    (delivery,) = line_api.delivered
    assert delivery.via == "push" and delivery.to == CUSTOMER and delivery.retry_key
    assert [m["type"] for m in delivery.messages] == ["text", "flex"]
    assert "quickReply" in delivery.messages[-1]
