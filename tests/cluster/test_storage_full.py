"""The attachment storage full, for real: the web process and the worker run with their media directory on a
256 KiB tmpfs (mounted in a mount namespace of their own, so nothing else on the machine sees it), which the test
fills up.

A LINE customer sends an image meanwhile: the message is stored, the agent sees on its attachment that it could
not be stored because the storage is full, and the worker goes on working. An agent's reply with a file is refused
with the same clear reason, and nothing of it is kept. Once space is freed, the download's next try stores the
image."""

from __future__ import annotations

import json
import re
import secrets
import shlex
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.cluster.harness import RUAMCHAT, Api, Cluster, Process, free_port, line_user_id
from tests.fakes.line_api import FakeLineApi, webhook_headers

pytestmark = [pytest.mark.cluster]

PASSWORD = "cluster-admin-password-9"
def _thai(text: str) -> str:
    """What the processes answer: the site's language (Thai) for the admin's pages and the API."""
    from django.utils import translation

    with translation.override("th"):
        return translation.gettext(text)


FULL = _thai("could not be stored: the attachment storage is full")
LATER = _thai("trying again later")
#: a JPEG's worth of bytes (the fake LINE API serves them as the image's content)
IMAGE = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 160 + b"\xff\xd9"


def in_namespace(process: Process, script: str) -> subprocess.CompletedProcess[str]:
    """Run a shell script in ``process``'s mount namespace (where the small tmpfs is)."""
    return subprocess.run(["nsenter", f"--target={process.pid}", "--mount", "sh", "-c", script],
                          capture_output=True, text=True, timeout=60, check=False)


def free_bytes(process: Process, media: Path) -> int:
    done = in_namespace(process, f"df --output=avail -B1 {shlex.quote(str(media))} | tail -n 1")
    return int(done.stdout.strip())


def media_files(process: Process, media: Path) -> list[str]:
    done = in_namespace(process, f"cd {shlex.quote(str(media))} && find . -type f | sort")
    return [line[2:] for line in done.stdout.split()]


def image_webhook(channel_secret: str, destination: str, user_id: str, message_id: str) -> tuple[bytes, dict[str, str]]:
    event = {
        "type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
        "message": {"type": "image", "id": message_id, "contentProvider": {"type": "line"},
                    "quoteToken": secrets.token_urlsafe(24)},
        "webhookEventId": f"01STORAGEFULL{secrets.token_hex(6).upper()}",
        "deliveryContext": {"isRedelivery": False},
        "source": {"type": "user", "userId": user_id},
        "replyToken": secrets.token_hex(16),
    }
    body = json.dumps({"destination": destination, "events": [event]}, separators=(",", ":")).encode()
    return body, webhook_headers(body, channel_secret)


def signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=True)
    client.get("/login/")
    answer = client.post("/login/", data={"username": "admin", "password": PASSWORD,
                                          "csrfmiddlewaretoken": client.cookies["csrftoken"]})
    assert "/inbox/" in str(answer.url), answer.text[:500]
    return client


def attachment_state(cluster: Cluster, message_id: int) -> tuple[str, dict[str, object]]:
    [(name, data)] = cluster.database.query("SELECT file, data FROM inbox_attachment WHERE message_id = %s",
                                            (message_id,))
    return str(name), dict(data)


