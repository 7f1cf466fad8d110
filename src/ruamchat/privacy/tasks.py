"""Background jobs of the retention policy (thin: they call ``retention``)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User

from ruamchat.jobs.queue import enqueue, job, periodic
from ruamchat.privacy import retention


@job("privacy.retention", max_attempts=1)
def apply_retention() -> None:
    """Every day, when the policy is switched on; a run that used up its time queues its continuation."""
    run = retention.run_scheduled()
    if run is not None and not run.finished:
        enqueue("privacy.retention")


@job("privacy.retention_now", max_attempts=1)
def apply_retention_now(actor_id: int | None = None) -> None:
    """An administrator's "run it now" from the retention page (whether or not it runs every day)."""
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    run = retention.apply_retention(actor=actor, budget_seconds=retention.JOB_BUDGET_SECONDS)
    if not run.finished:
        enqueue("privacy.retention_now", actor_id=actor_id)


periodic("privacy.retention", timedelta(days=1))
