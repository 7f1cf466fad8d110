"""A websocket whose channel-layer subscriptions stop working (Redis restarted and forgot them, or Redis is away)
closes itself with the "reconnect" code, so the browser reconnects and catches up; a healthy one stays open."""

from __future__ import annotations

import time
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from redis.exceptions import ConnectionError as RedisConnectionError

from ruamchat.asgi import application
from ruamchat.realtime import consumers

pytestmark = pytest.mark.django_db(transaction=True)

VISITOR = "visitor-token-" + "w" * 30


@pytest.fixture(autouse=True)
def _quick_watch(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # the in-memory layer, whose memberships a test can make it "forget" as a restarted Redis does
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    monkeypatch.setattr(consumers, "PROBE_INTERVAL", 0.4)


def _cookie(user: Any) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def agent_socket(user: Any) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"),
               (b"cookie", await database_sync_to_async(_cookie)(user))]
    socket = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
    assert (await socket.connect())[0]
    assert await socket.receive_json_from() == {"type": "ready"}
    return socket


async def widget_socket(website: Any) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, f"/ws/widget/{website.key}/?visitor={VISITOR}&lang=en")
    assert (await socket.connect())[0]
    return socket


async def closed_with(socket: WebsocketCommunicator, timeout: float = 5) -> int:
    output = await socket.receive_output(timeout=timeout)
    assert output["type"] == "websocket.close", output
    return int(output.get("code", 1000))


def forget_every_group() -> None:
    """What a Redis restart without persistence does to the channel layer."""
    get_channel_layer().groups.clear()


async def test_agent_socket_stays_open_while_healthy_and_closes_once_its_groups_are_forgotten(
    agent: Any, visitor_says: Any
) -> None:
    socket = await agent_socket(agent)
    # several probe rounds: nothing reaches the browser, the socket stays open and still hears events
    assert await socket.receive_nothing(timeout=2)
    message = await database_sync_to_async(visitor_says)("ยังอยู่ไหมคะ")
    heard = [await socket.receive_json_from(timeout=5) for _ in range(2)]
    assert {h["event"] for h in heard} == {"conversation.created", "message.created"}
    assert heard[1]["payload"]["message_id"] == message.pk

    forget_every_group()
    assert await closed_with(socket) == consumers.RECONNECT_CODE
    await socket.wait()


async def test_a_socket_busy_with_a_slow_request_is_not_taken_for_lost(
    agent: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    socket = await agent_socket(agent)

    def slow_presence(**kwargs: Any) -> None:
        time.sleep(3 * consumers.PROBE_INTERVAL)  # a slow database: several probe rounds pass meanwhile

    monkeypatch.setattr(consumers, "set_presence", slow_presence)
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=10) == {"type": "pong"}
    assert await socket.receive_nothing(timeout=1.5)  # still open: the probe waited behind the request
    await socket.disconnect()


async def test_widget_socket_closes_once_its_group_is_forgotten(website: Any) -> None:
    socket = await widget_socket(website)
    assert await socket.receive_nothing(timeout=1.0)
    forget_every_group()
    assert await closed_with(socket) == consumers.RECONNECT_CODE
    await socket.wait()


async def test_a_failing_channel_layer_closes_the_socket(agent: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    socket = await agent_socket(agent)
    layer = get_channel_layer()

    async def refused(*args: Any, **kwargs: Any) -> None:
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(layer, "group_send", refused)
    monkeypatch.setattr(layer, "group_discard", refused)
    assert await closed_with(socket) == consumers.RECONNECT_CODE
    await socket.wait()


async def test_a_channel_layer_that_fails_to_deliver_closes_the_socket_instead_of_crashing(
    agent: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    layer = get_channel_layer()

    async def dropped(*args: Any, **kwargs: Any) -> None:
        raise RedisConnectionError("Connection closed by server.")

    # waiting for the socket's next event fails, as it does when the Redis connection drops
    monkeypatch.setattr(layer, "receive", dropped)
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"),
               (b"cookie", await database_sync_to_async(_cookie)(agent))]
    socket = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
    connected, code = await socket.connect()
    if connected:  # accepted before the failure came through: then it is closed
        output = await socket.receive_output(timeout=5)
        if output["type"] == "websocket.send":
            assert output["text"] == '{"type": "ready"}'
            output = await socket.receive_output(timeout=5)
        assert output["type"] == "websocket.close"
        code = output["code"]
    assert code == consumers.RECONNECT_CODE
    await socket.wait()


async def test_an_opening_that_never_finishes_is_closed_so_the_browser_tries_again(
    agent: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    monkeypatch.setattr(consumers, "CONNECT_TIMEOUT", 1.0)
    monkeypatch.setattr(consumers, "PROBE_INTERVAL", 60.0)  # (the layer call's own limit: longer than the opening's)
    layer = get_channel_layer()

    async def never_answers(*args: Any, **kwargs: Any) -> None:
        await asyncio.Event().wait()  # a Redis that took the connection and says nothing

    monkeypatch.setattr(layer, "group_add", never_answers)
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"),
               (b"cookie", await database_sync_to_async(_cookie)(agent))]
    socket = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
    connected, code = await socket.connect(timeout=10)
    assert not connected and code == consumers.RECONNECT_CODE
    await socket.wait()
