"""What channels other than the website tell us besides messages: groups, follows and blocks,
withdrawn messages, content fetched later, and profiles."""

from __future__ import annotations

from typing import Any

import pytest

from ruamchat.connectors import registry
from ruamchat.connectors.actions import create_channel, refresh_profile, store_raw_events
from ruamchat.connectors.base import (
    ContactStatusChange,
    DeliveryUpdate,
    FetchedContent,
    InboundAttachment,
    InboundMessage,
    MessageEdited,
    MessageReaction,
    MessageWithdrawn,
    OutgoingEcho,
    ProfileInfo,
    RawEvent,
    ReplyWindow,
    SendResult,
    ThreadEvent,
)
from ruamchat.contacts.models import Identity
from ruamchat.inbox import actions
from ruamchat.inbox.models import Attachment, Conversation, Event, Message
from ruamchat.jobs.models import Job

pytestmark = pytest.mark.django_db


class ScriptedConnector:
    """A channel whose raw events are pickled-free: each payload names one scripted item."""

    kind = "scripted"
    label = "Scripted"
    event_types = frozenset({"item"})
    items: dict[str, Any] = {}
    content: dict[str, FetchedContent | None] = {}
    profiles: dict[str, ProfileInfo] = {}
    profile_calls: list[str] = []

    def verify(self, channel: Any, request: Any) -> None: ...
    def split(self, channel: Any, request: Any) -> list[RawEvent]:
        return []

    def parse(self, channel: Any, event: Any) -> list[Any]:
        return [self.items[bytes(event.payload).decode()]]

    def fetch_attachment(self, channel: Any, fetch_ref: str) -> FetchedContent | None:
        return self.content.get(fetch_ref)

    def fetch_profile(self, channel: Any, external_id: str) -> ProfileInfo | None:
        self.profile_calls.append(external_id)
        return self.profiles.get(external_id)

    def validate_settings(self, config: dict[str, Any], secrets: dict[str, Any]) -> dict[str, list[str]]:
        return {} if secrets.get("token") else {"token": ["A token is required."]}

    window = ReplyWindow(allowed=True)
    sent_ids: list[str] = []

    def reply_window(self, channel: Any, conversation: Any, *, human: bool) -> ReplyWindow:
        return self.window

    def send(self, channel: Any, message: Any) -> SendResult:
        self.sent_ids.append(f"mid-{message.pk}")
        return SendResult.sent(f"mid-{message.pk}")


@pytest.fixture
def channel(team: Any) -> Any:
    registry.register(ScriptedConnector())
    ScriptedConnector.items, ScriptedConnector.content = {}, {}
    ScriptedConnector.profiles, ScriptedConnector.profile_calls = {}, []
    ScriptedConnector.window, ScriptedConnector.sent_ids = ReplyWindow(allowed=True), []
    return create_channel(actor=None, kind="scripted", name="Scripted", default_team=team, secrets={"token": "t"})


def deliver(channel: Any, run_jobs: Any, *items: Any) -> None:
    events = []
    for item in items:
        key = f"ev-{len(ScriptedConnector.items)}"
        ScriptedConnector.items[key] = item
        events.append(RawEvent(key, "item", key.encode()))
    store_raw_events(channel=channel, events=events)
    run_jobs()


def test_channel_settings_are_validated_by_the_connector(team: Any) -> None:
    from django.core.exceptions import ValidationError

    registry.register(ScriptedConnector())
    with pytest.raises(ValidationError, match="token"):
        create_channel(actor=None, kind="scripted", name="No token", secrets={})


def test_a_group_chat_is_one_conversation_with_each_member_on_their_messages(channel: Any, run_jobs: Any) -> None:
    deliver(channel, run_jobs,
            InboundMessage("U-somchai", "m1", text="ใครสั่งกาแฟบ้าง", thread_id="C-office", thread_name="ออฟฟิศ",
                           sender_name="สมชาย"),
            InboundMessage("U-malee", "m2", text="เอาด้วยค่ะ", thread_id="C-office", sender_name="มาลี"))
    conversation = Conversation.objects.get()
    assert conversation.contact.name == "ออฟฟิศ"
    members = list(conversation.messages.order_by("id").values_list("metadata__member__name", flat=True))
    assert members == ["สมชาย", "มาลี"]
    deliver(channel, run_jobs, ThreadEvent("C-office", "member_joined", ("U-new",)))
    assert conversation.events.filter(kind="thread_changed", data__change="member_joined").exists()


def test_unfollow_blocks_the_identity_and_follow_unblocks_it(channel: Any, run_jobs: Any) -> None:
    deliver(channel, run_jobs, InboundMessage("U-1", "m1", text="สวัสดี"))
    deliver(channel, run_jobs, ContactStatusChange("U-1", "unfollowed"))
    identity = Identity.objects.get(external_id="U-1")
    assert identity.blocked_at is not None
    assert Event.objects.filter(kind="contact_unfollowed").count() == 1
    deliver(channel, run_jobs, ContactStatusChange("U-1", "unblocked"))
    identity.refresh_from_db()
    assert identity.blocked_at is None
    assert Event.objects.filter(kind="contact_followed", data__status="unblocked").count() == 1


