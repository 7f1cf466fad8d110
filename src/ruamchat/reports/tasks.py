"""Background jobs of the reports (thin: they call actions)."""

from __future__ import annotations

from datetime import timedelta

from ruamchat.jobs.queue import job, periodic
from ruamchat.reports import actions


@job("reports.catch_up", max_attempts=1)
def catch_up() -> None:
    """Every minute: the facts and daily sums of the conversations that changed since the last run."""
    actions.catch_up()


periodic("reports.catch_up", timedelta(seconds=60))
