"""Background jobs of the inbox: thin wrappers that call actions."""

from __future__ import annotations

from ruamchat.inbox import actions
from ruamchat.jobs.queue import job


def _deliver_exhausted(*, error: str, message_id: int) -> None:
    actions.mark_failed(message_id=message_id, error=error)


@job("inbox.deliver_message", max_attempts=5, on_exhausted=_deliver_exhausted)
def deliver_message(*, message_id: int) -> None:
    actions.deliver_message(message_id=message_id)


@job("inbox.wake_snoozed", max_attempts=3)
def wake_snoozed(*, conversation_id: int) -> None:
    actions.wake_snoozed(conversation_id=conversation_id)
