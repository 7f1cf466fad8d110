"""Conversations through the API: what an agent sees, and what they do with it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from ruamchat.inbox.actions import mark_failed
from ruamchat.inbox.models import Conversation, Event, Message
from ruamchat.jobs.models import Job

pytestmark = pytest.mark.django_db

URL = "/api/v1/conversations"


def test_an_agent_lists_only_the_conversations_of_their_teams(
    agent_api: Client, conversation: Any, other_team_conversation: Any
) -> None:
    body = agent_api.get(URL, {"queue": "all"}).json()
    assert [item["id"] for item in body["items"]] == [conversation.pk]
    assert body["count"] == 1
    item = body["items"][0]
    assert item["team"]["name"] == "ทีมบริการลูกค้า"
    assert item["priority"] == "normal"
    assert item["status"] == "open"
    assert item["last_message_preview"].startswith("สวัสดีค่ะ")


def test_another_teams_conversation_is_a_404_like_one_that_does_not_exist(
    agent_api: Client, other_team_conversation: Any
) -> None:
    hidden = agent_api.get(f"{URL}/{other_team_conversation.pk}")
    missing = agent_api.get(f"{URL}/999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == {"detail": "Conversation not found."}
    assert agent_api.post(f"{URL}/{other_team_conversation.pk}/claim").status_code == 404
    assert agent_api.get(f"{URL}/{other_team_conversation.pk}/messages").status_code == 404


def test_a_supervisor_sees_every_team(
    client_for: Callable[[Any], Client], supervisor: Any, conversation: Any, other_team_conversation: Any
) -> None:
    body = client_for(supervisor).get(URL, {"queue": "all"}).json()
    assert {item["id"] for item in body["items"]} == {conversation.pk, other_team_conversation.pk}


def test_one_conversation_comes_with_contact_team_assignee_and_tags(
    agent_api: Client, agent: Any, conversation: Any
) -> None:
    agent_api.post(f"{URL}/{conversation.pk}/claim")
    agent_api.post(f"{URL}/{conversation.pk}/tags", {"add": ["คืนเงิน"]}, content_type="application/json")
    body = agent_api.get(f"{URL}/{conversation.pk}").json()
    assert body["contact"]["id"] == conversation.contact_id
    assert body["channel"]["kind"] == "website"
    assert body["team"]["kind"] == "service"
    assert body["assignee"] == {"id": agent.pk, "name": "Somchai"}
    assert [tag["name"] for tag in body["tags"]] == ["คืนเงิน"]
    # times carry the site's offset (Asia/Bangkok)
    assert body["created_at"].endswith("+07:00")


def test_a_reply_is_stored_pending_with_its_delivery_job_and_then_sent(
    agent_api: Client, conversation: Any, run_jobs: Callable[[], int]
) -> None:
    response = agent_api.post(
        f"{URL}/{conversation.pk}/messages", {"text": "ได้รับเรื่องแล้วค่ะ"}, content_type="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"
    assert body["direction"] == "out" and body["is_private"] is False
    assert body["sender"]["name"] == "Somchai"
    job = Job.objects.get(name="inbox.deliver_message")
    assert job.payload == {"message_id": body["id"]}

    run_jobs()
    messages = agent_api.get(f"{URL}/{conversation.pk}/messages").json()["items"]
    assert [(m["text"], m["status"]) for m in messages][-1] == ("ได้รับเรื่องแล้วค่ะ", "sent")


def test_a_reply_with_a_file_and_its_download(agent_api: Client, conversation: Any) -> None:
    upload = SimpleUploadedFile("ใบเสร็จ.pdf", b"%PDF-1.4 receipt", content_type="application/pdf")
    response = agent_api.post(f"{URL}/{conversation.pk}/messages", {"text": "ใบเสร็จค่ะ", "files": [upload]})
    assert response.status_code == 201
    [attachment] = response.json()["attachments"]
    assert attachment["filename"] == "ใบเสร็จ.pdf" and attachment["size"] == 16
    download = agent_api.get(attachment["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 receipt"  # type: ignore[attr-defined]
    assert download["Content-Disposition"].startswith("attachment")


def test_an_empty_reply_is_refused_with_the_inboxs_message(agent_api: Client, conversation: Any) -> None:
    response = agent_api.post(f"{URL}/{conversation.pk}/messages", {"text": "  "}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Write a message first.", "errors": {"__all__": ["Write a message first."]}}
    broken = agent_api.post(f"{URL}/{conversation.pk}/messages", "{not json", content_type="application/json")
    assert broken.status_code == 400
    assert "JSON" in broken.json()["detail"]


def test_a_note_is_private(agent_api: Client, conversation: Any) -> None:
    response = agent_api.post(f"{URL}/{conversation.pk}/notes", {"text": "ลูกค้า VIP"}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["is_private"] is True
    assert not Job.objects.filter(name="inbox.deliver_message").exists()


def test_a_failed_message_can_be_retried(agent_api: Client, conversation: Any) -> None:
    sent = agent_api.post(f"{URL}/{conversation.pk}/messages", {"text": "ส่งใหม่"}, content_type="application/json")
    message_id = sent.json()["id"]
    mark_failed(message_id=message_id, error="LINE said 500")
    Job.objects.all().delete()
    failed = agent_api.get(f"{URL}/{conversation.pk}/messages").json()["items"][-1]
    assert (failed["status"], failed["error"]) == ("failed", "LINE said 500")

    retried = agent_api.post(f"{URL}/{conversation.pk}/messages/{message_id}/retry")
    assert retried.status_code == 200
    assert retried.json()["status"] == "pending"
    assert Job.objects.filter(name="inbox.deliver_message", payload={"message_id": message_id}).exists()
    again = agent_api.post(f"{URL}/{conversation.pk}/messages/{message_id}/retry")
    assert again.status_code == 400
    assert "failed" in again.json()["detail"]


def test_transfer_without_a_reason_is_400_with_the_message(
    agent_api: Client, conversation: Any, support_team: Any
) -> None:
    response = agent_api.post(
        f"{URL}/{conversation.pk}/transfer", {"team_id": support_team.pk}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Say why you are transferring this conversation."
    assert response.json()["errors"] == {"__all__": ["Say why you are transferring this conversation."]}
    broken = agent_api.post(f"{URL}/{conversation.pk}/transfer", "{oops", content_type="application/json")
    assert (broken.status_code, broken.json()["detail"]) == (400, "The request body is not valid JSON.")
    conversation.refresh_from_db()
    assert conversation.team_id != support_team.pk


def test_transfer_with_a_reason_hands_over_and_keeps_the_reason(
    agent_api: Client, conversation: Any, support_team: Any
) -> None:
    response = agent_api.post(
        f"{URL}/{conversation.pk}/transfer", {"team_id": support_team.pk, "reason": "ขอคืนเงิน"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["team"]["id"] == support_team.pk
    assert Event.objects.get(conversation=conversation, kind="transferred").data["reason"] == "ขอคืนเงิน"
    # the agent is not in the support team: from now on the conversation is not theirs to see
    assert agent_api.get(f"{URL}/{conversation.pk}").status_code == 404


def test_transfer_to_a_team_that_does_not_exist_names_the_field(agent_api: Client, conversation: Any) -> None:
    response = agent_api.post(
        f"{URL}/{conversation.pk}/transfer", {"team_id": 424242, "reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["team_id"]


def test_assign_and_unassign(agent_api: Client, agent: Any, conversation: Any) -> None:
    assigned = agent_api.post(f"{URL}/{conversation.pk}/assign", {"agent_id": agent.pk},
                              content_type="application/json")
    assert assigned.json()["assignee"]["id"] == agent.pk
    mine = agent_api.get(URL, {"queue": "mine"}).json()
    assert [item["id"] for item in mine["items"]] == [conversation.pk]
    unassigned = agent_api.post(f"{URL}/{conversation.pk}/assign", {"agent_id": None},
                                content_type="application/json")
    assert unassigned.json()["assignee"] is None


def test_status_snooze_needs_a_future_time(agent_api: Client, conversation: Any) -> None:
    refused = agent_api.post(f"{URL}/{conversation.pk}/status", {"status": "snoozed"}, content_type="application/json")
    assert refused.status_code == 400
    assert "future" in refused.json()["detail"]
    until = (timezone.now() + timedelta(hours=2)).isoformat()
    snoozed = agent_api.post(f"{URL}/{conversation.pk}/status", {"status": "snoozed", "snoozed_until": until},
                             content_type="application/json")
    assert snoozed.status_code == 200
    assert snoozed.json()["status"] == "snoozed"
    assert snoozed.json()["snoozed_until"].endswith("+07:00")
    resolved = agent_api.post(f"{URL}/{conversation.pk}/status", {"status": "resolved"},
                              content_type="application/json")
    assert resolved.json()["status"] == "resolved" and resolved.json()["resolved_at"]


def test_an_unknown_status_is_refused_naming_the_field(agent_api: Client, conversation: Any) -> None:
    response = agent_api.post(f"{URL}/{conversation.pk}/status", {"status": "done"}, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]
    assert response.json()["detail"].startswith("The request is not valid: status:")


def test_priority_by_name_or_number(agent_api: Client, conversation: Any) -> None:
    by_name = agent_api.post(f"{URL}/{conversation.pk}/priority", {"priority": "urgent"},
                             content_type="application/json")
    assert by_name.json()["priority"] == "urgent"
    assert Conversation.objects.get(pk=conversation.pk).priority == Conversation.Priority.URGENT
    by_number = agent_api.post(f"{URL}/{conversation.pk}/priority", {"priority": 3}, content_type="application/json")
    assert by_number.json()["priority"] == "low"
    wrong = agent_api.post(f"{URL}/{conversation.pk}/priority", {"priority": "asap"}, content_type="application/json")
    assert wrong.status_code == 400
    assert "priority" in wrong.json()["errors"]


def test_tags_are_added_and_removed(agent_api: Client, conversation: Any) -> None:
    added = agent_api.post(f"{URL}/{conversation.pk}/tags", {"add": ["VIP", "คืนเงิน"]},
                           content_type="application/json")
    assert sorted(tag["name"] for tag in added.json()["tags"]) == ["vip", "คืนเงิน"]
    removed = agent_api.post(f"{URL}/{conversation.pk}/tags", {"remove": ["vip"]}, content_type="application/json")
    assert [tag["name"] for tag in removed.json()["tags"]] == ["คืนเงิน"]
    tagged = agent_api.get(URL, {"queue": "all", "tag": "คืนเงิน"}).json()
    assert [item["id"] for item in tagged["items"]] == [conversation.pk]
    too_long = agent_api.post(f"{URL}/{conversation.pk}/tags", {"add": ["ok", "x" * 51]},
                              content_type="application/json")
    assert too_long.status_code == 400
    assert [tag["name"] for tag in agent_api.get(f"{URL}/{conversation.pk}").json()["tags"]] == ["คืนเงิน"]


def test_pages_cover_every_conversation_once(agent_api: Client, visitor_says: Callable[..., Any]) -> None:
    ids = {visitor_says(f"คำถามที่ {i}", visitor=f"visitor-token-{i:020d}").conversation_id for i in range(5)}
    seen: list[int] = []
    offset: int | None = 0
    pages = 0
    while offset is not None:
        body = agent_api.get(URL, {"queue": "all", "limit": 2, "offset": offset}).json()
        assert body["count"] == 5 and body["limit"] == 2
        seen += [item["id"] for item in body["items"]]
        offset = body["next_offset"]
        pages += 1
    assert pages == 3
    assert sorted(seen) == sorted(ids)
    too_big = agent_api.get(URL, {"limit": 5000})
    assert too_big.status_code == 400
    assert "limit" in too_big.json()["errors"]


def test_messages_page_forward_with_after_id(agent_api: Client, conversation: Any, visitor_says: Any) -> None:
    for i in range(4):
        visitor_says(f"ข้อความ {i}")
    first = agent_api.get(f"{URL}/{conversation.pk}/messages", {"limit": 3}).json()
    assert len(first["items"]) == 3
    rest = agent_api.get(f"{URL}/{conversation.pk}/messages", {"after_id": first["next_after_id"]}).json()
    assert [m["text"] for m in first["items"] + rest["items"]][-1] == "ข้อความ 3"
    assert len(first["items"]) + len(rest["items"]) == Message.objects.filter(conversation=conversation).count()
    assert rest["next_after_id"] is None


def test_filters_by_priority_and_search(
    agent_api: Client, conversation: Any, visitor_says: Callable[..., Any]
) -> None:
    other = visitor_says("อีกเรื่อง", visitor="visitor-token-other-0000000000").conversation
    agent_api.post(f"{URL}/{other.pk}/priority", {"priority": "high"}, content_type="application/json")
    high = agent_api.get(URL, {"queue": "all", "priority": "high"}).json()
    assert [item["id"] for item in high["items"]] == [other.pk]
    by_number = agent_api.get(URL, {"queue": "all", "search": f"#{conversation.pk}"}).json()
    assert [item["id"] for item in by_number["items"]] == [conversation.pk]
    assert agent_api.get(URL, {"queue": "team:abc"}).status_code == 400
