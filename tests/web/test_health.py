from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone

from ruamchat.jobs.models import Job

pytestmark = pytest.mark.django_db


def test_health_answers_200_with_the_job_backlog(client: Any) -> None:
    waited = timezone.now() - timedelta(seconds=90)
    Job.objects.bulk_create([Job(name="connectors.process_inbound", run_after=waited) for _ in range(3)])
    Job.objects.create(name="connectors.process_inbound", run_after=timezone.now() + timedelta(hours=1))  # later
    response = client.get("/health/")
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    body = response.json()
    assert body["ok"] is True and body["database"]["ok"] is True
    assert body["jobs"]["due"] == 3 and body["jobs"]["oldest_due_seconds"] >= 90
    if "channel_layer" in body:  # with Redis (the PostgreSQL + Redis run)
        assert body["channel_layer"]["ok"] is True


def test_health_answers_503_when_the_database_is_away() -> None:
    def away(*args: Any) -> Any:
        raise OperationalError("connection refused")

    with connection.execute_wrapper(away):
        response = Client(raise_request_exception=False).get("/health/")
    assert response.status_code == 503
    assert response.json()["database"] == {"ok": False, "error": "OperationalError"}
