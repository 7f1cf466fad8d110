"""The bot's answer cards and quick replies as the widget gets them, and a pressed button coming back as a postback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.exceptions import ValidationError
from django.utils import translation

from ruamchat.asgi import application
from ruamchat.connectors.website.actions import receive_visitor_message
from ruamchat.connectors.website.connector import serialize_for_visitor
from ruamchat.inbox.models import Message

VISITOR = "visitor-token-" + "e" * 30


def bot_message(conversation: Any, metadata: dict[str, Any], text: str = "ค่าจัดส่งเท่าไหร่คะ") -> Message:
    return Message.objects.create(
        conversation=conversation, channel_id=conversation.channel_id, direction=Message.Direction.OUTGOING,
        sender_type=Message.Sender.BOT, status=Message.Status.SENT, text=text, metadata=metadata,
    )


# ------------------------------------------------------------- serializing


@pytest.mark.django_db
def test_bot_answer_card_and_quick_replies_reach_the_visitor(conversation: Any) -> None:
    message = bot_message(conversation, {
        "cards": [{
            "title": "ค่าจัดส่ง", "text": "ส่งฟรีเมื่อสั่งครบ 500 บาท", "url": "https://chuanshop.example/help/shipping",
            "link_label": "อ่านต่อ", "action": {"label": "คุยกับพนักงาน", "data": "bot:handoff"},
        }],
        "quick_replies": [{"label": "ใช่", "data": "bot:helpful:yes"}, {"label": "ไม่ใช่", "text": "ยังไม่ตอบคำถามค่ะ"}],
        "kb": {"article": 7},  # the bot's own bookkeeping stays on the server
    })
    shown = serialize_for_visitor(message)
    assert shown["sender"] == "bot"
    assert shown["cards"] == [{
        "title": "ค่าจัดส่ง", "text": "ส่งฟรีเมื่อสั่งครบ 500 บาท", "url": "https://chuanshop.example/help/shipping",
        "link_label": "อ่านต่อ", "action": {"label": "คุยกับพนักงาน", "data": "bot:handoff"},
    }]
    assert shown["quick_replies"] == [
        {"label": "ใช่", "data": "bot:helpful:yes"}, {"label": "ไม่ใช่", "text": "ยังไม่ตอบคำถามค่ะ"},
    ]
    assert "kb" not in shown and "metadata" not in shown


@pytest.mark.django_db
def test_cards_are_cleaned_before_the_browser_sees_them(conversation: Any) -> None:
    message = bot_message(conversation, {
        "cards": [
            {"title": "ก" * 300, "text": "ข" * 1500, "url": "javascript:alert(document.cookie)",
             "link_label": "ค" * 60, "onclick": "steal()", "action": {"label": "ง" * 50, "data": "d" * 400}},
            {"title": "ลิงก์ข้อมูล", "url": "data:text/html,<script>alert(1)</script>"},
            {"title": "ลิงก์สัมพัทธ์", "url": "//evil.example/x"},
            {"title": "ปุ่มเสีย", "action": {"label": "กด", "data": "line\nbreak"}},
            "not a card",
            {"link_label": "ไม่มีอะไรเลย"},
        ],
        "quick_replies": [{"label": "จ" * 50, "text": "ฉ" * 400, "style": "red"}, {"data": "no-label"}, 42],
    })
    shown = serialize_for_visitor(message)
    first, data_url, relative, broken = shown["cards"]
    assert len(shown["cards"]) == 4  # the string and the empty card are dropped
    assert first == {"title": "ก" * 200, "text": "ข" * 1000, "url": "", "link_label": "ค" * 40,
                     "action": {"label": "ง" * 40, "data": "d" * 300}}
    assert data_url["url"] == "" and relative["url"] == ""
    assert "action" not in broken  # data the widget could not send back is no button at all
    assert shown["quick_replies"] == [{"label": "จ" * 40, "text": "ฉ" * 300}]


@pytest.mark.django_db
def test_incoming_and_private_messages_carry_no_cards(conversation: Any, agent: Any) -> None:
    incoming = conversation.messages.get()
    incoming.metadata = {"cards": [{"title": "ปลอม", "url": "https://evil.example"}],
                         "quick_replies": [{"label": "ปลอม", "data": "x"}]}
    incoming.save()
    note = bot_message(conversation, {"cards": [{"title": "ภายใน"}], "quick_replies": [{"label": "ภายใน"}]})
    note.is_private = True
    note.save()
    for message in (incoming, note):
        shown = serialize_for_visitor(message)
        assert "cards" not in shown and "quick_replies" not in shown


# -------------------------------------------------------- postback, action


@pytest.mark.django_db
def test_a_pressed_button_is_stored_with_its_postback(website: Any) -> None:
    pressed = receive_visitor_message(channel=website, visitor_token=VISITOR, client_id="pressed-0001",
                                      text="คุยกับพนักงาน", postback="bot:handoff")
    typed = receive_visitor_message(channel=website, visitor_token=VISITOR, client_id="typed-00001",
                                    text="bot:handoff")
    assert pressed.text == "คุยกับพนักงาน"
    assert pressed.metadata["postback"] == {"data": "bot:handoff", "label": "คุยกับพนักงาน"}
    assert "postback" not in typed.metadata  # typing the data is not pressing the button


@pytest.mark.django_db
@pytest.mark.parametrize("postback", ["x" * 301, "bot:yes\n", "bot:\x00yes", "bot:\u200byes"])
def test_a_bad_postback_is_refused(website: Any, postback: str) -> None:
    with pytest.raises(ValidationError):
        receive_visitor_message(channel=website, visitor_token=VISITOR, client_id="bad-postback-1",
                                text="ใช่", postback=postback)
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_a_postback_still_needs_text(website: Any) -> None:
    with translation.override("en"), pytest.raises(ValidationError, match="Write a message first"):
        receive_visitor_message(channel=website, visitor_token=VISITOR, client_id="no-text-0001",
                                text="  ", postback="bot:yes")


# --------------------------------------------------------------- websocket


@pytest.fixture
async def visitor_socket(website: Any) -> AsyncIterator[WebsocketCommunicator]:
    communicator = WebsocketCommunicator(application, f"/ws/widget/{website.key}/?visitor={VISITOR}&lang=en")
    connected, _ = await communicator.connect()
    assert connected
    yield communicator
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_socket_stores_the_postback_of_a_pressed_button(visitor_socket: WebsocketCommunicator) -> None:
    await visitor_socket.send_json_to(
        {"type": "message", "client_id": "quick-reply-01", "text": "ใช่", "postback": "bot:helpful:yes"}
    )
    ack = await visitor_socket.receive_json_from(timeout=5)
    assert ack["type"] == "ack"
    stored = await sync_to_async(Message.objects.get)(pk=ack["id"])
    assert stored.text == "ใช่"
    assert stored.metadata["postback"] == {"data": "bot:helpful:yes", "label": "ใช่"}


@pytest.mark.django_db(transaction=True)
async def test_socket_refuses_a_bad_postback_and_stays_usable(visitor_socket: WebsocketCommunicator) -> None:
    refused = []
    for n, postback in enumerate(["x" * 301, "bot:\x07yes", 12345, ["bot:yes"]]):
        client_id = f"bad-postback-{n:02d}"
        await visitor_socket.send_json_to({"type": "message", "client_id": client_id, "text": "ใช่",
                                           "postback": postback})
        refused.append(await visitor_socket.receive_json_from(timeout=5))
        assert refused[-1]["client_id"] == client_id
    assert {r["type"] for r in refused} == {"error"}
    assert {r["code"] for r in refused} == {"invalid"}
    assert refused[0]["message"] == "The button you pressed could not be read; please type your answer instead."
    assert not await sync_to_async(Message.objects.exists)()

    await visitor_socket.send_json_to({"type": "message", "client_id": "good-postback-1", "text": "ใช่",
                                       "postback": None})
    assert (await visitor_socket.receive_json_from(timeout=5))["type"] == "ack"
    stored = await sync_to_async(Message.objects.get)()
    assert "postback" not in stored.metadata
