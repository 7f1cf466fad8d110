"""The widget over HTTP: the loader script, the framed chat page, uploads and attachment links."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ruamchat.connectors.website.connector import ATTACHMENT_SALT, signed_attachment_path
from ruamchat.inbox.models import Attachment, Message

pytestmark = pytest.mark.django_db

VISITOR = "visitor-token-" + "b" * 30
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def post_upload(client: Client, key: str, upload: SimpleUploadedFile, *, lang: str = "en",
                client_id: str = "upload-client-0001", **extra: str) -> Any:
    return client.post(f"/widget/{key}/upload?lang={lang}",
                       {"visitor": VISITOR, "client_id": client_id, "file": upload, **extra})


# ------------------------------------------------------------------ loader


def test_loader_script_is_javascript_with_short_cache(client: Client, website: Any) -> None:
    response = client.get(f"/widget/{website.key}.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "max-age=300" in response["Cache-Control"]
    body = response.content.decode()
    assert json.dumps(website.key) in body  # the channel's config is baked in
    assert "/*RUAMCHAT_CONFIG*/" not in body
    assert "window.RuamChat" in body


def test_loader_for_unknown_key_is_404(client: Client, website: Any) -> None:
    response = client.get("/widget/no-such-widget.js")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/javascript")


def test_loader_for_inactive_channel_is_404(client: Client, website: Any) -> None:
    website.is_active = False
    website.save()
    assert client.get(f"/widget/{website.key}.js").status_code == 404
    assert client.get(f"/widget/{website.key}/frame").status_code == 404


# ------------------------------------------------------------------- frame


def test_chat_page_may_be_framed_by_any_site_but_the_inbox_may_not(client: Client, website: Any) -> None:
    frame = client.get(f"/widget/{website.key}/frame?lang=th")
    assert frame.status_code == 200
    assert "X-Frame-Options" not in frame
    assert client.get("/inbox/")["X-Frame-Options"] == "DENY"
    assert client.get(f"/widget/{website.key}/demo")["X-Frame-Options"] == "DENY"


def test_chat_page_speaks_the_language_asked_for(client: Client, website: Any) -> None:
    thai = client.get(f"/widget/{website.key}/frame?lang=th")
    english = client.get(f"/widget/{website.key}/frame?lang=en")
    assert thai["Content-Language"] == "th" and '<html lang="th">' in thai.content.decode()
    assert english["Content-Language"] == "en" and '<html lang="en">' in english.content.decode()
    assert "No agent online right now — leave a message and we will answer." in english.content.decode()
    config = json.loads(re.search(r'<script id="rc-config" type="application/json">(.*?)</script>',
                                  english.content.decode()).group(1))
    assert config["socketPath"] == f"/ws/widget/{website.key}/"
    assert config["maxChars"] == 5000
    assert config["strings"]["sending"] == "Sending…"


def test_chat_page_escapes_the_channel_name(client: Client, website: Any) -> None:
    website.name = '<script>alert("x")</script>ร้าน'
    website.save()
    body = client.get(f"/widget/{website.key}/frame").content.decode()
    assert '<script>alert("x")</script>' not in body
    assert "&lt;script&gt;" in body


def test_prechat_form_only_when_the_channel_asks_for_it(client: Client, website: Any) -> None:
    without = client.get(f"/widget/{website.key}/frame").context["widget"]
    assert without["prechat"] is False
    website.config = {"prechat": True}
    website.save()
    response = client.get(f"/widget/{website.key}/frame")
    assert response.context["widget"]["prechat"] is True
    assert 'id="rc-prechat-email"' in response.content.decode()


def test_demo_page_embeds_the_loader(client: Client, website: Any) -> None:
    body = client.get(f"/widget/{website.key}/demo").content.decode()
    assert f'src="/widget/{website.key}.js"' in body
    assert client.get("/widget/nope/demo").status_code == 404


# ------------------------------------------------------------------ upload


def test_upload_stores_the_file_once_per_client_id(client: Client, website: Any) -> None:
    first = post_upload(client, website.key, SimpleUploadedFile("ใบเสร็จ.png", PNG, content_type="image/png"))
    again = post_upload(client, website.key, SimpleUploadedFile("ใบเสร็จ.png", PNG, content_type="image/png"))
    assert first.status_code == 200, first.content
    assert first.json()["id"] == again.json()["id"]
    message = Message.objects.get()
    assert message.attachments.get().filename == "ใบเสร็จ.png"
    [shown] = first.json()["message"]["attachments"]
    assert shown["kind"] == "image" and shown["url"].startswith("/widget/files/")


def test_upload_of_a_disallowed_type_is_415_and_stores_nothing(client: Client, website: Any) -> None:
    upload = SimpleUploadedFile("page.html", b"<script>alert(1)</script>", content_type="text/html")
    response = post_upload(client, website.key, upload)
    assert response.status_code == 415
    assert response.json()["error"] == "page.html: this type of file cannot be sent."
    assert not Message.objects.exists() and not Attachment.objects.exists()


def test_upload_too_large_is_413_and_stores_nothing(client: Client, website: Any, settings: Any) -> None:
    settings.RUAMCHAT = {**settings.RUAMCHAT, "UPLOAD_MAX_BYTES": 1024 * 1024}
    big = SimpleUploadedFile("scan.pdf", b"%PDF" + b"0" * (1024 * 1024), content_type="application/pdf")
    response = post_upload(client, website.key, big)
    assert response.status_code == 413
    assert response.json()["error"] == "scan.pdf is too large: files may be at most 1 MB."
    huge = SimpleUploadedFile("scan.pdf", b"%PDF" + b"0" * (2 * 1024 * 1024), content_type="application/pdf")
    refused_unread = post_upload(client, website.key, huge)
    assert refused_unread.status_code == 413
    assert "at most 1 MB" in refused_unread.json()["error"]
    assert not Message.objects.exists() and not Attachment.objects.exists()


def test_upload_errors_are_in_the_visitors_language(client: Client, website: Any) -> None:
    upload = SimpleUploadedFile("page.html", b"<p>", content_type="text/html")
    response = post_upload(client, website.key, upload, lang="th")
    assert response.status_code == 415
    assert response["Content-Type"] == "application/json"


def test_upload_needs_a_valid_visitor_token_and_no_csrf(website: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/widget/{website.key}/upload", {
        "visitor": "short", "client_id": "upload-client-0001",
        "file": SimpleUploadedFile("a.png", PNG, content_type="image/png"),
    })
    assert response.status_code == 400
    assert "ใช้ไม่ได้" in response.json()["error"]  # Thai, the default language
    assert not Message.objects.exists()


def test_upload_to_unknown_widget_is_404(client: Client, website: Any) -> None:
    response = post_upload(client, "nope", SimpleUploadedFile("a.png", PNG, content_type="image/png"))
    assert response.status_code == 404


# ------------------------------------------------------------- attachments


def test_image_attachment_is_served_inline_with_nosniff(client: Client, website: Any) -> None:
    post_upload(client, website.key, SimpleUploadedFile("รูป.png", PNG, content_type="image/png"))
    attachment = Attachment.objects.get()
    response = client.get(signed_attachment_path(attachment))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content) == PNG


def test_other_attachments_are_downloads(client: Client, website: Any) -> None:
    post_upload(client, website.key, SimpleUploadedFile("notes.txt", b"<b>hi</b>", content_type="text/plain"))
    response = client.get(signed_attachment_path(Attachment.objects.get()))
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "text/plain"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_bad_signature_is_404(client: Client, website: Any) -> None:
    post_upload(client, website.key, SimpleUploadedFile("a.png", PNG, content_type="image/png"))
    path = signed_attachment_path(Attachment.objects.get())
    assert client.get(path[:-3] + "xx/").status_code == 404
    assert client.get("/widget/files/1/").status_code == 404


def test_private_note_attachments_are_never_served(client: Client, agent: Any, conversation: Any) -> None:
    from ruamchat.inbox.actions import add_note

    note = add_note(conversation=conversation, actor=agent, text="internal",
                    uploads=[SimpleUploadedFile("secret.png", PNG, content_type="image/png")])
    attachment = note.attachments.get()
    assert client.get(f"/widget/files/{signing.dumps(attachment.pk, salt=ATTACHMENT_SALT)}/").status_code == 404
