"""A LINE channel wired to the fake LINE API, and a way to deliver signed fixtures to its webhook."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.connectors.line import fixture_bytes, fixture_json
from tests.fakes.line_api import FakeLineApi, webhook_headers

CHANNEL_SECRET = "test-channel-secret"
CUSTOMER = "U37fb92822f4474ae3a95cdd4c23525da"
GROUP_MEMBER = "U8865632db32091ba452e2e366664323a"
OTHER_MEMBER = "U123cd54f1be0a2e78bcc0c82c3409a0b"
GROUP = "C1cce3f6c61dd2cc001fa632b0bfb7d93"
ROOM = "Rca36e77a6d41d52e939c7716eceac988"


@pytest.fixture
def line_channel(team: Any, line_api: FakeLineApi, settings: Any) -> Any:
    from ruamchat.connectors.actions import create_channel

    settings.RUAMCHAT_PUBLIC_URL = "https://ruamchat.example"
    settings.ROOT_URLCONF = "tests.connectors.line.urls"
    return create_channel(
        actor=None, kind="line", name="LINE ร้านรวมแชท", default_team=team,
        config={"line_channel_id": "2001234567"},
        secrets={"channel_secret": CHANNEL_SECRET, "access_token": line_api.access_token},
    )


def fresh(name: str, **changes: Any) -> bytes:
    """A fixture body whose events happened just now (a live reply token), with ``changes`` applied to
    every event (a dotted key like ``"message.id"`` reaches inside)."""
    body = fixture_json(name)
    for event in body["events"]:
        event["timestamp"] = int(time.time() * 1000)
        for key, value in changes.items():
            target = event
            *path, last = key.split(".")
            for part in path:
                target = target[part]
            target[last] = value
    return json.dumps(body, ensure_ascii=False).encode()


@pytest.fixture
def deliver(client: Client, line_channel: Any) -> Callable[..., Any]:
    """POST a webhook body to the channel's real webhook URL, signed as LINE signs it."""

    def post(body: bytes | str, *, signature: str | None = None, channel: Any = None) -> Any:
        raw = fixture_bytes(body) if isinstance(body, str) else body
        headers = webhook_headers(raw, CHANNEL_SECRET)
        if signature is not None:
            headers["x-line-signature"] = signature
        target = channel or line_channel
        return client.post(
            f"/hooks/line/{target.key}/", raw, content_type=headers.pop("content-type"),
            headers=headers,
        )

    return post


@pytest.fixture
def run_due_jobs(run_jobs: Callable[[], int]) -> Callable[[], int]:
    """Run the queue, and also the jobs waiting for their retry time, as if that time had come."""
    from ruamchat.jobs.models import Job

    def run() -> int:
        Job.objects.filter(status=Job.Status.QUEUED).update(run_after=timezone.now())
        return run_jobs()

    return run
