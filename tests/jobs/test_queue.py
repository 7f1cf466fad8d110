from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from ruamchat.jobs import queue
from ruamchat.jobs.models import Job
from tests.waiting import wait_for

pytestmark = pytest.mark.django_db

calls: list[dict[str, Any]] = []


@queue.job("tests.record", max_attempts=3)
def record(**payload: Any) -> None:
    calls.append(payload)


@queue.job("tests.flaky", max_attempts=2, on_exhausted=lambda error, **p: calls.append({"exhausted": error, **p}))
def flaky(**payload: Any) -> None:
    raise RuntimeError("provider timed out")


@pytest.fixture(autouse=True)
def _clear() -> None:
    calls.clear()


def test_a_job_runs_once_and_is_done() -> None:
    job = queue.enqueue("tests.record", order="ORD-1")
    assert queue.run_until_empty() == 1
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 1
    assert calls == [{"order": "ORD-1"}]
    assert queue.run_until_empty() == 0


def test_a_job_scheduled_for_later_waits() -> None:
    queue.enqueue("tests.record", run_after=timezone.now() + timedelta(hours=1), n=1)
    assert queue.run_until_empty() == 0
    assert calls == []


def test_failures_back_off_then_give_up_and_call_on_exhausted() -> None:
    job = queue.enqueue("tests.flaky", message_id=7)
    queue.run_until_empty()
    job.refresh_from_db()
    assert job.status == "queued" and job.attempts == 1
    assert job.run_after > timezone.now()  # backoff: not immediately again
    assert "provider timed out" in job.last_error
    Job.objects.filter(pk=job.pk).update(run_after=timezone.now())
    queue.run_until_empty()
    job.refresh_from_db()
    assert job.status == "failed" and job.attempts == 2
    assert calls == [{"exhausted": job.last_error, "message_id": 7}]


def test_a_job_whose_worker_died_is_taken_again_after_its_lease() -> None:
    job = queue.enqueue("tests.record", n=1)
    dead = queue.claim("worker-that-gets-killed")
    assert dead is not None and dead.pk == job.pk
    assert queue.claim("other") is None  # leased: nobody else takes it
    Job.objects.filter(pk=job.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert queue.run_until_empty("other") == 1
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 2 and calls == [{"n": 1}]
    # the dead worker's late report cannot overwrite what the new owner recorded
    queue._finish(dead, Job.Status.FAILED, "late")
    job.refresh_from_db()
    assert job.status == "done"


def _dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait(timeout=30)
    return gone.pid


def test_jobs_of_a_dead_worker_process_on_this_host_are_taken_back_at_once() -> None:
    mine, theirs, elsewhere = (queue.enqueue("tests.record", n=n) for n in range(3))
    host = queue.worker_id().split(":")[0]
    assert queue.claim(f"{host}:{_dead_pid()}:0").pk == mine.pk  # killed with -9 mid-job
    assert queue.claim(f"{host}:{os.getppid()}:1").pk == theirs.pk  # a live process: its job stays its own
    assert queue.claim(f"other-host:{_dead_pid()}:0").pk == elsewhere.pk  # another machine: only its lease tells
    assert queue.reclaim_from_dead_processes() == 1
    assert queue.run_until_empty("new") == 1
    assert calls == [{"n": 0}]
    assert Job.objects.get(pk=theirs.pk).status == Job.Status.RUNNING


def test_a_restarted_worker_with_the_same_pid_takes_back_what_its_predecessor_held() -> None:
    job = queue.enqueue("tests.record", n=1)
    queue.claim(queue.worker_id(":0"))  # the container's worker before the restart had this very pid
    assert queue.reclaim_from_dead_processes() == 0  # while running: our own pid is alive
    assert queue.reclaim_from_dead_processes(at_start=True) == 1
    assert queue.run_until_empty() == 1
    assert Job.objects.get(pk=job.pk).status == Job.Status.DONE


seen: list[int] = []


@queue.job("tests.renewing")
def renewing() -> None:
    Job.objects.filter(name="tests.renewing").update(locked_until=timezone.now())  # almost out
    seen.append(queue.renew_leases())
    seen.append(int(Job.objects.get(name="tests.renewing").locked_until > timezone.now() + timedelta(seconds=25)))


def test_leases_of_running_jobs_are_renewed_and_only_theirs(settings: Any) -> None:
    settings.RUAMCHAT = {**settings.RUAMCHAT, "JOB_LEASE_SECONDS": 30}
    seen.clear()
    held = queue.enqueue("tests.record")
    queue.enqueue("tests.renewing")
    queue.claim("somebody-else")  # held elsewhere: not renewed by us
    until = Job.objects.get(pk=held.pk).locked_until
    queue.run_until_empty("me")
    assert Job.objects.get(pk=held.pk).locked_until == until
    assert seen == [1, 1]
    assert queue.renew_leases() == 0  # nothing running any more


def test_a_job_left_leased_by_an_escaped_error_is_released_by_its_thread() -> None:
    job = queue.enqueue("tests.record", n=5)
    queue.claim("host:1:0")  # the database went away before the outcome could be written
    assert queue.release("host:1:1") == 0  # not that thread's
    assert queue.release("host:1:0") == 1
    assert queue.run_until_empty() == 1
    assert Job.objects.get(pk=job.pk).status == Job.Status.DONE and calls == [{"n": 5}]


def test_unknown_job_name_is_refused_at_enqueue() -> None:
    with pytest.raises(KeyError):
        queue.enqueue("tests.nope")


def test_done_jobs_are_pruned_after_they_age() -> None:
    queue.enqueue("tests.record")
    queue.run_until_empty()
    assert queue.prune() == 0
    Job.objects.update(finished_at=timezone.now() - timedelta(days=3))
    assert queue.prune() == 1


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        env["RUAMCHAT_DATABASE_URL"] = f"sqlite:///{name}"
    else:
        s = connection.settings_dict
        env["RUAMCHAT_DATABASE_URL"] = f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{name}"
    return env


@pytest.mark.django_db(transaction=True)
def test_replies_survive_a_killed_worker_process(visitor_says: Any, agent: Any) -> None:
    """A worker process is killed outright; replies queued meanwhile are sent by the next one."""
    from ruamchat.inbox import actions
    from ruamchat.inbox.models import Message

    conversation = visitor_says("สวัสดีค่ะ").conversation
    first = actions.send_reply(conversation=conversation, actor=agent, text="ตอบครั้งแรก")
    cmd = [sys.executable, "-m", "ruamchat.cli", "worker", "--concurrency", "1", "--poll", "0.1"]
    worker = subprocess.Popen(cmd, env=_worker_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: Message.objects.get(pk=first.pk).status == "sent")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    second = actions.send_reply(conversation=conversation, actor=agent, text="ตอบตอนไม่มี worker")
    assert Message.objects.get(pk=second.pk).status == "pending"  # stored, waiting, not lost
    worker = subprocess.Popen(cmd, env=_worker_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: Message.objects.get(pk=second.pk).status == "sent")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
