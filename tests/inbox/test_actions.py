from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from ruamchat.inbox import actions
from ruamchat.inbox.models import Conversation, Event, Message
from ruamchat.jobs.models import Job

pytestmark = pytest.mark.django_db


def kinds(conversation: Conversation) -> list[str]:
    return list(conversation.events.order_by("id").values_list("kind", flat=True))


def test_first_message_opens_a_conversation_in_the_channels_default_team(visitor_says: Any, team: Any) -> None:
    message = visitor_says("สวัสดีครับ")
    conversation = message.conversation
    assert conversation.team == team
    assert conversation.status == "open"
    assert conversation.waiting_since is not None
    assert conversation.contact.identities.count() == 1
    assert kinds(conversation) == ["created", "triaged"]


def test_customer_writing_again_continues_the_same_open_conversation(visitor_says: Any) -> None:
    first = visitor_says("สั่งของไปแล้ว")
    second = visitor_says("ยังไม่ได้รับเลยค่ะ")
    assert first.conversation_id == second.conversation_id
    assert Conversation.objects.count() == 1


def test_redelivered_message_is_stored_once(website: Any) -> None:
    from ruamchat.connectors.website.actions import receive_visitor_message

    kwargs = dict(channel=website, visitor_token="v" * 30, client_id="same-client-id", text="ซ้ำ")
    a = receive_visitor_message(**kwargs)
    b = receive_visitor_message(**kwargs)
    assert a.pk == b.pk
    assert Message.objects.count() == 1


def test_message_within_reopen_window_reopens_the_resolved_conversation(
    visitor_says: Any, agent: Any, settings: Any
) -> None:
    conversation = visitor_says("คำถามแรก").conversation
    actions.change_status(conversation=conversation, actor=agent, status="resolved")
    again = visitor_says("ขอถามต่ออีกนิดค่ะ").conversation
    assert again.pk == conversation.pk
    again.refresh_from_db()
    assert again.status == "open"
    assert again.reopened_count == 1
    assert again.resolved_at is None
    assert "reopened" in kinds(again)


def test_message_after_reopen_window_starts_a_new_episode(visitor_says: Any, agent: Any, settings: Any) -> None:
    conversation = visitor_says("คำถามแรก").conversation
    actions.change_status(conversation=conversation, actor=agent, status="resolved")
    Conversation.objects.filter(pk=conversation.pk).update(
        resolved_at=timezone.now() - timedelta(hours=settings.RUAMCHAT["REOPEN_WINDOW_HOURS"] + 1)
    )
    new = visitor_says("สัปดาห์นี้มีปัญหาใหม่ค่ะ").conversation
    assert new.pk != conversation.pk
    conversation.refresh_from_db()
    assert conversation.status == "resolved"  # the old episode keeps its resolution


def test_closed_conversation_never_reopens(visitor_says: Any, agent: Any) -> None:
    conversation = visitor_says("คำถามแรก").conversation
    actions.change_status(conversation=conversation, actor=agent, status="closed")
    assert visitor_says("อีกเรื่องค่ะ").conversation_id != conversation.pk


def test_reply_is_pending_with_its_delivery_job_then_sent_by_the_worker(
    conversation: Any, agent: Any, run_jobs: Any
) -> None:
    reply = actions.send_reply(conversation=conversation, actor=agent, text="ขอเลขคำสั่งซื้อด้วยค่ะ")
    assert reply.status == "pending"
    assert Job.objects.filter(name="inbox.deliver_message", payload={"message_id": reply.pk}).exists()
    run_jobs()
    reply.refresh_from_db()
    assert reply.status == "sent"
    conversation.refresh_from_db()
    assert conversation.first_reply_at is not None
    assert conversation.waiting_since is None
    assert conversation.assignee == agent  # replying to an unassigned conversation takes it


