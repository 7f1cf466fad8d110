"""Realtime events: declared schemas, and publishing to websocket groups after commit.

Only action modules call ``publish``. Events carry ids and states, never message content: browsers
fetch what changed through permission-checked views, so a group subscription cannot leak text.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

logger = logging.getLogger("ruamchat.realtime")

# type -> the keys its payload must have (and nothing else)
SCHEMAS: dict[str, frozenset[str]] = {
    "conversation.created": frozenset({"conversation_id", "team_id", "assignee_id", "status", "priority"}),
    "conversation.updated": frozenset(
        {"conversation_id", "team_id", "assignee_id", "status", "priority", "change"}
    ),
    "message.created": frozenset({"conversation_id", "message_id", "team_id", "assignee_id", "is_private"}),
    "message.updated": frozenset({"conversation_id", "message_id", "status"}),
    # an SLA clock of a conversation is at risk or breached: to its assignee, its team and the supervisors
    "sla.alert": frozenset({"conversation_id", "team_id", "assignee_id", "clock", "level", "due_at"}),
    # an unhappy survey answer opened a follow-up conversation: to the supervisors and the follow-up team
    "followup.opened": frozenset({"conversation_id", "team_id", "survey", "score", "about_id"}),
    # an agent came online, went away or went offline: to the supervisors (the wallboard)
    "presence.changed": frozenset({"user_id", "presence"}),
    # to the website visitor's browser: the message itself (only public ones ever go there)
    "widget.message": frozenset({"message"}),
    "widget.agents": frozenset({"online"}),
    # a signed-in session was ended (by its user elsewhere, or an administrator): to the user's own group; the
    # socket of that session closes itself (the digest names the session; the key never leaves the server)
    "session.ended": frozenset({"user_id", "session"}),
}

_listeners: list[Callable[[list[str], dict[str, Any]], None]] = []


class SchemaError(ValueError):
    pass


def team_group(team_id: int) -> str:
    return f"team.{team_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def visitor_group(channel_id: int, external_id: str) -> str:
    return f"visitor.{channel_id}.{external_id}"


SUPERVISORS_GROUP = "supervisors"


def validate(event_type: str, payload: dict[str, Any]) -> None:
    expected = SCHEMAS.get(event_type)
    if expected is None:
        raise SchemaError(f"undeclared realtime event {event_type!r}")
    if set(payload) != expected:
        raise SchemaError(f"{event_type}: payload keys {sorted(payload)} != {sorted(expected)}")


def publish(groups: Iterable[str], event_type: str, payload: dict[str, Any]) -> None:
    """Send ``event_type`` to ``groups`` once the current transaction commits (at once outside one)."""
    validate(event_type, payload)
    targets = sorted(set(groups))
    message = {"type": "ruamchat.event", "event": event_type, "payload": payload}
    transaction.on_commit(lambda: _send(targets, message))


#: how long a publishing thread waits for the channel layer before it goes on (the change is committed anyway)
PUBLISH_TIMEOUT_SECONDS = 5.0


def _send(groups: list[str], message: dict[str, Any]) -> None:
    for listener in list(_listeners):
        listener(groups, message)
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        if isinstance(layer, InMemoryChannelLayer):
            # the embedded set-up: the layer's queues belong to the server's event loop, which async_to_sync
            # reaches from the thread a request or in-process job runs in
            async_to_sync(_send_all)(layer, groups, message)
        else:
            _publisher.run(_send_all(layer, groups, message), PUBLISH_TIMEOUT_SECONDS)
    except Exception:
        # A realtime hiccup must never undo or fail the change itself; browsers catch up on reconnect.
        logger.warning("could not publish %s to %s in time", message["event"], groups, exc_info=True)


async def _send_all(layer: Any, groups: list[str], message: dict[str, Any]) -> None:
    for group in groups:
        try:
            await layer.group_send(group, message)
        except Exception:
            # A realtime hiccup must never undo or fail the change itself; browsers catch up on reconnect.
            logger.warning("could not publish %s to %s", message["event"], group, exc_info=True)


class _Publisher:
    """One event loop per process, in a thread of its own, that every publishing thread hands its sends to.

    ``async_to_sync`` from a plain thread (a job worker, a WSGI request) starts a thread and a new event loop
    for every call, and the Redis layer opens its connections per event loop: publishing cost more than the
    rest of a small job. Here the loop and its Redis connections live as long as the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def run(self, coroutine: Any, timeout: float) -> None:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._running_loop())
        future.result(timeout)

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():  # a forked child needs a loop of its own
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="ruamchat-publisher", daemon=True).start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop


_publisher = _Publisher()


def add_listener(listener: Callable[[list[str], dict[str, Any]], None]) -> None:
    _listeners.append(listener)


def remove_listener(listener: Callable[[list[str], dict[str, Any]], None]) -> None:
    if listener in _listeners:
        _listeners.remove(listener)
