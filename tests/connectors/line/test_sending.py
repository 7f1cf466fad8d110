"""Replies from the inbox to LINE customers: the free reply token when it is still good, else a push
that a retry can never deliver twice."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ruamchat.inbox.actions import send_reply
from ruamchat.inbox.models import Conversation, Event, Message
from ruamchat.jobs.models import Job
from tests.connectors.line.conftest import CUSTOMER, GROUP, fresh
from tests.fakes.line_api import FakeLineApi

pytestmark = pytest.mark.django_db

REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"


@pytest.fixture
def customer_wrote(deliver: Callable[..., Any], run_jobs: Callable[[], int],
                   line_api: FakeLineApi) -> Callable[..., Conversation]:
    """The customer writes now (``live``: LINE issued a reply token that is still good) or long ago."""

    def write(*, live: bool = True, name: str = "message_text") -> Conversation:
        if live:
            body = fresh(name)
            import json

            token = json.loads(body)["events"][0]["replyToken"]
            line_api.issue_reply_token(token=token, to=CUSTOMER)
            deliver(body)
        else:
            deliver(name)
        run_jobs()
        return Conversation.objects.get(identity__external_id=CUSTOMER)

    return write


def reply(conversation: Conversation, agent: Any, text: str = "ได้เลยค่ะ เดี๋ยวเช็กให้นะคะ", **kwargs: Any) -> Message:
    return send_reply(conversation=conversation, actor=agent, text=text, **kwargs)


def test_a_reply_while_the_token_is_fresh_uses_the_free_reply_api(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    message = reply(customer_wrote(), agent)
    run_jobs()
    message.refresh_from_db()
    assert message.status == "sent" and message.error == ""
    assert [d.via for d in line_api.delivered] == ["reply"]
    assert line_api.texts_to(CUSTOMER) == ["ได้เลยค่ะ เดี๋ยวเช็กให้นะคะ"]
    assert message.provider_message_id == line_api.delivered[0].sent_messages[0]["id"]
    assert not line_api.calls_to(PUSH)


def test_a_reply_token_is_used_once_the_next_reply_is_pushed(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    conversation = customer_wrote()
    reply(conversation, agent, "ข้อความแรก")
    run_jobs()
    reply(conversation, agent, "ข้อความที่สอง")
    run_jobs()
    assert [(d.via, d.texts) for d in line_api.delivered] == [("reply", ["ข้อความแรก"]), ("push", ["ข้อความที่สอง"])]
    assert [c.status for c in line_api.calls_to(REPLY)] == [200]  # the used token was never tried again


def test_a_reply_after_the_token_window_is_pushed_with_a_retry_key(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    message = reply(customer_wrote(live=False), agent)
    run_jobs()
    message.refresh_from_db()
    assert message.status == "sent"
    assert not line_api.calls_to(REPLY)
    (push,) = line_api.calls_to(PUSH)
    assert push.json["to"] == CUSTOMER and push.json["messages"] == [{"type": "text", "text": "ได้เลยค่ะ เดี๋ยวเช็กให้นะคะ"}]
    assert uuid.UUID(push.headers["x-line-retry-key"])


def test_an_expired_reply_token_falls_back_to_push(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    conversation = customer_wrote()
    line_api.expire_reply_token(conversation.messages.get().metadata["line"]["reply_token"])
    message = reply(conversation, agent)
    run_jobs()
    message.refresh_from_db()
    assert message.status == "sent"
    assert [c.status for c in line_api.calls_to(REPLY)] == [400]
    assert [d.via for d in line_api.delivered] == ["push"] and line_api.delivered[0].retry_key


def test_a_push_retried_after_a_server_error_reaches_the_customer_once(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int],
    run_due_jobs: Callable[[], int], line_api: FakeLineApi,
) -> None:
    conversation = customer_wrote(live=False)
    line_api.fail_next(PUSH, 500, after_delivery=True)  # LINE took it, but the answer was an error
    message = reply(conversation, agent)
    run_jobs()
    message.refresh_from_db()
    assert message.status == "pending" and message.error  # will be retried
    run_due_jobs()
    message.refresh_from_db()
    assert message.status == "sent"
    assert [c.status for c in line_api.calls_to(PUSH)] == [500, 409]
    assert len({c.headers["x-line-retry-key"] for c in line_api.calls_to(PUSH)}) == 1
    assert line_api.texts_to(CUSTOMER) == ["ได้เลยค่ะ เดี๋ยวเช็กให้นะคะ"]  # once


def test_a_rate_limited_push_is_retried_later(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int],
    run_due_jobs: Callable[[], int], line_api: FakeLineApi,
) -> None:
    conversation = customer_wrote(live=False)
    line_api.fail_next(PUSH, 429)
    message = reply(conversation, agent)
    run_jobs()
    message.refresh_from_db()
    assert message.status == "pending" and "rate limit" in message.error
    assert Job.objects.get(name="inbox.deliver_message").status == "queued"
    run_due_jobs()
    message.refresh_from_db()
    assert message.status == "sent" and len(line_api.delivered) == 1


def test_a_refusal_from_line_marks_the_message_failed_with_lines_own_words(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    conversation = customer_wrote(live=False)
    line_api.fail_next(PUSH, 400, {"message": "The request body has 1 error(s)",
                                   "details": [{"message": "May not be empty", "property": "messages[0].text"}]})
    message = reply(conversation, agent)
    run_jobs()
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.error == "The request body has 1 error(s): messages[0].text: May not be empty"
    assert Event.objects.filter(conversation=conversation, kind="send_failed").exists()
    assert len(line_api.calls_to(PUSH)) == 1  # not retried


def test_a_reply_to_a_customer_who_blocked_the_account_fails_with_a_clear_reason(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int],
    deliver: Callable[..., Any], line_api: FakeLineApi,
) -> None:
    conversation = customer_wrote(live=False)
    deliver("unfollow")
    run_jobs()
    message = reply(conversation, agent)
    run_jobs()
    message.refresh_from_db()
    assert message.status == "failed" and "บล็อก" in message.error  # the message is stored in Thai, the default language
    assert not line_api.delivered


def test_text_longer_than_lines_limit_is_split_into_several_messages(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    paragraph = "สินค้าจะจัดส่งภายในสามวันทำการค่ะ " * 400  # about 13,600 characters
    message = reply(customer_wrote(), agent, paragraph.strip())
    run_jobs()
    message.refresh_from_db()
    assert message.status == "sent"
    texts = line_api.texts_to(CUSTOMER)
    assert len(texts) == 3 and all(len(t) <= 5000 for t in texts)
    assert " ".join(texts) == paragraph.strip()


def test_more_than_five_pieces_go_out_as_a_reply_then_a_push_each_once(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int],
    run_due_jobs: Callable[[], int], line_api: FakeLineApi,
) -> None:
    conversation = customer_wrote()
    line_api.fail_next(PUSH, 503)
    files = [SimpleUploadedFile(f"เอกสาร-{i}.pdf", b"%PDF", content_type="application/pdf") for i in range(3)]
    message = reply(conversation, agent, ("ก" * 4999 + " ") * 3, uploads=files)  # 3 text pieces + 3 links
    run_jobs()
    message.refresh_from_db()
    assert message.status == "pending"  # the reply went out, the push of the rest did not
    run_due_jobs()
    message.refresh_from_db()
    assert message.status == "sent"
    assert [(d.via, len(d.messages)) for d in line_api.delivered] == [("reply", 5), ("push", 1)]
    assert [c.status for c in line_api.calls_to(REPLY)] == [200]  # the retry did not send the first five again


def test_quick_replies_become_line_quick_reply_buttons_on_the_last_message(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    items = [{"label": "ติดตามพัสดุ", "text": "ติดตามพัสดุ"}, {"label": "ให้คะแนน 5 ดาว", "data": "csat=5"}]
    items += [{"label": f"ตัวเลือก {i}", "text": str(i)} for i in range(20)]
    reply(customer_wrote(), agent, "เลือกได้เลยค่ะ", quick_replies=items)
    run_jobs()
    (sent,) = line_api.messages_to(CUSTOMER)
    buttons = sent["quickReply"]["items"]
    assert len(buttons) == 13
    assert buttons[0] == {"type": "action", "action": {"type": "message", "label": "ติดตามพัสดุ", "text": "ติดตามพัสดุ"}}
    assert buttons[1]["action"] == {"type": "postback", "label": "ให้คะแนน 5 ดาว", "data": "csat=5",
                                    "displayText": "ให้คะแนน 5 ดาว"}


def test_an_image_goes_out_as_a_native_image_whose_signed_link_serves_the_file(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    photo = SimpleUploadedFile("ใบเสร็จ.jpg", b"\xff\xd8\xff\xe0jpeg-bytes", content_type="image/jpeg")
    reply(customer_wrote(), agent, "นี่ใบเสร็จค่ะ", uploads=[photo])
    run_jobs()
    text, image = line_api.messages_to(CUSTOMER)
    assert text == {"type": "text", "text": "นี่ใบเสร็จค่ะ"}
    assert image["type"] == "image" and image["originalContentUrl"] == image["previewImageUrl"]
    assert image["originalContentUrl"].startswith("https://ruamchat.example/line/files/")

    response = Client().get(image["originalContentUrl"].removeprefix("https://ruamchat.example"))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"\xff\xd8\xff\xe0jpeg-bytes"


def test_a_video_goes_out_as_a_native_video_with_a_preview_image(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    clip = SimpleUploadedFile("วิธีใช้.mp4", b"mp4", content_type="video/mp4")
    reply(customer_wrote(), agent, "", uploads=[clip])
    run_jobs()
    (video,) = line_api.messages_to(CUSTOMER)
    assert video["type"] == "video" and video["originalContentUrl"].startswith("https://ruamchat.example/line/files/")
    preview = video["previewImageUrl"]
    assert preview.startswith("https://ruamchat.example/") and preview.endswith(".png")


def test_other_files_go_out_as_a_link(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    pdf = SimpleUploadedFile("ใบกำกับภาษี.pdf", b"%PDF-1.4 invoice", content_type="application/pdf")
    reply(customer_wrote(), agent, "", uploads=[pdf])
    run_jobs()
    (link,) = line_api.texts_to(CUSTOMER)
    name, url = link.split("\n")
    assert name == "📎 ใบกำกับภาษี.pdf"
    response = Client().get(url.removeprefix("https://ruamchat.example"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"%PDF-1.4 invoice"


def test_a_forged_or_expired_file_link_is_refused(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    from datetime import timedelta

    from django.core import signing

    from ruamchat.connectors.line import files

    pdf = SimpleUploadedFile("a.pdf", b"%PDF", content_type="application/pdf")
    message = reply(customer_wrote(), agent, "", uploads=[pdf])
    run_jobs()
    attachment = message.attachments.get()
    assert Client().get(f"/line/files/{attachment.pk}/").status_code == 404
    old = signing.TimestampSigner(salt=files.SALT)
    token = old.sign_object(attachment.pk)
    assert Client().get(f"/line/files/{token}/").status_code == 200
    stale = signing.TimestampSigner(salt=files.SALT).sign_object(attachment.pk)
    original = files.FILES.max_age
    files.FILES.max_age = timedelta(seconds=-1)
    try:
        assert Client().get(f"/line/files/{stale}/").status_code == 404
    finally:
        files.FILES.max_age = original
    note = Message.objects.create(conversation=message.conversation, channel=message.channel, direction="out",
                                  sender_type="agent", is_private=True, text="note")
    private = note.attachments.create(kind="file", filename="secret.pdf", file=attachment.file.name)
    assert Client().get(f"/line/files/{old.sign_object(private.pk)}/").status_code == 404


def test_a_reply_in_a_group_goes_to_the_group(
    deliver: Callable[..., Any], run_jobs: Callable[[], int], agent: Any, line_api: FakeLineApi
) -> None:
    deliver("message_group_text")
    run_jobs()
    conversation = Conversation.objects.get(identity__external_id=GROUP)
    reply(conversation, agent, "ตรวจสอบแล้วค่ะ พัสดุออกจากคลังวันนี้")
    run_jobs()
    assert line_api.texts_to(GROUP) == ["ตรวจสอบแล้วค่ะ พัสดุออกจากคลังวันนี้"]


def test_text_is_split_by_lines_count_of_utf16_units_never_inside_an_emoji() -> None:
    from ruamchat.connectors.line.connector import split_text

    text = "😀" * 2600  # 5,200 UTF-16 units
    pieces = split_text(text)
    assert [len(p.encode("utf-16-le")) // 2 for p in pieces] == [5000, 200]
    assert "".join(pieces) == text
    assert split_text("สั้น ๆ") == ["สั้น ๆ"] and split_text("   ") == []
