"""Media links in Meta's webhooks are fetched only from public addresses (SSRF, ruamchat.core.outbound): a link
to this machine or its network — directly, by redirect, or to the cloud metadata service — leaves the attachment
with a clear note, is not tried again, and the address is never connected to. A Graph API that ruamchat may
not reach fails the reply at once, with the reason."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ruamchat.inbox.actions import send_reply
from ruamchat.inbox.models import Attachment, Conversation, Message
from ruamchat.jobs.models import Job
from tests.connectors.meta import fixture_bytes
from tests.connectors.meta.conftest import CUSTOMER, body, text_item
from tests.fakes.graph_api import FakeGraphApi
from tests.fakes.web_server import RecordingServer

pytestmark = pytest.mark.django_db

MEDIA_PATH = "/media/messenger/slip-20250309.jpg"
REFUSED_NOTE = "not downloaded: the link points to a private or local network address"


@pytest.fixture
def private() -> Iterator[RecordingServer]:
    """A server on 127.0.0.2: this machine, but not the 127.0.0.1 the test configuration allows."""
    with RecordingServer("127.0.0.2") as running:
        yield running


@pytest.fixture
def public() -> Iterator[RecordingServer]:
    """A server on 127.0.0.1, which the test configuration allows: it plays a public CDN."""
    with RecordingServer("127.0.0.1") as running:
        yield running


@pytest.fixture
def dialled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    real = socket.create_connection
    seen: list[str] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        seen.append(str(address[0]))
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return seen


@pytest.fixture
def receive_image(messenger: Any, deliver: Callable[..., Any], run_jobs: Callable[[], int],
                  graph_api: FakeGraphApi, settings: Any) -> Callable[[str], Attachment]:
    """The customer sends an image whose CDN link is on ``media_base``; the worker runs. Its attachment."""
    settings.RUAMCHAT_OUTBOUND_ALLOW = "127.0.0.1"  # the fake Graph API and the "public" server

    def receive(media_base: str) -> Attachment:
        assert deliver(messenger, fixture_bytes("messenger_image", media_base=media_base)).status_code == 200
        run_jobs()
        return Attachment.objects.get()

    return receive


def _assert_refused(attachment: Attachment) -> None:
    assert not attachment.file and attachment.data.get("unavailable") == "refused"
    assert "fetch" not in attachment.data
    job = Job.objects.get(name="connectors.fetch_attachment")
    assert job.status == Job.Status.DONE and job.attempts == 1  # permanent: not tried again


def test_a_media_link_to_a_private_address_is_not_fetched(receive_image: Callable[[str], Attachment],
                                                          private: RecordingServer, dialled: list[str]) -> None:
    attachment = receive_image(private.url)
    _assert_refused(attachment)
    assert not private.reached and "127.0.0.2" not in dialled


def test_a_media_link_redirecting_to_a_private_address_is_not_followed(
    receive_image: Callable[[str], Attachment], public: RecordingServer, private: RecordingServer,
    dialled: list[str]
) -> None:
    public.redirect(MEDIA_PATH, private.url + MEDIA_PATH)
    attachment = receive_image(public.url)
    _assert_refused(attachment)
    assert public.requests and public.requests[0].startswith(MEDIA_PATH)
    assert not private.reached and "127.0.0.2" not in dialled


def test_a_media_link_to_the_cloud_metadata_service_is_not_connected_to(
    receive_image: Callable[[str], Attachment], dialled: list[str]
) -> None:
    attachment = receive_image("http://169.254.169.254")
    _assert_refused(attachment)
    assert "169.254.169.254" not in dialled


def test_the_agent_sees_why_the_image_is_missing(receive_image: Callable[[str], Attachment],
                                                 private: RecordingServer, agent: Any) -> None:
    attachment = receive_image(private.url)
    viewer = Client()
    viewer.force_login(agent)
    page = viewer.get(reverse("inbox:conversation", args=[attachment.message.conversation_id])).content.decode()
    assert REFUSED_NOTE in page


def test_a_media_link_on_an_allowed_address_is_fetched(receive_image: Callable[[str], Attachment],
                                                       public: RecordingServer) -> None:
    attachment = receive_image(public.url)
    assert attachment.file and "unavailable" not in attachment.data
    assert public.requests and public.requests[0].startswith(MEDIA_PATH)


def test_a_reply_through_a_graph_api_that_may_not_be_reached_fails_at_once_with_the_reason(
    messenger: Any, deliver: Callable[..., Any], run_jobs: Callable[[], int], graph_api: FakeGraphApi,
    agent: Any, settings: Any
) -> None:
    deliver(messenger, body(text_item("ของถึงหรือยังคะ")))
    run_jobs()
    settings.RUAMCHAT_OUTBOUND_ALLOW = ""  # the fake Graph API is on 127.0.0.1
    conversation = Conversation.objects.get(identity__external_id=CUSTOMER)
    message = send_reply(conversation=conversation, actor=agent, text="ถึงพรุ่งนี้ค่ะ")
    run_jobs()
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert "127.0.0.1" in message.error and "RUAMCHAT_OUTBOUND_ALLOW" in message.error
    assert not graph_api.calls_to("/messages")
    assert Job.objects.get(name="inbox.deliver_message").attempts == 1