def test_failed_send_retries_then_marks_failed_and_agent_can_retry(
    conversation: Any, agent: Any, run_jobs: Any, monkeypatch: Any
) -> None:
    from ruamchat.connectors.base import SendResult
    from ruamchat.connectors.website.connector import WebsiteConnector
    from ruamchat.jobs.models import Job

    monkeypatch.setattr(WebsiteConnector, "send",
                        lambda self, channel, message: SendResult.failed("provider said 500", retryable=True))
    reply = actions.send_reply(conversation=conversation, actor=agent, text="ลองส่ง")
    for _ in range(5):
        run_jobs()
        Job.objects.filter(status="queued").update(run_after=timezone.now())  # skip the backoff wait
    reply.refresh_from_db()
    assert reply.status == "failed"
    assert "provider said 500" in reply.error
    assert reply.attempts == 5
    assert "send_failed" in kinds(conversation)

    monkeypatch.undo()
    actions.retry_send(message=reply, actor=agent)
    run_jobs()
    reply.refresh_from_db()
    assert reply.status == "sent"
    assert reply.error == ""


def test_permanent_send_failure_is_not_retried(conversation: Any, agent: Any, run_jobs: Any, monkeypatch: Any) -> None:
    from ruamchat.connectors.base import SendResult
    from ruamchat.connectors.website.connector import WebsiteConnector

    monkeypatch.setattr(WebsiteConnector, "send",
                        lambda self, channel, message: SendResult.failed("user blocked us", retryable=False))
    reply = actions.send_reply(conversation=conversation, actor=agent, text="hello")
    run_jobs()
    reply.refresh_from_db()
    assert (reply.status, reply.attempts, reply.error) == ("failed", 1, "user blocked us")


def test_private_note_is_never_delivered(conversation: Any, agent: Any, run_jobs: Any) -> None:
    note = actions.add_note(conversation=conversation, actor=agent, text="ลูกค้า VIP ระวังนะ")
    assert note.is_private
    assert not Job.objects.filter(payload={"message_id": note.pk}).exists()
    conversation.refresh_from_db()
    assert conversation.first_reply_at is None  # a note is not a reply


def test_empty_and_oversized_replies_are_refused(conversation: Any, agent: Any) -> None:
    with pytest.raises(ValidationError):
        actions.send_reply(conversation=conversation, actor=agent, text="   ")
    with pytest.raises(ValidationError):
        actions.send_reply(conversation=conversation, actor=agent, text="ก" * (actions.MAX_TEXT + 1))
    assert conversation.messages.filter(direction="out").count() == 0


@translation.override("en")
def test_upload_type_and_size_are_limited(conversation: Any, agent: Any, settings: Any) -> None:
    exe = SimpleUploadedFile("virus.exe", b"MZ...", content_type="application/x-msdownload")
    with pytest.raises(ValidationError, match="cannot be sent"):
        actions.send_reply(conversation=conversation, actor=agent, text="", uploads=[exe])
    settings.RUAMCHAT = {**settings.RUAMCHAT, "UPLOAD_MAX_BYTES": 10}
    big = SimpleUploadedFile("big.png", b"x" * 11, content_type="image/png")
    with pytest.raises(ValidationError, match="too large"):
        actions.send_reply(conversation=conversation, actor=agent, text="", uploads=[big])
    assert Message.objects.filter(direction="out").count() == 0


def test_reply_with_attachment_keeps_the_file(conversation: Any, agent: Any) -> None:
    image = SimpleUploadedFile("ใบเสร็จ.png", b"\x89PNG fake", content_type="image/png")
    reply = actions.send_reply(conversation=conversation, actor=agent, text="", uploads=[image])
    attachment = reply.attachments.get()
    assert attachment.kind == "image"
    assert attachment.filename == "ใบเสร็จ.png"
    assert attachment.file.read() == b"\x89PNG fake"


