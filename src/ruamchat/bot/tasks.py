"""The chatbot's background jobs (thin: each calls an action)."""

from __future__ import annotations

from datetime import timedelta

from ruamchat.bot import actions
from ruamchat.jobs.queue import job, periodic


@job("bot.respond", max_attempts=3)
def respond(*, message_id: int) -> None:
    actions.respond(message_id=message_id)


@job("bot.acknowledge", max_attempts=3)
def acknowledge(*, conversation_id: int, message_id: int) -> None:
    actions.acknowledge(conversation_id=conversation_id, message_id=message_id)


@job("bot.after_hours", max_attempts=3)
def after_hours(*, conversation_id: int) -> None:
    actions.after_hours(conversation_id=conversation_id)


@job("bot.sweep", max_attempts=1)
def sweep() -> None:
    """Every minute: resolve conversations whose customer went quiet after the bot answered."""
    actions.sweep_quiet()


periodic("bot.sweep", timedelta(minutes=1))