def test_full_attachment_storage_keeps_the_message_says_why_and_stores_the_file_once_there_is_room(
    cluster: Cluster, line: FakeLineApi
) -> None:
    media = cluster.data_dir / "media"
    media.mkdir(parents=True, exist_ok=True)
    port = free_port()
    # The web process gets a mount namespace of its own with a 256 KiB tmpfs on the media directory; the worker
    # joins that namespace, so both see the same small disk, and nothing outside them does.
    mount_and_serve = (f"mount -t tmpfs -o size=256k tmpfs {shlex.quote(str(media))} && exec {shlex.quote(RUAMCHAT)} "
                       f"serve --no-worker --host 127.0.0.1 --port {port}")
    web = cluster.spawn("web", ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount_and_serve],
                        port=port)
    token = cluster.create_admin("admin", PASSWORD)
    cluster.wait_http(web)
    assert 0 < free_bytes(web, media) <= 256 * 1024
    worker = cluster.spawn("worker", ["nsenter", f"--target={web.pid}", "--mount", "--",
                                      RUAMCHAT, "worker", "--concurrency", "2"])
    api = Api(web.url, token)
    team_id = api.create_team()["id"]
    channel = api.create_line_channel(team_id)
    customer = line_user_id()
    line.add_profile(customer, "สมหญิง ใจดี")

    # Fill the disk (dd stops at "No space left on device").
    in_namespace(web, f"dd if=/dev/zero of={shlex.quote(str(media / 'filler'))} bs=4k count=1000")
    assert free_bytes(web, media) < len(IMAGE)

    # The customer sends an image: the message is stored, its attachment says why the file is not there.
    line.add_content("840000000000000001", IMAGE, "image/jpeg")
    body, headers = image_webhook(channel.secret, channel.destination, customer, "840000000000000001")
    assert httpx.post(channel.hook_url(web.url), content=body, headers=headers, timeout=30).status_code == 200

    def stored_message() -> int | None:
        rows = cluster.database.query("SELECT id, conversation_id FROM inbox_message WHERE provider_message_id = %s",
                                      ("840000000000000001",))
        return int(rows[0][0]) if rows else None

    cluster.wait(lambda: stored_message() is not None, timeout=60, what="the image message to be stored")
    message_id = stored_message()
    assert message_id is not None
    cluster.wait(lambda: attachment_state(cluster, message_id)[1].get("storage_full") == 1, timeout=60,
                 what="the worker to try the download and note the full storage")
    name, data = attachment_state(cluster, message_id)
    assert name == "" and data.get("fetch")  # no file, and still something to fetch again
    [(conversation_id,)] = cluster.database.query("SELECT conversation_id FROM inbox_message WHERE id = %s",
                                                  (message_id,))
    browser = signed_in(web.url)
    page = browser.get(f"/inbox/c/{conversation_id}/?queue=all").text
    assert FULL in page and LATER in page
    [(run_after_seconds, last_error)] = cluster.database.query(
        "SELECT extract(epoch FROM run_after - now()), last_error FROM jobs_job "
        "WHERE name = 'connectors.fetch_attachment' AND status = 'queued'")
    assert 20 < float(run_after_seconds) <= 75 and last_error == "storage_full"  # tried again in about a minute

    # An agent's reply with a file: refused with the reason, in the inbox and through the API; nothing kept.
    messages_before = len(api.messages(conversation_id))
    files_before = media_files(web, media)
    form = browser.get(f"/inbox/c/{conversation_id}/?queue=all")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert csrf is not None
    refused = browser.post(f"/inbox/c/{conversation_id}/reply", headers={"HX-Request": "true"},
                           data={"text": "ส่งใบเสร็จให้นะคะ", "csrfmiddlewaretoken": csrf.group(1)},
                           files={"files": ("ใบเสร็จ.jpg", IMAGE, "image/jpeg")})
    assert refused.status_code == 422
    assert FULL in refused.text and "ส่งใบเสร็จให้นะคะ" in refused.text  # the reason, and the draft kept
    by_api = api.client.post(f"/conversations/{conversation_id}/messages", data={"text": "ใบเสร็จค่ะ"},
                             files={"files": ("ใบเสร็จ.jpg", IMAGE, "image/jpeg")})
    assert by_api.status_code == 400 and by_api.json()["detail"] == FULL
    assert len(api.messages(conversation_id)) == messages_before
    assert media_files(web, media) == files_before == ["filler"]  # no part-written file left behind

    # Space is freed. The download's next try is due in a minute: bring it forward rather than wait for it.
    in_namespace(web, f"rm {shlex.quote(str(media / 'filler'))}")
    cluster.database.query("UPDATE jobs_job SET run_after = now() WHERE name = 'connectors.fetch_attachment' "
                           "AND status = 'queued' RETURNING id")
    cluster.wait(lambda: attachment_state(cluster, message_id)[0] != "", timeout=90,
                 what="the next try to store the image")
    name, data = attachment_state(cluster, message_id)
    assert "storage_full" not in data and "fetch" not in data
    [attachment] = next(m for m in api.messages(conversation_id) if m["id"] == message_id)["attachments"]
    download = api.client.get(attachment["url"].removeprefix("/api/v1"))
    assert download.status_code == 200 and download.content == IMAGE
    assert FULL not in browser.get(f"/inbox/c/{conversation_id}/?queue=all").text

    # ... and the agent can send files again.
    sent = api.client.post(f"/conversations/{conversation_id}/messages", data={"text": "ใบเสร็จค่ะ"},
                           files={"files": ("ใบเสร็จ.jpg", IMAGE, "image/jpeg")})
    assert sent.status_code == 201, sent.text
    cluster.check_alive()  # the worker (and the web process) lived through it
    assert worker.alive()
    browser.close()
    api.close()
