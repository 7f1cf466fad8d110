"""The surveys' background jobs (thin: each calls an action)."""

from __future__ import annotations

from ruamchat.jobs.queue import job
from ruamchat.surveys import actions


@job("surveys.deliver", max_attempts=3)
def deliver(*, invitation_id: int) -> None:
    actions.deliver(invitation_id=invitation_id)


@job("surveys.remind", max_attempts=3)
def remind(*, invitation_id: int) -> None:
    actions.remind(invitation_id=invitation_id)


@job("surveys.run_campaign", max_attempts=3)
def run_campaign(*, campaign_id: int) -> None:
    actions.run_campaign(campaign_id=campaign_id)


@job("surveys.chat_answer", max_attempts=3)
def chat_answer(*, message_id: int) -> None:
    actions.chat_answer(message_id=message_id)
