"""The visitor's websocket, driven through the real ASGI application."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from ruamchat.asgi import application
from ruamchat.inbox.models import Message

pytestmark = pytest.mark.django_db(transaction=True)

VISITOR = "visitor-token-" + "c" * 30


def widget_path(key: str, visitor: str = VISITOR, lang: str = "en") -> str:
    return f"/ws/widget/{key}/?visitor={visitor}&lang={lang}"


@pytest.fixture
async def visitor_socket(website: Any) -> AsyncIterator[WebsocketCommunicator]:
    communicator = WebsocketCommunicator(application, widget_path(website.key))
    connected, _ = await communicator.connect()
    assert connected
    yield communicator
    await communicator.disconnect()


async def say(socket: WebsocketCommunicator, text: str, client_id: str) -> dict[str, Any]:
    await socket.send_json_to({"type": "message", "client_id": client_id, "text": text})
    return await socket.receive_json_from(timeout=5)


async def test_unknown_widget_key_is_refused(website: Any) -> None:
    communicator = WebsocketCommunicator(application, widget_path("no-such-key"))
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4404


async def test_a_bad_visitor_token_is_refused(website: Any) -> None:
    communicator = WebsocketCommunicator(application, widget_path(website.key, visitor="short"))
    connected, _ = await communicator.connect()
    assert not connected


async def test_message_is_acked_and_stored_once_when_sent_twice(visitor_socket: WebsocketCommunicator) -> None:
    first = await say(visitor_socket, "สวัสดีค่ะ อยากสอบถามเรื่องจัดส่ง", "resend-me-0001")
    again = await say(visitor_socket, "สวัสดีค่ะ อยากสอบถามเรื่องจัดส่ง", "resend-me-0001")
    assert first["type"] == "ack" and first["client_id"] == "resend-me-0001"
    assert again == first
    texts = await sync_to_async(lambda: list(Message.objects.values_list("text", flat=True)))()
    assert texts == ["สวัสดีค่ะ อยากสอบถามเรื่องจัดส่ง"]


async def test_bad_frames_get_an_error_and_the_socket_stays_usable(
    visitor_socket: WebsocketCommunicator,
) -> None:
    await visitor_socket.send_to(text_data="{not json")
    malformed = await visitor_socket.receive_json_from(timeout=5)
    await visitor_socket.send_to(text_data=json.dumps(["message", "hi"]))
    not_a_dict = await visitor_socket.receive_json_from(timeout=5)
    await visitor_socket.send_to(text_data=json.dumps({"type": "message", "text": "x" * 70_000}))
    oversized = await visitor_socket.receive_json_from(timeout=5)
    too_long = await say(visitor_socket, "ก" * 5001, "too-long-0001")
    assert malformed["type"] == not_a_dict["type"] == oversized["type"] == too_long["type"] == "error"
    assert malformed["message"] == "The message could not be read."
    assert oversized["code"] == "too_large"
    assert too_long["client_id"] == "too-long-0001"
    assert too_long["message"] == "Your message is too long: at most 5000 characters."

    still_works = await say(visitor_socket, "ยังใช้ได้อยู่ไหม", "after-errors-0001")
    assert still_works["type"] == "ack"
    assert await sync_to_async(Message.objects.count)() == 1


async def test_agent_reply_reaches_the_connected_visitor(
    visitor_socket: WebsocketCommunicator, agent: Any, run_jobs: Callable[[], int],
) -> None:
    ack = await say(visitor_socket, "ของยังไม่มาส่งเลยค่ะ", "ask-0000001")

    def reply() -> None:
        from ruamchat.inbox.actions import send_reply

        conversation = Message.objects.get(pk=ack["id"]).conversation
        send_reply(conversation=conversation, actor=agent, text="ขออภัยค่ะ กำลังตรวจสอบให้นะคะ")
        run_jobs()

    await sync_to_async(reply)()
    pushed = await visitor_socket.receive_json_from(timeout=5)
    assert pushed["type"] == "message"
    assert pushed["message"]["text"] == "ขออภัยค่ะ กำลังตรวจสอบให้นะคะ"
    assert pushed["message"]["sender"] == "agent"
    assert pushed["message"]["name"] == "Somchai"
    assert pushed["message"]["id"] > ack["id"]


async def test_hello_returns_only_newer_messages_and_never_private_notes(
    visitor_socket: WebsocketCommunicator, agent: Any, run_jobs: Callable[[], int],
) -> None:
    first = await say(visitor_socket, "ข้อความแรก", "history-0001")
    second = await say(visitor_socket, "ข้อความที่สอง", "history-0002")

    def agent_writes() -> None:
        from ruamchat.inbox.actions import add_note, send_reply

        conversation = Message.objects.get(pk=first["id"]).conversation
        add_note(conversation=conversation, actor=agent, text="ลูกค้า VIP ห้ามบอกลูกค้า")
        send_reply(conversation=conversation, actor=agent, text="รับทราบค่ะ")
        run_jobs()

    await sync_to_async(agent_writes)()
    pushed = await visitor_socket.receive_json_from(timeout=5)
    assert pushed["message"]["text"] == "รับทราบค่ะ"

    await visitor_socket.send_json_to({"type": "hello", "last_id": first["id"]})
    history = await visitor_socket.receive_json_from(timeout=5)
    assert history["type"] == "history"
    assert [m["text"] for m in history["messages"]] == ["ข้อความที่สอง", "รับทราบค่ะ"]
    assert history["messages"][0]["id"] == second["id"]
    assert history["messages"][0]["client_id"] == "history-0002"
    assert history["agents_online"] is False

    await visitor_socket.send_json_to({"type": "hello", "last_id": 0})
    everything = await visitor_socket.receive_json_from(timeout=5)
    assert "ลูกค้า VIP ห้ามบอกลูกค้า" not in json.dumps(everything, ensure_ascii=False)
    assert len(everything["messages"]) == 3


async def test_another_visitor_never_sees_the_conversation(
    visitor_socket: WebsocketCommunicator, website: Any,
) -> None:
    await say(visitor_socket, "ที่อยู่ของฉันคือ 99 ถนนนิมมาน", "private-0001")
    stranger = WebsocketCommunicator(application, widget_path(website.key, visitor="someone-else-" + "d" * 30))
    assert (await stranger.connect())[0]
    await stranger.send_json_to({"type": "hello", "last_id": 0})
    history = await stranger.receive_json_from(timeout=5)
    await stranger.disconnect()
    assert history["messages"] == []


async def test_identify_sets_the_visitors_name_and_checks_the_email(
    visitor_socket: WebsocketCommunicator,
) -> None:
    await visitor_socket.send_json_to({"type": "identify", "name": "สมหญิง", "email": "not-an-email"})
    refused = await visitor_socket.receive_json_from(timeout=5)
    await visitor_socket.send_json_to({"type": "identify", "name": "สมหญิง", "email": "somying@example.com"})
    accepted = await visitor_socket.receive_json_from(timeout=5)
    assert refused["type"] == "error" and refused["message"] == "Please enter a valid email address."
    assert accepted == {"type": "identified"}
