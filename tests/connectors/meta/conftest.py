"""Messenger and Instagram channels wired to the fake Graph API, and a way to deliver signed bodies."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.connectors.meta import IG_ACCOUNT_ID, IGSID, OUR_APP_ID, PAGE_ID, PSID
from tests.fakes.graph_api import FakeGraphApi, webhook_headers

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
APP_ID = OUR_APP_ID  # our app: echoes carrying it are of messages ruamchat sent
IG_ID = IG_ACCOUNT_ID
CUSTOMER = PSID  # a page-scoped id
IG_CUSTOMER = IGSID

_mids = itertools.count(1)


def _channel(kind: str, team: Any, account_id: str, token: str) -> Any:
    from ruamchat.connectors.actions import create_channel

    field = "page_id" if kind == "messenger" else "instagram_id"
    return create_channel(
        actor=None, kind=kind, name="ร้านรวมแชท " + kind, default_team=team,
        config={field: account_id, "app_id": APP_ID},
        secrets={"page_access_token": token, "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN},
    )


@pytest.fixture
def messenger(team: Any, graph_api: FakeGraphApi, settings: Any) -> Any:
    settings.RUAMCHAT_PUBLIC_URL = "https://ruamchat.example"
    settings.ROOT_URLCONF = "tests.connectors.meta.urls"
    return _channel("messenger", team, PAGE_ID, graph_api.page_token)


@pytest.fixture
def instagram(team: Any, graph_api: FakeGraphApi, settings: Any) -> Any:
    settings.RUAMCHAT_PUBLIC_URL = "https://ruamchat.example"
    settings.ROOT_URLCONF = "tests.connectors.meta.urls"
    return _channel("instagram", team, IG_ID, graph_api.page_token)


def body(*items: dict[str, Any], kind: str = "messenger", standby: bool = False) -> bytes:
    """A webhook body as Meta sends it, holding ``items`` (under ``standby`` when asked)."""
    account = PAGE_ID if kind == "messenger" else IG_ID
    entry = {"id": account, "time": int(time.time() * 1000), ("standby" if standby else "messaging"): list(items)}
    return json.dumps({"object": "page" if kind == "messenger" else "instagram", "entry": [entry]},
                      ensure_ascii=False).encode()


def text_item(text: str, *, sender: str = CUSTOMER, recipient: str = PAGE_ID, mid: str | None = None,
              **message: Any) -> dict[str, Any]:
    return {"sender": {"id": sender}, "recipient": {"id": recipient}, "timestamp": int(time.time() * 1000),
            "message": {"mid": mid or f"m_test{next(_mids)}", "text": text, **message}}


@pytest.fixture
def deliver(client: Client) -> Callable[..., Any]:
    """POST a body to a channel's webhook URL, signed as Meta signs it (or with ``signature``)."""

    def post(channel: Any, raw: bytes, *, signature: str | None = None) -> Any:
        headers = webhook_headers(raw, APP_SECRET)
        if signature is not None:
            headers["x-hub-signature-256"] = signature
        return client.post(f"/hooks/{channel.kind}/{channel.key}/", raw,
                           content_type=headers.pop("content-type"), headers=headers)

    return post


@pytest.fixture
def run_due_jobs(run_jobs: Callable[[], int]) -> Callable[[], int]:
    """Run the queue, and also the jobs waiting for their retry time, as if that time had come."""
    from ruamchat.jobs.models import Job

    def run() -> int:
        Job.objects.filter(status=Job.Status.QUEUED).update(run_after=timezone.now())
        return run_jobs()

    return run
