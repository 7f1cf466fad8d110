"""The conversation page: history, composer, controls, timeline, attachments."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from ruamchat.inbox import actions
from ruamchat.inbox.models import Event, Message
from ruamchat.jobs.models import Job

from .conftest import HTMX

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def test_page_shows_history_composer_and_controls(agent_client: Client, conversation: Any) -> None:
    response = agent_client.get(f"/inbox/c/{conversation.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    first = conversation.messages.get()
    assert f'data-message-id="{first.pk}"' in html
    assert "สวัสดีค่ะ สั่งของไปเมื่อวานยังไม่ได้รับเลย" in html
    for marker in ('id="messages"', 'id="composer"', 'name="text"', 'name="send"', 'id="transfer-form"',
                   'name="team"', 'name="agent"', 'name="reason"', f'data-conversation-id="{conversation.pk}"'):
        assert marker in html
    # every visible input of the transfer form has a label
    for field_id in ("transfer-team", "transfer-agent", "transfer-reason", "composer-text", "assign-agent"):
        assert f'for="{field_id}"' in html


def test_reply_creates_a_pending_message_and_a_delivery_job(agent_client: Client, agent: Any,
                                                            conversation: Any) -> None:
    response = agent_client.post(f"/inbox/c/{conversation.pk}/reply", {"text": "ได้รับเรื่องแล้วค่ะ"})
    assert response.status_code == 302
    message = conversation.messages.latest("id")
    assert message.text == "ได้รับเรื่องแล้วค่ะ"
    assert message.status == Message.Status.PENDING
    assert message.sender_user == agent and not message.is_private
    assert Job.objects.filter(name="inbox.deliver_message", payload__message_id=message.pk).exists()
    html = agent_client.get(f"/inbox/c/{conversation.pk}/").content.decode()
    assert "ได้รับเรื่องแล้วค่ะ" in html
    assert "Sending" in html


def test_htmx_reply_returns_a_fresh_composer_and_asks_for_a_refresh(agent_client: Client, conversation: Any) -> None:
    response = agent_client.post(f"/inbox/c/{conversation.pk}/reply", {"text": "hello"}, **HTMX)
    assert response.status_code == 200
    assert 'id="composer"' in response.content.decode()
    assert "rc:changed" in response["HX-Trigger"]


def test_private_note_is_not_sent_and_is_marked(agent_client: Client, conversation: Any) -> None:
    agent_client.post(f"/inbox/c/{conversation.pk}/reply", {"text": "ลูกค้า VIP", "private": "1"})
    note = conversation.messages.latest("id")
    assert note.is_private
    assert not Job.objects.filter(name="inbox.deliver_message", payload__message_id=note.pk).exists()
    html = agent_client.get(f"/inbox/c/{conversation.pk}/").content.decode()
    assert re.search(rf'class="message outgoing note[^"]*"\s+id="message-{note.pk}"', html)
    assert "Private note" in html


def test_empty_reply_shows_the_error_next_to_the_composer(agent_client: Client, conversation: Any) -> None:
    response = agent_client.post(f"/inbox/c/{conversation.pk}/reply", {"text": "   "}, **HTMX)
    assert response.status_code == 422
    assert "Write a message first." in response.content.decode()
    assert 'id="composer-error"' in response.content.decode()
    assert conversation.messages.count() == 1


def test_transfer_without_reason_shows_the_error_and_changes_nothing(agent_client: Client, conversation: Any,
                                                                    support_team: Any) -> None:
    url = f"/inbox/c/{conversation.pk}/transfer"
    for extra in ({}, HTMX):
        response = agent_client.post(url, {"team": support_team.pk, "reason": "  "}, **extra)
        assert response.status_code == 422
        html = response.content.decode()
        assert "Say why you are transferring this conversation." in html
        assert 'id="transfer-error"' in html
        assert f'<option value="{support_team.pk}" selected>' in html  # the choice is kept
    conversation.refresh_from_db()
    assert conversation.team != support_team
    assert not conversation.events.filter(kind=Event.Kind.TRANSFERRED).exists()


def test_transfer_with_reason_moves_it_and_the_timeline_says_why(client: Client, supervisor: Any,
                                                                 conversation: Any, support_team: Any) -> None:
    client.force_login(supervisor)
    response = client.post(f"/inbox/c/{conversation.pk}/transfer",
                           {"team": support_team.pk, "reason": "ปัญหาเรื่องคืนเงิน"}, **HTMX)
    assert response.status_code == 200
    conversation.refresh_from_db()
    assert conversation.team == support_team
    html = response.content.decode()
    assert "Supa transferred to ทีมซัพพอร์ต: ปัญหาเรื่องคืนเงิน" in html
    assert 'id="conv-side"' in html and 'hx-swap-oob="true"' in html


def test_transferring_away_from_own_sight_goes_back_to_the_inbox(agent_client: Client, conversation: Any,
                                                                 support_team: Any) -> None:
    response = agent_client.post(f"/inbox/c/{conversation.pk}/transfer",
                                 {"team": support_team.pk, "reason": "เรื่องเทคนิค"})
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    assert agent_client.get(f"/inbox/c/{conversation.pk}/").status_code == 404


def test_claim_assign_priority_status_and_tags(agent_client: Client, agent: Any, make_agent: Any, team: Any,
                                               conversation: Any) -> None:
    base = f"/inbox/c/{conversation.pk}"
    agent_client.post(f"{base}/claim")
    conversation.refresh_from_db()
    assert conversation.assignee == agent
    colleague = make_agent(teams=[team], username="kanya")
    agent_client.post(f"{base}/assign", {"agent": colleague.pk})
    agent_client.post(f"{base}/priority", {"priority": 0})
    agent_client.post(f"{base}/tags/add", {"name": "คืนเงิน"})
    agent_client.post(f"{base}/status", {"status": "pending"})
    conversation.refresh_from_db()
    assert conversation.assignee == colleague
    assert conversation.priority == 0
    assert conversation.status == "pending"
    assert list(conversation.tags.values_list("name", flat=True)) == ["คืนเงิน"]
    agent_client.post(f"{base}/tags/remove", {"name": "คืนเงิน"})
    assert not conversation.tags.exists()
    html = agent_client.get(f"{base}/").content.decode()
    assert "Somchai assigned the conversation to Kanya" in html
    assert "Somchai changed the priority from Normal to Urgent" in html
    assert "Somchai removed the tag “คืนเงิน”" in html


def test_assigning_someone_outside_the_team_is_refused_next_to_the_control(
    agent_client: Client, conversation: Any, outsider: Any
) -> None:
    response = agent_client.post(f"/inbox/c/{conversation.pk}/assign", {"agent": outsider.pk}, **HTMX)
    assert response.status_code == 422
    assert 'id="assign-error"' in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_snooze_needs_a_future_time(agent_client: Client, conversation: Any) -> None:
    base = f"/inbox/c/{conversation.pk}/status"
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = agent_client.post(base, {"status": "snoozed", "snoozed_until": past, "control": "snooze"}, **HTMX)
    assert response.status_code == 422
    assert 'id="snooze-error"' in response.content.decode()
    future = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    agent_client.post(base, {"status": "snoozed", "snoozed_until": future, "control": "snooze"})
    conversation.refresh_from_db()
    assert conversation.status == "snoozed"
    assert timezone.localtime(conversation.snoozed_until).strftime("%Y-%m-%dT%H:%M") == future


def test_resolve_then_reopen(agent_client: Client, conversation: Any) -> None:
    base = f"/inbox/c/{conversation.pk}/status"
    agent_client.post(base, {"status": "resolved"})
    conversation.refresh_from_db()
    assert conversation.status == "resolved"
    assert 'id="status-reopen"' in agent_client.get(f"/inbox/c/{conversation.pk}/").content.decode()
    agent_client.post(base, {"status": "open"})
    conversation.refresh_from_db()
    assert conversation.status == "open"


def test_messages_partial_returns_only_what_is_new(agent_client: Client, agent: Any, conversation: Any,
                                                  visitor_says: Any) -> None:
    first = conversation.messages.get()
    second = visitor_says("มีอีกเรื่องค่ะ")
    reply = actions.send_reply(conversation=conversation, actor=agent, text="รับทราบค่ะ")
    url = f"/inbox/c/{conversation.pk}/messages?after={first.pk}&prev={conversation.pk}"
    html = agent_client.get(url, **HTMX).content.decode()
    assert f'data-message-id="{first.pk}"' not in html
    assert f'data-message-id="{second.pk}"' in html and f'data-message-id="{reply.pk}"' in html
    assert "divider" not in html  # same conversation: no divider
    actions.mark_failed(message_id=reply.pk, error="LINE said no")
    html = agent_client.get(f"/inbox/c/{conversation.pk}/messages?after={reply.pk}&ids={reply.pk}").content.decode()
    assert f'data-message-id="{reply.pk}"' in html
    assert "LINE said no" in html and "Retry" in html


def test_history_spans_the_contacts_earlier_conversations_with_dividers(
    agent_client: Client, agent: Any, conversation: Any, visitor_says: Any
) -> None:
    actions.change_status(conversation=conversation, actor=agent, status="closed")
    later = visitor_says("กลับมาอีกแล้วค่ะ").conversation
    assert later.pk != conversation.pk
    html = agent_client.get(f"/inbox/c/{later.pk}/").content.decode()
    assert html.count('class="divider') == 2
    assert "สวัสดีค่ะ สั่งของไปเมื่อวานยังไม่ได้รับเลย" in html and "กลับมาอีกแล้วค่ะ" in html
    assert f'href="/inbox/c/{conversation.pk}/"' in html  # earlier conversations, linked


def test_retry_puts_a_failed_message_back_in_the_queue(agent_client: Client, agent: Any, conversation: Any) -> None:
    reply = actions.send_reply(conversation=conversation, actor=agent, text="hello")
    actions.mark_failed(message_id=reply.pk, error="timeout")
    response = agent_client.post(f"/inbox/c/{conversation.pk}/messages/{reply.pk}/retry", **HTMX)
    assert response.status_code == 200
    reply.refresh_from_db()
    assert reply.status == Message.Status.PENDING
    assert Job.objects.filter(name="inbox.deliver_message", payload__message_id=reply.pk).count() == 2
    again = agent_client.post(f"/inbox/c/{conversation.pk}/messages/{reply.pk}/retry", **HTMX)
    assert again.status_code == 422
    assert "Only a message that failed can be sent again." in again.content.decode()


def test_state_partial_has_header_and_side_panel(agent_client: Client, conversation: Any) -> None:
    html = agent_client.get(f"/inbox/c/{conversation.pk}/state", **HTMX).content.decode()
    assert html.lstrip().startswith('<header id="conv-header"')
    assert 'id="conv-side"' in html and "Conversation started on Website chat" in html


def _upload(agent_client: Client, conversation: Any, name: str, content: bytes, content_type: str) -> Any:
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    response = agent_client.post(f"/inbox/c/{conversation.pk}/reply", {"text": "", "files": [upload]})
    assert response.status_code == 302, response.content
    return conversation.messages.latest("id").attachments.get()


def test_attachment_download_checks_access_and_sends_nosniff(agent_client: Client, client: Client,
                                                             conversation: Any, outsider: Any) -> None:
    image = _upload(agent_client, conversation, "slip.png", PNG, "image/png")
    html = agent_client.get(f"/inbox/c/{conversation.pk}/").content.decode()
    assert f'<img src="/inbox/attachments/{image.pk}/"' in html
    response = agent_client.get(f"/inbox/attachments/{image.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]

    text = _upload(agent_client, conversation, "notes.txt", b"<script>alert(1)</script>", "text/plain")
    response = agent_client.get(f"/inbox/attachments/{text.pk}/")
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"

    agent_client.logout()
    agent_client.force_login(outsider)
    assert agent_client.get(f"/inbox/attachments/{image.pk}/").status_code == 404
    assert agent_client.get("/inbox/attachments/999999/").status_code == 404


def test_too_many_or_forbidden_files_are_refused(agent_client: Client, conversation: Any) -> None:
    upload = SimpleUploadedFile("run.exe", b"MZ", content_type="application/x-msdownload")
    response = agent_client.post(f"/inbox/c/{conversation.pk}/reply", {"text": "x", "files": [upload]}, **HTMX)
    assert response.status_code == 422
    assert "this type of file cannot be sent" in response.content.decode()
    assert conversation.messages.count() == 1


def test_canned_response_lookup_returns_matches(agent_client: Client, support_team: Any) -> None:
    actions.save_canned_response(actor=None, shortcut="refund", title="ขั้นตอนคืนเงิน",
                                 text="การคืนเงินใช้เวลา 7-14 วันทำการค่ะ")
    actions.save_canned_response(actor=None, shortcut="hello", title="ทักทาย", text="สวัสดีค่ะ")
    actions.save_canned_response(actor=None, shortcut="refund-tech", title="secret", text="support only",
                                 team=support_team)
    html = agent_client.get("/inbox/canned?q=/ref", **HTMX).content.decode()
    assert "/refund" in html and 'data-text="การคืนเงินใช้เวลา 7-14 วันทำการค่ะ"' in html
    assert "/hello" not in html
    assert "support only" not in html  # another team's canned response
    assert "canned-option" not in agent_client.get("/inbox/canned?q=zzz").content.decode()
