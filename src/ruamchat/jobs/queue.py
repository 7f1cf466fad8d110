"""A durable, database-backed job queue: enqueue inside the caller's transaction, run in a worker.

Why not django-tasks: its database backend leaves a task RUNNING forever when the worker is killed and
has no retries; ruamchat needs both (a reply must never be lost or silently stuck).
"""

from __future__ import annotations

import logging
import random
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone

from ruamchat.jobs.models import Job, Schedule

logger = logging.getLogger("ruamchat.jobs")

LEASE = timedelta(minutes=5)
KEEP_DONE = timedelta(days=2)


class Retry(Exception):
    """Raise from a handler to try again later (with backoff) without it counting as a crash."""

    def __init__(self, reason: str, delay: timedelta | None = None) -> None:
        super().__init__(reason)
        self.delay = delay


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[..., Any]
    max_attempts: int
    on_exhausted: Callable[..., Any] | None


_registry: dict[str, JobSpec] = {}
_wakers: list[Callable[[], None]] = []
#: periodic jobs: name -> how often
_periodic: dict[str, timedelta] = {}


def job(
    name: str, *, max_attempts: int = 5, on_exhausted: Callable[..., Any] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a handler. ``on_exhausted(error=..., **payload)`` runs once after the last failed try."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in _registry and _registry[name].func is not func:
            raise ValueError(f"job {name!r} registered twice")
        _registry[name] = JobSpec(name, func, max_attempts, on_exhausted)
        return func

    return decorate


def periodic(name: str, every: timedelta) -> None:
    """Run the registered job ``name`` (without arguments) every ``every``, once across all workers."""
    if name not in _registry:
        raise KeyError(f"unknown job {name!r}")
    _periodic[name] = every


def enqueue_due_periodic(now: datetime | None = None) -> list[str]:
    """Enqueue the periodic jobs that are due; returns their names. Safe to call from every worker at once:
    a job is enqueued only by the caller whose conditional UPDATE moved its schedule forward."""
    now = now or timezone.now()
    started: list[str] = []
    for name, every in sorted(_periodic.items()):
        Schedule.objects.get_or_create(name=name, defaults={"next_run_at": now})
        with transaction.atomic():
            if Schedule.objects.filter(name=name, next_run_at__lte=now).update(next_run_at=now + every):
                enqueue(name)
                started.append(name)
    return started


def enqueue(name: str, *, run_after: datetime | None = None, **payload: Any) -> Job:
    """Store a job in the current transaction; it runs only if that transaction commits."""
    if name not in _registry:
        raise KeyError(f"unknown job {name!r}")
    spec = _registry[name]
    created = Job.objects.create(
        name=name, payload=payload, max_attempts=spec.max_attempts, run_after=run_after or timezone.now()
    )
    transaction.on_commit(_wake)
    return created


def add_waker(callback: Callable[[], None]) -> None:
    """In-process workers register here to hear about new jobs at once instead of at the next poll."""
    _wakers.append(callback)


def remove_waker(callback: Callable[[], None]) -> None:
    if callback in _wakers:
        _wakers.remove(callback)


def _wake() -> None:
    for callback in list(_wakers):
        try:
            callback()
        except Exception:  # a waker belongs to a loop that may be shutting down
            logger.debug("waker failed", exc_info=True)


def backoff(attempt: int) -> timedelta:
    base = min(5 * 2 ** max(attempt - 1, 0), 600)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


def claim(worker_id: str) -> Job | None:
    """Lease the next runnable job, or a job whose worker died (its lease ran out)."""
    now = timezone.now()
    with transaction.atomic():
        ready = Job.objects.filter(
            Q(status=Job.Status.QUEUED, run_after__lte=now)
            | Q(status=Job.Status.RUNNING, locked_until__lt=now)
        ).order_by("run_after", "id")
        if connection.features.has_select_for_update_skip_locked:
            ready = ready.select_for_update(skip_locked=True)
        found = ready.first()
        if found is None:
            return None
        found.status = Job.Status.RUNNING
        found.attempts += 1
        found.locked_by = worker_id
        found.locked_until = now + LEASE
        found.save(update_fields=["status", "attempts", "locked_by", "locked_until"])
        return found


def execute(found: Job) -> str:
    """Run one leased job and record the outcome. Returns the job's new status."""
    spec = _registry.get(found.name)
    if spec is None:
        return _finish(found, Job.Status.FAILED, f"no handler registered for {found.name!r}")
    try:
        spec.func(**found.payload)
    except Exception as exc:
        delay = exc.delay if isinstance(exc, Retry) else None
        error = str(exc) if isinstance(exc, Retry) else "".join(traceback.format_exception_only(exc)).strip()
        if not isinstance(exc, Retry):
            logger.warning("job %s failed (try %s/%s)", found, found.attempts, found.max_attempts, exc_info=True)
        if found.attempts < found.max_attempts:
            owned = Job.objects.filter(pk=found.pk, locked_by=found.locked_by).update(
                status=Job.Status.QUEUED,
                run_after=timezone.now() + (delay or backoff(found.attempts)),
                locked_by="",
                locked_until=None,
                last_error=error[:4000],
            )
            return Job.Status.QUEUED if owned else Job.Status.RUNNING
        status = _finish(found, Job.Status.FAILED, error)
        if spec.on_exhausted is not None:
            try:
                spec.on_exhausted(error=error, **found.payload)
            except Exception:
                logger.exception("on_exhausted of %s failed", found)
        return status
    return _finish(found, Job.Status.DONE, "")


def _finish(found: Job, status: str, error: str) -> str:
    Job.objects.filter(pk=found.pk, locked_by=found.locked_by).update(
        status=status, locked_until=None, finished_at=timezone.now(), last_error=error[:4000]
    )
    return status


def run_next(worker_id: str) -> bool:
    """Claim and run one job; False when there was nothing to do."""
    found = claim(worker_id)
    if found is None:
        return False
    execute(found)
    return True


def run_next_in_worker(worker_id: str) -> bool:
    """``run_next`` for long-lived worker threads: drop broken or stale connections around each job."""
    close_old_connections()
    try:
        return run_next(worker_id)
    finally:
        close_old_connections()


def run_until_empty(worker_id: str = "inline", limit: int = 1000) -> int:
    """Run every job that is due now. For management commands and tests that wait for the queue."""
    count = 0
    while count < limit and run_next(worker_id):
        count += 1
    return count


def prune(older_than: timedelta = KEEP_DONE) -> int:
    deleted, _ = Job.objects.filter(
        status=Job.Status.DONE, finished_at__lt=timezone.now() - older_than
    ).delete()
    return deleted


class Stop:
    """A stop flag shared by the worker threads of one process."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def set(self) -> None:
        self.event.set()

    def is_set(self) -> bool:
        return self.event.is_set()