def test_a_withdrawn_message_loses_its_content_but_not_its_place(channel: Any, run_jobs: Any) -> None:
    deliver(channel, run_jobs, InboundMessage("U-1", "m1", text="เบอร์บัตรเครดิตผม 4111 1111 1111 1111",
                                              attachments=(InboundAttachment("image", "slip.png", "image/png",
                                                                             content=b"png"),)))
    deliver(channel, run_jobs, MessageWithdrawn("m1"))
    message = Message.objects.get(provider_message_id="m1")
    assert message.text == "" and message.metadata["withdrawn"] is True
    assert not message.attachments.exists()
    assert Event.objects.filter(kind="message_withdrawn", data__message_id=message.pk).exists()


def test_content_is_fetched_after_the_message_is_stored(channel: Any, run_jobs: Any, settings: Any) -> None:
    ScriptedConnector.content["content:1"] = FetchedContent(b"\x89PNG...", "image/png", "photo.png")
    deliver(channel, run_jobs, InboundMessage("U-1", "m1", attachments=(
        InboundAttachment("image", fetch_ref="content:1"), InboundAttachment("video", fetch_ref="content:2"))))
    image, video = Attachment.objects.order_by("id")
    assert image.file.read() == b"\x89PNG..." and image.content_type == "image/png" and "fetch" not in image.data
    assert video.data == {"unavailable": "gone"} and not video.file  # the provider had nothing for it


def test_content_over_the_size_limit_is_kept_as_a_note(channel: Any, run_jobs: Any, settings: Any) -> None:
    settings.RUAMCHAT = {**settings.RUAMCHAT, "UPLOAD_MAX_BYTES": 4}
    ScriptedConnector.content["content:big"] = FetchedContent(b"0123456789", "video/mp4")
    deliver(channel, run_jobs, InboundMessage("U-1", "m1", attachments=(
        InboundAttachment("video", fetch_ref="content:big"),)))
    attachment = Attachment.objects.get()
    assert attachment.data["too_large"] == 10 and not attachment.file


def test_profile_is_fetched_for_a_new_contact_and_not_on_every_message(channel: Any, run_jobs: Any) -> None:
    ScriptedConnector.profiles["U-1"] = ProfileInfo("มาลี ใจดี", "https://profile.example/m.jpg", "th")
    deliver(channel, run_jobs, InboundMessage("U-1", "m1", text="หนึ่ง"))
    deliver(channel, run_jobs, InboundMessage("U-1", "m2", text="สอง"), InboundMessage("U-1", "m3", text="สาม"))
    assert ScriptedConnector.profile_calls == ["U-1"]
    identity = Identity.objects.select_related("contact").get(external_id="U-1")
    assert identity.display_name == "มาลี ใจดี" and identity.contact.avatar_url == "https://profile.example/m.jpg"
    assert not Job.objects.filter(name="connectors.refresh_profile", status="queued").exists()
    refresh_profile(identity_id=identity.pk)  # a day later the refresh job runs again, and fills nothing twice
    assert identity.contact.name == "มาลี ใจดี"


def test_quick_replies_travel_with_the_reply(conversation: Any, agent: Any) -> None:
    choices = [{"label": "ใช่", "text": "ใช่"}, {"label": "ไม่ใช่", "data": "answer=no"}]
    reply = actions.send_reply(conversation=conversation, actor=agent, text="ตอบคำถามได้ไหมคะ", quick_replies=choices)
    assert Message.objects.get(pk=reply.pk).metadata["quick_replies"] == choices


def test_the_agent_sees_members_withdrawals_and_a_blocked_customer(
    channel: Any, run_jobs: Any, client: Any, agent: Any
) -> None:
    deliver(channel, run_jobs,
            InboundMessage("U-a", "g1", text="สั่งพิซซ่ากันไหม", thread_id="C-team", thread_name="ทีมขาย",
                           sender_name="อนันต์"))
    deliver(channel, run_jobs, InboundMessage("U-b", "d1", text="ลบข้อความนี้ทีหลัง"),
            MessageWithdrawn("d1"), ContactStatusChange("U-b", "unfollowed"))
    client.force_login(agent)  # an English-speaking agent
    group = Conversation.objects.get(identity__external_id="C-team")
    page = client.get(f"/inbox/c/{group.pk}/").content.decode()
    assert "อนันต์" in page and "ทีมขาย" in page
    direct = Conversation.objects.get(identity__external_id="U-b")
    page = client.get(f"/inbox/c/{direct.pk}/").content.decode()
    assert "ลบข้อความนี้ทีหลัง" not in page
    assert "The customer withdrew this message." in page
    assert "has blocked the account" in page  # told before sending
    assert "The customer blocked the account" in page  # and in the timeline


