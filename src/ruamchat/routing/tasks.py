from __future__ import annotations

from datetime import timedelta

from ruamchat.jobs.queue import job, periodic
from ruamchat.routing import actions


@job("routing.distribute", max_attempts=3)
def distribute(*, team_id: int) -> None:
    actions.distribute(team_id=team_id)


@job("routing.auto_reply", max_attempts=3)
def auto_reply(*, conversation_id: int, text: str) -> None:
    actions.auto_reply(conversation_id=conversation_id, text=text)


@job("routing.sweep", max_attempts=1)
def sweep() -> None:
    """Every half minute: agents whose heartbeat stopped go offline; waiting conversations are handed out."""
    actions.sweep_presence()
    actions.distribute_all()


periodic("routing.sweep", timedelta(seconds=30))
