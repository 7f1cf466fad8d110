"""Background jobs of the global search (thin: they call actions)."""

from __future__ import annotations

from datetime import timedelta

from ruamchat.jobs.queue import job, periodic
from ruamchat.search import actions


@job("search.catch_up", max_attempts=1)
def catch_up() -> None:
    """Every few seconds: index the new messages and contacts, and the contacts that changed."""
    actions.catch_up()


@job("search.reindex_messages")
def reindex_messages(*, message_ids: list[int]) -> None:
    """Messages whose text changed, when re-indexing them right after the change failed."""
    actions.reindex_messages_now(message_ids=message_ids)


periodic("search.catch_up", timedelta(seconds=5))
