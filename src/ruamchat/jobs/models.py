from __future__ import annotations

from django.db import models
from django.utils import timezone


class Job(models.Model):
    """A unit of background work, stored in the database so nothing is lost when a process dies.

    A worker takes a job by leasing it (``locked_until``); if the worker is killed, the lease runs out
    and another worker takes the job again. Handlers must therefore be safe to run twice.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    name = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=5)
    run_after = models.DateTimeField(default=timezone.now)
    locked_by = models.CharField(max_length=64, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "run_after", "id"], name="job_ready"),
            models.Index(fields=["status", "locked_until"], name="job_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.name}#{self.pk} ({self.status})"


class Schedule(models.Model):
    """When a periodic job runs next. Every worker process looks; the one whose UPDATE moves ``next_run_at``
    forward enqueues the job, so a periodic job runs once per period however many workers there are."""

    name = models.CharField(max_length=100, primary_key=True)
    next_run_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} @ {self.next_run_at}"
