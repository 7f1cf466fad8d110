"""The attachment storage is full (ENOSPC): a clear refusal for agents and visitors sending files, nothing half-kept
(no message without its file, no part-written file); a customer's message is kept, its attachment says why its file
is missing, and the download is tried again later. (tests/cluster/test_storage_full.py does it on a real full
file system.)"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ruamchat.inbox.models import Attachment, Message
from ruamchat.jobs.models import Job
from tests.connectors.line import fixture_bytes
from tests.fakes.line_api import FakeLineApi, webhook_headers

pytestmark = pytest.mark.django_db

FULL = "could not be stored: the attachment storage is full"
PDF = b"%PDF-1.4 " + b"receipt " * 200
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"
LINE_SECRET = "storage-full-line-secret"


class FillingStorage(FileSystemStorage):
    """The media file system with ``room`` bytes left: a file that does not fit is written up to the limit and
    then fails with ENOSPC, as on a real full disk (its first part is left behind)."""

    def __init__(self, location: str, room: int) -> None:
        super().__init__(location=location)
        self.room = room

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        assert name is not None
        data = b"".join(content.chunks())
        if len(data) <= self.room:
            self.room -= len(data)
            return super().save(name, content, max_length)
        path = Path(self.path(self.get_available_name(name, max_length)))
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("xb") as fh:
            fh.write(data[:self.room])
        self.room = 0
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def disk(settings: Any, monkeypatch: pytest.MonkeyPatch) -> FillingStorage:
    storage = FillingStorage(str(settings.MEDIA_ROOT), room=0)
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", storage)
    return storage


def media_files(settings: Any) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def pdf(name: str = "ใบเสร็จ.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


# ---------------------------------------------------------------- agents sending files


def test_a_reply_with_a_file_is_refused_in_the_inbox_and_the_draft_is_kept(
    client_for: Callable[[Any], Client], agent: Any, conversation: Any, disk: FillingStorage, settings: Any
) -> None:
    client = Client()
    client.force_login(agent)
    before = Message.objects.count()
    response = client.post(reverse("inbox:reply", args=[conversation.pk]),
                           {"text": "ส่งใบเสร็จให้นะคะ", "files": [pdf()]}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    page = response.content.decode()
    assert FULL in page
    assert "ส่งใบเสร็จให้นะคะ" in page  # the draft is still in the composer
    assert Message.objects.count() == before and not Attachment.objects.exists()
    assert media_files(settings) == []  # the part written before the disk filled up is gone


def test_the_api_answers_400_with_the_reason_and_keeps_nothing(
    client_for: Callable[[Any], Client], agent: Any, conversation: Any, disk: FillingStorage, settings: Any
) -> None:
    disk.room = len(PDF) + 10  # the first file fits, the second does not
    api = client_for(agent)
    before = Message.objects.count()
    response = api.post(f"/api/v1/conversations/{conversation.pk}/messages",
                        {"text": "เอกสารสองฉบับค่ะ", "files": [pdf("หนึ่ง.pdf"), pdf("สอง.pdf")]})
    assert response.status_code == 400
    assert response.json()["detail"] == FULL
    assert Message.objects.count() == before and not Attachment.objects.exists()
    assert media_files(settings) == []  # neither the first (stored) file nor the second's part is left
    assert not Job.objects.filter(name="inbox.deliver_message").exists()

    disk.room = 10 * len(PDF)  # space freed: the same request goes through
    again = api.post(f"/api/v1/conversations/{conversation.pk}/messages",
                     {"text": "เอกสารสองฉบับค่ะ", "files": [pdf("หนึ่ง.pdf"), pdf("สอง.pdf")]})
    assert again.status_code == 201
    assert len(media_files(settings)) == 2


# ---------------------------------------------------------------- visitors uploading in the website chat


def test_a_visitors_upload_gets_the_reason_in_their_language_and_nothing_is_kept(
    client: Client, website: Any, disk: FillingStorage, settings: Any
) -> None:
    response = client.post(f"/widget/{website.key}/upload?lang=en", {
        "visitor": "visitor-token-" + "f" * 30, "client_id": "upload-full-0001", "file": pdf()})
    assert response.status_code == 400
    assert response.json()["error"] == FULL
    assert not Message.objects.exists() and not Attachment.objects.exists()
    assert media_files(settings) == []


# ---------------------------------------------------------------- customers' files coming in


@pytest.fixture
def line_channel(team: Any, line_api: FakeLineApi) -> Any:
    from ruamchat.connectors.actions import create_channel

    return create_channel(actor=None, kind="line", name="LINE ร้านรวมแชท", default_team=team,
                          config={"line_channel_id": "2001234567"},
                          secrets={"channel_secret": LINE_SECRET, "access_token": line_api.access_token})


def test_a_customers_image_is_kept_with_the_reason_and_fetched_again_once_there_is_room(
    client: Client, line_channel: Any, line_api: FakeLineApi, run_jobs: Callable[[], int], agent: Any,
    disk: FillingStorage, settings: Any
) -> None:
    line_api.add_content("551234567890124562", JPEG, "image/jpeg")
    body = fixture_bytes("message_image")
    headers = webhook_headers(body, LINE_SECRET)
    answered = client.post(f"/hooks/line/{line_channel.key}/", body, content_type=headers.pop("content-type"),
                           headers=headers)
    assert answered.status_code == 200
    run_jobs()  # the message is stored; fetching its image fails for lack of room, and is not given up

    message = Message.objects.get()
    attachment = message.attachments.get()
    assert not attachment.file and attachment.data["storage_full"] == 1 and attachment.data.get("fetch")
    assert media_files(settings) == []
    job = Job.objects.get(name="connectors.fetch_attachment")
    assert job.status == Job.Status.QUEUED and job.last_error == "storage_full"
    assert 50 <= (job.run_after - timezone.now()).total_seconds() <= 70  # tried again in a minute

    agent_client = Client()
    agent_client.force_login(agent)
    page = agent_client.get(reverse("inbox:conversation", args=[message.conversation_id])).content.decode()
    assert FULL in page and "trying again later" in page

    # Still full a minute later: noted again, the next try waits longer.
    Job.objects.filter(pk=job.pk).update(run_after=timezone.now())
    run_jobs()
    attachment.refresh_from_db()
    job.refresh_from_db()
    assert attachment.data["storage_full"] == 2 and job.status == Job.Status.QUEUED
    assert 100 <= (job.run_after - timezone.now()).total_seconds() <= 140

    # Space is freed; the next try stores it and the reason goes away.
    disk.room = 10 * len(JPEG)
    Job.objects.filter(pk=job.pk).update(run_after=timezone.now())
    run_jobs()
    attachment.refresh_from_db()
    assert attachment.file.read() == JPEG
    assert "storage_full" not in attachment.data and "fetch" not in attachment.data
    page = agent_client.get(reverse("inbox:conversation", args=[message.conversation_id])).content.decode()
    assert FULL not in page
    assert Job.objects.get(pk=job.pk).status == Job.Status.DONE


def test_when_the_tries_run_out_the_reason_stays(
    client: Client, line_channel: Any, line_api: FakeLineApi, run_jobs: Callable[[], int], disk: FillingStorage
) -> None:
    line_api.add_content("551234567890124562", JPEG, "image/jpeg")
    body = fixture_bytes("message_image")
    headers = webhook_headers(body, LINE_SECRET)
    client.post(f"/hooks/line/{line_channel.key}/", body, content_type=headers.pop("content-type"), headers=headers)
    run_jobs()
    job = Job.objects.get(name="connectors.fetch_attachment")
    for _ in range(job.max_attempts):
        Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(run_after=timezone.now())
        run_jobs()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.attempts == job.max_attempts
    attachment = Attachment.objects.get()
    assert not attachment.file and "fetch" not in attachment.data
    assert attachment.data["storage_full"] == job.max_attempts and attachment.data["unavailable"] == "storage_full"
    assert Message.objects.count() == 1


def test_a_file_that_came_inline_is_marked_and_the_message_kept(
    website: Any, disk: FillingStorage, settings: Any
) -> None:
    from ruamchat.connectors.base import InboundAttachment, InboundMessage
    from ruamchat.inbox.actions import receive_message

    message = receive_message(channel=website, inbound=InboundMessage(
        external_user_id="mail-customer", provider_message_id="<full-disk@example.com>", text="แนบใบเสร็จมาค่ะ",
        attachments=(InboundAttachment(kind="file", filename="ใบเสร็จ.pdf", content_type="application/pdf",
                                       content=PDF),),
    ))
    attachment = message.attachments.get()
    assert message.text == "แนบใบเสร็จมาค่ะ"
    assert not attachment.file and attachment.data["storage_full"] == 1
    assert media_files(settings) == []
