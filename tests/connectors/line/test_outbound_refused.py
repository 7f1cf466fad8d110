"""LINE's API addresses are checked like every outbound request (SSRF, ruamchat.core.outbound): when they are at
an address ruamchat may not reach, a reply fails at once with the reason and a file is marked as refused — no
retries, no connection."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ruamchat.inbox.actions import send_reply
from ruamchat.inbox.models import Attachment, Conversation, Message
from ruamchat.jobs.models import Job
from tests.connectors.line.conftest import CUSTOMER
from tests.fakes.line_api import FakeLineApi
from tests.fakes.web_server import RecordingServer

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"


@pytest.fixture
def private() -> Iterator[RecordingServer]:
    with RecordingServer("127.0.0.2") as running:
        yield running


def test_a_reply_through_a_line_api_that_may_not_be_reached_fails_at_once_with_the_reason(
    deliver: Callable[..., Any], run_jobs: Callable[[], int], line_api: FakeLineApi, agent: Any, settings: Any
) -> None:
    deliver("message_text")
    run_jobs()
    settings.RUAMCHAT_OUTBOUND_ALLOW = ""  # the fake LINE API is on 127.0.0.1
    conversation = Conversation.objects.get(identity__external_id=CUSTOMER)
    message = send_reply(conversation=conversation, actor=agent, text="ได้เลยค่ะ")
    run_jobs()
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert "127.0.0.1" in message.error and "RUAMCHAT_OUTBOUND_ALLOW" in message.error
    assert line_api.delivered == []
    assert Job.objects.get(name="inbox.deliver_message").attempts == 1


def test_a_file_at_a_data_address_that_may_not_be_reached_is_marked_refused(
    deliver: Callable[..., Any], run_jobs: Callable[[], int], line_api: FakeLineApi, settings: Any,
    private: RecordingServer
) -> None:
    line_api.add_content("551234567890124562", JPEG, "image/jpeg")
    settings.RUAMCHAT_LINE_DATA_URL = private.url  # 127.0.0.2: not the allowed 127.0.0.1
    deliver("message_image")
    run_jobs()
    attachment = Attachment.objects.get()
    assert not attachment.file and attachment.data.get("unavailable") == "refused"
    job = Job.objects.get(name="connectors.fetch_attachment")
    assert job.status == Job.Status.DONE and job.attempts == 1
    assert not private.reached
