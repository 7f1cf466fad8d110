"""Realtime events: declared schemas, and publishing to websocket groups after commit.

Only action modules call ``publish``. Events carry ids and states, never message content: browsers
fetch what changed through permission-checked views, so a group subscription cannot leak text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
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


def _send(groups: list[str], message: dict[str, Any]) -> None:
    for listener in list(_listeners):
        listener(groups, message)
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:
            # A realtime hiccup must never undo or fail the change itself; browsers catch up on reconnect.
            logger.warning("could not publish %s to %s", message["event"], group, exc_info=True)


def add_listener(listener: Callable[[list[str], dict[str, Any]], None]) -> None:
    _listeners.append(listener)


def remove_listener(listener: Callable[[list[str], dict[str, Any]], None]) -> None:
    if listener in _listeners:
        _listeners.remove(listener)
