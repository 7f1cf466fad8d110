from __future__ import annotations

from datetime import timedelta

from ruamchat.jobs.queue import job, periodic
from ruamchat.sla import actions


@job("sla.sweep", max_attempts=1)
def sweep() -> None:
    """Every 30 seconds: announce clocks that came at risk or breached (only those whose moment came)."""
    actions.sweep_all()


periodic("sla.sweep", timedelta(seconds=30))
