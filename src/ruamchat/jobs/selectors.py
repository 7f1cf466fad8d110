"""Reads about the job queue, for the health check and operators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Min
from django.utils import timezone

from ruamchat.jobs.models import Job


@dataclass(frozen=True)
class Backlog:
    due: int  # queued and due now: work waiting for a worker
    running: int
    oldest_due_seconds: float  # how long the oldest due job has waited (0 when none)
    failed_last_hour: int


def backlog() -> Backlog:
    now = timezone.now()
    due = Job.objects.filter(status=Job.Status.QUEUED, run_after__lte=now)
    oldest = due.aggregate(oldest=Min("run_after"))["oldest"]
    return Backlog(
        due=due.count(),
        running=Job.objects.filter(status=Job.Status.RUNNING).count(),
        oldest_due_seconds=round((now - oldest).total_seconds(), 1) if oldest else 0.0,
        failed_last_hour=Job.objects.filter(status=Job.Status.FAILED,
                                            finished_at__gte=now - timedelta(hours=1)).count(),
    )