def test_transfer_needs_a_reason_and_moves_the_conversation_to_the_other_team(
    conversation: Any, agent: Any, support_team: Any, published: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with pytest.raises(ValidationError):
        actions.transfer(conversation=conversation, actor=agent, team=support_team, reason="  ")
    conversation.refresh_from_db()
    assert conversation.team != support_team

    with django_capture_on_commit_callbacks(execute=True):
        moved = actions.transfer(conversation=conversation, actor=agent, team=support_team, reason="ขอคืนเงิน")
    assert moved.team == support_team and moved.assignee is None
    event = moved.events.get(kind="transferred")
    assert event.data["reason"] == "ขอคืนเงิน"
    assert event.data["from_team_id"] != event.data["to_team_id"] == support_team.pk
    # the receiving team hears about it at once (and so does the old one)
    groups = next(g for g, m in published if m["event"] == "conversation.updated")
    assert f"team.{support_team.pk}" in groups and f"team.{conversation.team_id}" in groups


def test_assign_refuses_an_agent_outside_the_team(conversation: Any, agent: Any, make_agent: Any,
                                                   support_team: Any) -> None:
    outsider = make_agent(teams=[support_team])
    with pytest.raises(ValidationError):
        actions.assign(conversation=conversation, actor=agent, assignee=outsider)
    colleague = make_agent(teams=[conversation.team])
    actions.assign(conversation=conversation, actor=agent, assignee=colleague)
    conversation.refresh_from_db()
    assert conversation.assignee == colleague


def test_claim_takes_unassigned_but_not_a_colleagues_conversation(
    conversation: Any, agent: Any, make_agent: Any
) -> None:
    colleague = make_agent(teams=[conversation.team])
    actions.claim(conversation=conversation, actor=colleague)
    conversation.refresh_from_db()
    with pytest.raises(ValidationError):
        actions.claim(conversation=conversation, actor=agent)
    conversation.refresh_from_db()
    assert conversation.assignee == colleague


def test_agent_of_another_team_cannot_act(conversation: Any, make_agent: Any, support_team: Any) -> None:
    outsider = make_agent(teams=[support_team])
    with pytest.raises(PermissionDenied):
        actions.send_reply(conversation=conversation, actor=outsider, text="hi")
    with pytest.raises(PermissionDenied):
        actions.change_status(conversation=conversation, actor=outsider, status="resolved")


def test_snooze_needs_a_future_time_and_wakes_up(conversation: Any, agent: Any, run_jobs: Any) -> None:
    with pytest.raises(ValidationError):
        actions.change_status(conversation=conversation, actor=agent, status="snoozed",
                              snoozed_until=timezone.now() - timedelta(minutes=1))
    actions.change_status(conversation=conversation, actor=agent, status="snoozed",
                          snoozed_until=timezone.now() + timedelta(hours=1))
    conversation.refresh_from_db()
    assert conversation.status == "snoozed"
    Conversation.objects.filter(pk=conversation.pk).update(snoozed_until=timezone.now())
    Job.objects.filter(name="inbox.wake_snoozed").update(run_after=timezone.now())
    run_jobs()
    conversation.refresh_from_db()
    assert conversation.status == "open"


def test_customer_reply_brings_a_pending_conversation_back(conversation: Any, agent: Any, visitor_says: Any) -> None:
    actions.change_status(conversation=conversation, actor=agent, status="pending")
    visitor_says("ส่งรูปให้แล้วค่ะ")
    conversation.refresh_from_db()
    assert conversation.status == "open"


def test_priority_and_tags_are_recorded_in_the_timeline(conversation: Any, agent: Any) -> None:
    actions.change_priority(conversation=conversation, actor=agent, priority=Conversation.Priority.URGENT)
    actions.tag(conversation=conversation, actor=agent, name="  คืนเงิน ")
    actions.tag(conversation=conversation, actor=agent, name="คืนเงิน")  # twice is once
    actions.untag(conversation=conversation, actor=agent, name="คืนเงิน")
    assert kinds(conversation)[2:] == ["priority_changed", "tagged", "untagged"]
    assert conversation.tags.count() == 0


def test_events_wait_for_the_commit(
    visitor_says: Any, published: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        visitor_says("ทดสอบ")
    assert published == []  # nothing leaves while the transaction could still roll back
    for callback in callbacks:
        callback()
    assert [m["event"] for _, m in published] == ["conversation.created", "message.created"]


def test_receive_publishes_conversation_and_message_events(
    visitor_says: Any, published: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = visitor_says("ทดสอบ")
    types = [m["event"] for _, m in published]
    assert types == ["conversation.created", "message.created"]
    payload = published[1][1]["payload"]
    assert payload["message_id"] == message.pk
    assert "text" not in payload  # events carry ids, never content


def test_event_rows_are_append_only(conversation: Any) -> None:
    event = conversation.events.first()
    event.data = {"tampered": True}
    with pytest.raises(ValueError):
        event.save()
    assert Event.objects.get(pk=event.pk).data != {"tampered": True}
