"""A durable, database-backed job queue: enqueue inside the caller's transaction, run in a worker.

Why not django-tasks: its database backend leaves a task RUNNING forever when the worker is killed and
has no retries; ruamchat needs both (a reply must never be lost or silently stuck).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone

from ruamchat.jobs.models import Job, Schedule

logger = logging.getLogger("ruamchat.jobs")

KEEP_DONE = timedelta(days=2)


def lease() -> timedelta:
    """How long a claimed job stays a worker's without being renewed (RUAMCHAT_JOB_LEASE_SECONDS, default 60 s).

    A live worker renews the leases of the jobs it is running (``renew_leases``), so a long job is never taken
    twice; a killed worker stops renewing and its jobs are claimed again when the lease runs out, or at once by a
    worker on the same host that sees the old process gone (``reclaim_from_dead_processes``)."""
    return timedelta(seconds=settings.RUAMCHAT["JOB_LEASE_SECONDS"])


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
#: ids of the jobs this process is running now (their leases are renewed)
_running: set[int] = set()
_running_lock = threading.Lock()
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
        found.locked_until = now + lease()
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
    with _running_lock:
        _running.add(found.pk)
    try:
        execute(found)
    finally:
        with _running_lock:
            _running.discard(found.pk)
    return True


def running_here() -> set[int]:
    with _running_lock:
        return set(_running)


def renew_leases() -> int:
    """Extend the leases of the jobs this process is running. Called by every worker process every few seconds."""
    ids = running_here()
    if not ids:
        return 0
    return Job.objects.filter(pk__in=ids, status=Job.Status.RUNNING).update(locked_until=timezone.now() + lease())


def worker_id(suffix: str = "") -> str:
    """``host:pid`` plus a suffix per thread: who holds a job, and how a restarted worker tells a dead holder."""
    return f"{_host()}:{os.getpid()}{suffix}"[:64]


def _host() -> str:
    return socket.gethostname()[:40]


def release(worker_id: str) -> int:
    """Give back the jobs a worker thread holds but is not running: after an error that escaped a job (the
    database went away while it ran or while its outcome was written), so they run again as soon as it is back
    instead of when the lease runs out."""
    return (Job.objects.filter(status=Job.Status.RUNNING, locked_by=worker_id).exclude(pk__in=running_here())
            .update(status=Job.Status.QUEUED, locked_by="", locked_until=None, run_after=timezone.now()))


def reclaim_from_dead_processes(*, at_start: bool = False) -> int:
    """Requeue the jobs held by worker processes of this host that no longer exist (killed with -9, the machine
    restarted, the OOM killer). ``at_start``: also those held under this process's own pid, which in a container
    can be the same after a restart. Processes of one host must share its process ids (one PID namespace) or
    have host names of their own, as containers do."""
    prefix = f"{_host()}:"
    me = os.getpid()
    orphans: list[tuple[int, str]] = []
    held = Job.objects.filter(status=Job.Status.RUNNING, locked_by__startswith=prefix).values_list("pk", "locked_by")
    for pk, holder in held:
        pid_text = holder[len(prefix):].split(":", 1)[0]
        if not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if (pid == me and at_start) or (pid != me and not _alive(pid)):
            orphans.append((pk, holder))
    taken = 0
    for pk, holder in orphans:
        taken += Job.objects.filter(pk=pk, status=Job.Status.RUNNING, locked_by=holder).update(
            status=Job.Status.QUEUED, locked_by="", locked_until=None, run_after=timezone.now())
    if taken:
        logger.warning("took back %s job(s) from worker processes that are gone", taken)
    return taken


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
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
