from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from ruamchat.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(user: Any) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def connect(user: Any | None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    if user is not None:
        headers.append((b"cookie", await database_sync_to_async(session_cookie)(user)))
    return WebsocketCommunicator(application, "/ws/agent/", headers=headers)


async def test_anonymous_socket_is_refused() -> None:
    communicator = await connect(None)
    connected, code = await communicator.connect()
    assert not connected and code == 4401


async def test_agent_hears_about_own_team_only_and_marks_presence(
    agent: Any, make_agent: Any, support_team: Any, visitor_says: Any
) -> None:
    from ruamchat.accounts.models import AgentProfile

    outsider = await database_sync_to_async(make_agent)(teams=[support_team])
    mine, theirs = await connect(agent), await connect(outsider)
    assert (await mine.connect())[0] and (await theirs.connect())[0]
    assert await mine.receive_json_from() == {"type": "ready"}
    assert await theirs.receive_json_from() == {"type": "ready"}
    profile = await database_sync_to_async(AgentProfile.objects.get)(user=agent)
    assert profile.presence == "online"

    message = await database_sync_to_async(visitor_says)("มีใครอยู่ไหมคะ")
    first = await mine.receive_json_from(timeout=5)
    second = await mine.receive_json_from(timeout=5)
    assert first["event"] == "conversation.created"
    assert second == {"type": "event", "event": "message.created", "payload": {
        "conversation_id": message.conversation_id, "message_id": message.pk,
        "team_id": message.conversation.team_id, "assignee_id": None, "is_private": False}}
    assert await theirs.receive_nothing(timeout=0.3)
    await mine.disconnect()
    await theirs.disconnect()


async def test_transfer_reaches_the_receiving_team_live(
    agent: Any, make_agent: Any, support_team: Any, conversation: Any
) -> None:
    from ruamchat.inbox import actions

    receiver = await database_sync_to_async(make_agent)(teams=[support_team])
    socket = await connect(receiver)
    await socket.connect()
    await socket.receive_json_from()
    await database_sync_to_async(actions.transfer)(
        conversation=conversation, actor=agent, team=support_team, reason="ลูกค้าขอคืนเงิน")
    event = await socket.receive_json_from(timeout=5)
    assert event["event"] == "conversation.updated"
    assert event["payload"]["change"] == "transfer" and event["payload"]["team_id"] == support_team.pk
    await socket.disconnect()