def test_our_echo_is_not_shown_twice_and_the_page_inbox_echo_is_imported(
    channel: Any, run_jobs: Any, agent: Any
) -> None:
    deliver(channel, run_jobs, InboundMessage("U-1", "m1", text="สินค้ามีไหมคะ"))
    conversation = Conversation.objects.get()
    reply = actions.send_reply(conversation=conversation, actor=agent, text="มีค่ะ")
    run_jobs()
    deliver(channel, run_jobs, OutgoingEcho("U-1", f"mid-{reply.pk}", ours=True, text="มีค่ะ"),
            OutgoingEcho("U-1", "mid-from-page-inbox", ours=False, text="แอดมินเพจตอบเองค่ะ"))
    outgoing = list(conversation.messages.filter(direction="out").order_by("id").values_list("text", flat=True))
    assert outgoing == ["มีค่ะ", "แอดมินเพจตอบเองค่ะ"]
    imported = Message.objects.get(provider_message_id="mid-from-page-inbox")
    assert imported.sender_type == "agent" and imported.sender_user is None and imported.status == "sent"


def test_delivery_and_read_move_forward_up_to_the_watermark(channel: Any, run_jobs: Any, agent: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    deliver(channel, run_jobs, InboundMessage("U-1", "m1", text="สวัสดี"))
    conversation = Conversation.objects.get()
    first = actions.send_reply(conversation=conversation, actor=agent, text="หนึ่ง")
    second = actions.send_reply(conversation=conversation, actor=agent, text="สอง")
    run_jobs()
    Message.objects.filter(pk=second.pk).update(sent_at=timezone.now() + timedelta(minutes=5))
    deliver(channel, run_jobs, DeliveryUpdate("U-1", "read", watermark=timezone.now()))
    assert Message.objects.get(pk=first.pk).status == "read"
    assert Message.objects.get(pk=second.pk).status == "sent"  # sent after the watermark
    deliver(channel, run_jobs, DeliveryUpdate("U-1", "delivered", provider_message_ids=(f"mid-{first.pk}",
                                                                                         f"mid-{second.pk}")))
    assert Message.objects.get(pk=first.pk).status == "read"  # never back from read to delivered
    assert Message.objects.get(pk=second.pk).status == "delivered"


def test_reactions_and_edits_are_shown(channel: Any, run_jobs: Any, client: Any, agent: Any) -> None:
    deliver(channel, run_jobs, InboundMessage("U-1", "m1", text="ขอเลขพัสดุค่ะ"))
    deliver(channel, run_jobs, MessageReaction("m1", "❤️"), MessageEdited("m1", "ขอเลขพัสดุด้วยค่ะ ด่วน"))
    message = Message.objects.get(provider_message_id="m1")
    assert message.text == "ขอเลขพัสดุด้วยค่ะ ด่วน"
    assert message.metadata["reactions"] == ["❤️"] and message.metadata["edits"][0]["text"] == "ขอเลขพัสดุค่ะ"
    client.force_login(agent)
    page = client.get(f"/inbox/c/{message.conversation_id}/").content.decode()
    assert '<span class="reaction">❤️</span>' in page and "edited" in page and "ขอเลขพัสดุด้วยค่ะ ด่วน" in page
    deliver(channel, run_jobs, MessageReaction("m1", "❤️", removed=True))
    assert Message.objects.get(pk=message.pk).metadata["reactions"] == []


def test_a_closed_reply_window_refuses_the_reply_and_says_why(
    channel: Any, run_jobs: Any, agent: Any, client: Any
) -> None:
    from django.core.exceptions import ValidationError

    deliver(channel, run_jobs, InboundMessage("U-1", "m1", text="สวัสดี"))
    conversation = Conversation.objects.get()
    ScriptedConnector.window = ReplyWindow(allowed=False, reason="หมดเวลาตอบกลับแล้ว")
    with pytest.raises(ValidationError, match="หมดเวลาตอบกลับแล้ว"):
        actions.send_reply(conversation=conversation, actor=agent, text="ขออภัยที่ตอบช้า")
    actions.add_note(conversation=conversation, actor=agent, text="โทรกลับลูกค้าแทน")  # notes still work
    client.force_login(agent)
    assert "หมดเวลาตอบกลับแล้ว" in client.get(f"/inbox/c/{conversation.pk}/").content.decode()  # before typing
    ScriptedConnector.window = ReplyWindow(allowed=True, tag="HUMAN_AGENT")
    reply = actions.send_reply(conversation=conversation, actor=agent, text="ขออภัยที่ตอบช้าค่ะ")
    assert reply.metadata["reply_tag"] == "HUMAN_AGENT"
