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
