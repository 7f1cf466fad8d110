"""Replies to Messenger and Instagram customers through the Send API, inside Meta's messaging windows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ruamchat.inbox.actions import send_reply
from ruamchat.inbox.models import Conversation, Message
from tests.connectors.meta.conftest import CUSTOMER, IG_CUSTOMER, IG_ID, PAGE_ID, body, text_item
from tests.fakes.graph_api import FakeGraphApi

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer_wrote(messenger: Any, deliver: Callable[..., Any], run_jobs: Callable[[], int],
                   graph_api: FakeGraphApi) -> Callable[..., Conversation]:
    """The customer wrote ``ago`` (the fake Graph API keeps the same window as Meta)."""

    def write(ago: timedelta = timedelta(minutes=1)) -> Conversation:
        deliver(messenger, body(text_item("สั่งเสื้อไปเมื่อวาน ยังไม่ได้เลขพัสดุค่ะ")))
        run_jobs()
        when = timezone.now() - ago
        Message.objects.filter(direction="in").update(created_at=when)
        graph_api.last_user_message(CUSTOMER, when)
        return Conversation.objects.get(identity__external_id=CUSTOMER)

    return write


def reply(conversation: Conversation, actor: Any, text: str = "ได้เลยค่ะ เดี๋ยวเช็กให้นะคะ",
          **kwargs: Any) -> Message:
    return send_reply(conversation=conversation, actor=actor, text=text, **kwargs)


def test_a_reply_within_24_hours_is_a_normal_response(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int], graph_api: FakeGraphApi
) -> None:
    message = reply(customer_wrote(timedelta(hours=23)), agent)
    run_jobs()
    message.refresh_from_db()
    assert message.status == "sent" and message.error == ""
    [sent] = graph_api.delivered_to(CUSTOMER)
    assert (sent.sender_id, sent.messaging_type, sent.tag) == (PAGE_ID, "RESPONSE", None)
    assert sent.text == "ได้เลยค่ะ เดี๋ยวเช็กให้นะคะ"
    assert message.provider_message_id == sent.message_id  # so the echo of this send matches it


def test_a_person_answering_after_25_hours_sends_with_the_human_agent_tag(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int], graph_api: FakeGraphApi
) -> None:
    conversation = customer_wrote(timedelta(hours=25))
    message = reply(conversation, agent)
    run_jobs()
    message.refresh_from_db()
    assert message.status == "sent"
    [sent] = graph_api.delivered_to(CUSTOMER)
    assert (sent.messaging_type, sent.tag) == ("MESSAGE_TAG", "HUMAN_AGENT")


def test_the_bot_may_not_answer_after_24_hours(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int], graph_api: FakeGraphApi
) -> None:
    from ruamchat.connectors import registry

    conversation = customer_wrote(timedelta(hours=25))
    window = registry.get("messenger").reply_window(conversation.channel, conversation, human=False)
    assert not window.allowed and "ตอบได้เฉพาะพนักงาน" in window.reason
    try:
        message = reply(conversation, agent, "แบบสอบถามความพึงพอใจ", sender_type="bot")
    except Exception:  # the lead's send_reply may refuse it before it is queued: also right
        assert not graph_api.calls_to("/messages")
        return
    run_jobs()
    message.refresh_from_db()
    assert message.status == "failed" and "ตอบได้เฉพาะพนักงาน" in message.error
    assert not graph_api.calls_to("/messages")


def test_after_7_days_nothing_is_sent_and_the_agent_is_told_why(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int], graph_api: FakeGraphApi
) -> None:
    from ruamchat.connectors import registry

    conversation = customer_wrote(timedelta(days=8))
    window = registry.get("messenger").reply_window(conversation.channel, conversation, human=True)
    assert not window.allowed and "ผ่านไปเกิน 7 วัน" in window.reason
    try:
        message = reply(conversation, agent)
    except Exception as exc:  # refused up front by send_reply, with the same reason
        assert "7 วัน" in str(exc)
        assert not graph_api.calls_to("/messages")
        return
    run_jobs()
    message.refresh_from_db()
    assert message.status == "failed" and "ผ่านไปเกิน 7 วัน" in message.error
    assert not graph_api.calls_to("/messages")


def test_a_server_error_is_retried_and_the_customer_gets_the_message_once(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int],
    run_due_jobs: Callable[[], int], graph_api: FakeGraphApi
) -> None:
    conversation = customer_wrote()
    graph_api.fail_next("/messages", 500)
    message = reply(conversation, agent)
    run_jobs()
    message.refresh_from_db()
    assert message.status == "pending" and "unexpected error" in message.error
    run_due_jobs()
    message.refresh_from_db()
    assert message.status == "sent"
    assert graph_api.texts_to(CUSTOMER) == ["ได้เลยค่ะ เดี๋ยวเช็กให้นะคะ"]


def test_a_rate_limit_is_retried(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int],
    run_due_jobs: Callable[[], int], graph_api: FakeGraphApi
) -> None:
    conversation = customer_wrote()
    graph_api.fail_next("/messages", 400, {"message": "(#613) Calls to this api have exceeded the rate limit.",
                                           "type": "OAuthException", "code": 613})
    message = reply(conversation, agent)
    run_jobs()
    run_due_jobs()
    message.refresh_from_db()
    assert message.status == "sent" and len(graph_api.delivered_to(CUSTOMER)) == 1


def test_a_permanent_error_marks_the_message_failed_with_metas_words(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int], graph_api: FakeGraphApi
) -> None:
    conversation = customer_wrote()
    graph_api.fail_next_not_available()
    message = reply(conversation, agent)
    run_jobs()
    message.refresh_from_db()
    assert message.status == "failed" and message.error == "(#551) This person isn't available right now."
    assert len(graph_api.calls_to("/messages")) == 1


def test_long_text_is_split_and_quick_replies_ride_on_the_last_piece(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int], graph_api: FakeGraphApi
) -> None:
    text = ("ข้อความยาว " * 300).strip()
    quick = [{"label": "ติดตามพัสดุ", "text": "ขอเลขพัสดุ"}, {"label": "ให้คะแนน 5", "data": "csat:5"}]
    message = reply(customer_wrote(), agent, text, quick_replies=quick)
    run_jobs()
    message.refresh_from_db()
    sent = graph_api.delivered_to(CUSTOMER)
    assert message.status == "sent" and len(sent) == 2
    assert all(len(d.text or "") <= 2000 for d in sent)
    assert " ".join((d.text or "").strip() for d in sent).split() == text.split()
    assert "quick_replies" not in sent[0].message
    assert sent[1].message["quick_replies"] == [
        {"content_type": "text", "title": "ติดตามพัสดุ", "payload": "ขอเลขพัสดุ"},
        {"content_type": "text", "title": "ให้คะแนน 5", "payload": "csat:5"},
    ]


def test_an_image_goes_out_as_a_signed_link_meta_can_fetch(
    customer_wrote: Callable[..., Conversation], agent: Any, run_jobs: Callable[[], int],
    graph_api: FakeGraphApi, client: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 100 + b"\xff\xd9"
    upload = SimpleUploadedFile("slip.jpg", jpeg, content_type="image/jpeg")
    message = reply(customer_wrote(), agent, "", uploads=[upload])
    run_jobs()
    message.refresh_from_db()
    [sent] = graph_api.delivered_to(CUSTOMER)
    attachment = sent.message["attachment"]
    assert message.status == "sent" and attachment["type"] == "image"
    url = attachment["payload"]["url"]
    assert url.startswith("https://ruamchat.example/meta/files/")
    fetched = client.get(url.removeprefix("https://ruamchat.example"))
    assert fetched.status_code == 200 and b"".join(fetched.streaming_content) == jpeg
    assert client.get(url.removeprefix("https://ruamchat.example")[:-3] + "xx/").status_code == 404


def test_instagram_replies_go_to_the_instagram_account(
    instagram: Any, deliver: Callable[..., Any], run_jobs: Callable[[], int], agent: Any,
    graph_api: FakeGraphApi
) -> None:
    deliver(instagram, body(text_item("ยังมีไซส์ M ไหมคะ", sender=IG_CUSTOMER, recipient=IG_ID), kind="instagram"))
    run_jobs()
    conversation = Conversation.objects.get(identity__external_id=IG_CUSTOMER)
    message = reply(conversation, agent, "มีค่ะ")
    run_jobs()
    message.refresh_from_db()
    [sent] = graph_api.delivered_to(IG_CUSTOMER)
    assert message.status == "sent" and (sent.sender_id, sent.text) == (IG_ID, "มีค่ะ")
