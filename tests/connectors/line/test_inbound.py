"""What an agent sees of each kind of LINE event once the worker has processed it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ruamchat.connectors.models import InboundEvent
from ruamchat.contacts.models import Identity
from ruamchat.inbox.models import Attachment, Conversation, Event, Message
from ruamchat.jobs.models import Job
from tests.connectors.line.conftest import CUSTOMER, GROUP, GROUP_MEMBER, OTHER_MEMBER, ROOM, fresh
from tests.fakes.line_api import FakeLineApi

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"


def only_message() -> Message:
    return Message.objects.get()


def test_text_keeps_mentions_and_line_emojis_readable_and_its_reply_token(
    deliver: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    deliver("message_text")
    run_jobs()
    message = only_message()
    assert message.text == "@ร้านรวมแชท สวัสดีค่ะ สั่งเสื้อไปเมื่อวาน ยังไม่ได้เลขพัสดุเลยค่ะ (love)"
    assert message.direction == "in" and message.provider_message_id == "551234567890123680"
    line = message.metadata["line"]
    assert line["reply_token"] == "e6f012398def480526e125bfb214d355"
    assert line["reply_token_at"] == 1741503640320
    assert line["quote_token"].startswith("rfzJvXA1") and line["mark_as_read_token"].startswith("qwpW4DW9")
    assert line["emojis"] == [{"product_id": "5ac1bfd5040ab15980c9b435", "emoji_id": "001"}]
    assert message.conversation.last_message_preview.startswith("@ร้านรวมแชท สวัสดีค่ะ")


def test_an_emoji_without_alt_text_reads_as_emoji(deliver: Callable[..., Any], run_jobs: Callable[[], int]) -> None:
    body = fresh("message_text", **{
        "message.text": "ขอบคุณค่ะ $ $",
        "message.emojis": [{"index": 10, "length": 1, "productId": "p", "emojiId": "001"},
                           {"index": 12, "length": 1, "productId": "p", "emojiId": "002"}],
    })
    deliver(body)
    run_jobs()
    assert only_message().text == "ขอบคุณค่ะ (emoji) (emoji)"


def test_an_image_is_downloaded_from_lines_content_host_into_the_attachment(
    deliver: Callable[..., Any], run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    line_api.add_content("551234567890124562", JPEG, "image/jpeg")
    deliver("message_image")
    run_jobs()
    attachment = Attachment.objects.get()
    assert attachment.kind == "image" and attachment.content_type == "image/jpeg"
    assert attachment.file.read() == JPEG and attachment.size == len(JPEG)
    assert "fetch" not in attachment.data
    assert [c.host for c in line_api.calls_to("/v2/bot/message/551234567890124562/content")] == ["data"]
    assert only_message().conversation.last_message_preview  # "[image]", not empty


def test_an_image_too_large_is_kept_as_a_note_not_stored(
    deliver: Callable[..., Any], run_jobs: Callable[[], int], line_api: FakeLineApi, settings: Any
) -> None:
    settings.RUAMCHAT = {**settings.RUAMCHAT, "UPLOAD_MAX_BYTES": 100}
    line_api.add_content("551234567890124562", JPEG, "image/jpeg")
    deliver("message_image")
    run_jobs()
    attachment = Attachment.objects.get()
    assert not attachment.file and attachment.data["too_large"] > 100


def test_a_video_still_being_prepared_by_line_is_fetched_later_not_failed(
    deliver: Callable[..., Any], run_jobs: Callable[[], int], run_due_jobs: Callable[[], int],
    line_api: FakeLineApi,
) -> None:
    line_api.add_content("551234567890127088", b"mp4-bytes", "video/mp4")
    line_api.set_transcoding("551234567890127088", "processing")
    deliver("message_video")
    run_jobs()
    attachment = Attachment.objects.get()
    assert attachment.kind == "video" and not attachment.file and "unavailable" not in attachment.data
    waiting = Job.objects.get(name="connectors.fetch_attachment")
    assert waiting.status == "queued" and "still preparing" in waiting.last_error
    assert not line_api.calls_to("/v2/bot/message/551234567890127088/content")  # asked about readiness only

    line_api.set_transcoding("551234567890127088", "succeeded")
    run_due_jobs()
    attachment.refresh_from_db()
    assert attachment.file.read() == b"mp4-bytes" and attachment.content_type == "video/mp4"
    assert attachment.data["duration_ms"] == 12480


def test_a_video_line_failed_to_prepare_is_marked_unavailable(
    deliver: Callable[..., Any], run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    line_api.add_content("551234567890127088", b"mp4-bytes", "video/mp4")
    line_api.set_transcoding("551234567890127088", "failed")
    deliver("message_video")
    run_jobs()
    attachment = Attachment.objects.get()
    assert not attachment.file and attachment.data["unavailable"]


def test_a_server_error_while_downloading_is_retried(
    deliver: Callable[..., Any], run_jobs: Callable[[], int], run_due_jobs: Callable[[], int],
    line_api: FakeLineApi,
) -> None:
    line_api.add_content("551234567890124562", JPEG, "image/jpeg")
    line_api.fail_next("/v2/bot/message/551234567890124562/content", 500)
    deliver("message_image")
    run_jobs()
    assert not Attachment.objects.get().file
    run_due_jobs()
    assert Attachment.objects.get().file.read() == JPEG


def test_audio_and_file_keep_their_details(
    deliver: Callable[..., Any], run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    line_api.add_content("551234567890128002", b"m4a", "audio/x-m4a")
    line_api.add_content("551234567890128588", b"%PDF-1.4", "application/pdf")
    deliver("message_audio")
    deliver("message_file")
    run_jobs()
    audio, document = Attachment.objects.order_by("id")
    assert audio.kind == "audio" and audio.file.read() == b"m4a" and audio.data["duration_ms"] == 8350
    assert document.kind == "file" and document.filename == "ใบเสร็จ-มีนาคม-2568.pdf"
    assert document.file.read() == b"%PDF-1.4" and document.content_type == "application/pdf"


def test_an_external_image_is_linked_not_downloaded(
    deliver: Callable[..., Any], run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    deliver("message_image_external")
    run_jobs()
    attachment = Attachment.objects.get()
    assert attachment.external_url == "https://shop.example.co.th/media/slip-20250309.jpg"
    assert not attachment.file and not line_api.calls_to("/v2/bot/message/551234567890126639/content")


def test_a_location_shows_the_place_and_a_map_link(deliver: Callable[..., Any], run_jobs: Callable[[], int]) -> None:
    deliver("message_location")
    run_jobs()
    message = only_message()
    assert message.text.startswith("📍 เซ็นทรัลเวิลด์, 999/9 ถนนพระรามที่ 1")
    attachment = message.attachments.get()
    assert attachment.kind == "location"
    assert attachment.external_url == "https://www.google.com/maps/search/?api=1&query=13.7466304,100.5393351"
    assert attachment.data["title"] == "เซ็นทรัลเวิลด์" and attachment.data["latitude"] == 13.7466304


def test_a_sticker_shows_as_its_image_with_its_keywords(
    deliver: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    deliver("message_sticker")
    run_jobs()
    message = only_message()
    assert message.text == "Brown, Cony, thanks, Thank you, bow, grateful"
    sticker = message.attachments.get()
    assert sticker.kind == "sticker"
    assert sticker.external_url == (
        "https://stickershop.line-scdn.net/stickershop/v1/sticker/52002734/android/sticker.png")
    assert sticker.data["package_id"] == "11537" and sticker.data["sticker_id"] == "52002734"


def test_follow_unfollow_and_unblock_are_kept_on_the_contact_and_in_the_timeline(
    deliver: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    deliver("message_text")
    run_jobs()
    conversation = Conversation.objects.get()
    identity = Identity.objects.get(external_id=CUSTOMER)

    deliver("unfollow")
    run_jobs()
    identity.refresh_from_db()
    assert identity.blocked_at is not None

    deliver("follow_unblocked")
    run_jobs()
    identity.refresh_from_db()
    assert identity.blocked_at is None
    kinds = list(Event.objects.filter(conversation=conversation).values_list("kind", "data__status"))
    assert ("contact_unfollowed", "unfollowed") in kinds and ("contact_followed", "unblocked") in kinds


def test_a_new_follower_becomes_a_contact_without_a_conversation(
    deliver: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    deliver("follow")
    run_jobs()
    identity = Identity.objects.get(external_id=CUSTOMER)
    assert identity.blocked_at is None and not Conversation.objects.exists()


def test_an_unsent_message_is_marked_withdrawn_and_its_content_hidden(
    deliver: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    deliver("message_text")
    run_jobs()
    deliver("unsend")
    run_jobs()
    message = only_message()
    assert message.text == "" and message.metadata["withdrawn"] is True
    assert Event.objects.filter(conversation=message.conversation, kind="message_withdrawn").exists()


def test_a_postback_is_recorded_as_the_customers_action_with_its_data(
    deliver: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    deliver("postback")
    deliver("postback_datetime")
    run_jobs()
    plain, picked = Message.objects.order_by("id")
    assert plain.text == "[postback] action=order_status&order=TH-2568-00042"
    assert plain.metadata["postback"] == {"data": "action=order_status&order=TH-2568-00042"}
    assert plain.provider_message_id == "postback:01JNWVSZQEPWVEGZZR0WPHSGZA"
    assert picked.text == "[postback] action=book_callback&topic=refund (2025-03-12T14:30)"
    assert picked.metadata["postback"]["params"] == {"datetime": "2025-03-12T14:30"}


def test_a_postback_from_a_quick_reply_we_sent_reads_as_the_buttons_label(
    deliver: Callable[..., Any], run_jobs: Callable[[], int], agent: Any
) -> None:
    from ruamchat.inbox.actions import send_reply

    deliver("message_text")
    run_jobs()
    send_reply(conversation=Conversation.objects.get(), actor=agent, text="พอใจบริการไหมคะ",
               quick_replies=[{"label": "พอใจมาก", "data": "csat=5"}, {"label": "ไม่พอใจ", "data": "csat=1"}])
    run_jobs()
    deliver(fresh("postback", **{"postback.data": "csat=5"}))
    run_jobs()
    answer = Message.objects.filter(direction="in").last()
    assert answer is not None and answer.text == "พอใจมาก"
    assert answer.metadata["postback"] == {"data": "csat=5", "label": "พอใจมาก"}


def test_a_group_is_one_conversation_and_each_message_says_which_member_wrote(
    deliver: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    deliver("join")
    deliver("message_group_text")
    deliver(fresh("message_group_text", **{"message.id": "551234567890131999", "message.text": "ด่วนนะคะ",
                                           "message.mention": None, "source.userId": OTHER_MEMBER,
                                           "webhookEventId": "01JNWW35JSVRP9GZ34CN8BGZZZ"}))
    run_jobs()
    conversation = Conversation.objects.get()
    assert conversation.identity.external_id == GROUP
    first, second = conversation.messages.order_by("id")
    assert first.metadata["member"]["id"] == GROUP_MEMBER and second.metadata["member"]["id"] == OTHER_MEMBER
    assert first.text.startswith("@ร้านรวมแชท รบกวนแอดมินเช็กออเดอร์")

    deliver("member_joined")
    deliver("member_left")
    deliver("leave")
    run_jobs()
    changes = list(Event.objects.filter(conversation=conversation, kind="thread_changed")
                   .values_list("data__change", flat=True))
    assert changes == ["member_joined", "member_left", "left"]
    joined = Event.objects.filter(conversation=conversation, data__change="member_joined").get()
    assert joined.data["member_ids"] == [OTHER_MEMBER]
    assert not InboundEvent.objects.exclude(status="processed").exists()


def test_a_room_is_a_conversation_of_its_own(deliver: Callable[..., Any], run_jobs: Callable[[], int]) -> None:
    deliver("message_text")
    deliver("message_room_text")
    run_jobs()
    room = Conversation.objects.get(identity__external_id=ROOM)
    assert room.messages.get().metadata["member"]["id"] == OTHER_MEMBER
    assert Conversation.objects.count() == 2


def test_the_profile_is_fetched_for_a_new_contact_and_not_again_the_same_day(
    deliver: Callable[..., Any], run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    line_api.add_profile(CUSTOMER, "สมหญิง ใจดี", language="th")
    deliver("message_text")
    run_jobs()
    deliver("message_sticker")
    deliver("message_location")
    run_jobs()
    assert len(line_api.calls_to(f"/v2/bot/profile/{CUSTOMER}")) == 1
    identity = Identity.objects.select_related("contact").get(external_id=CUSTOMER)
    assert identity.display_name == "สมหญิง ใจดี" and identity.profile_refreshed_at is not None
    assert identity.contact.name == "สมหญิง ใจดี" and identity.contact.language == "th"
    assert identity.contact.avatar_url == line_api.picture_url(CUSTOMER)


def test_a_customer_line_does_not_know_leaves_the_contact_unnamed(
    deliver: Callable[..., Any], run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    deliver("message_text")
    run_jobs()
    identity = Identity.objects.select_related("contact").get(external_id=CUSTOMER)
    assert identity.contact.name == "" and identity.profile_refreshed_at is not None


def test_the_profile_is_refreshed_again_when_a_day_has_passed(
    deliver: Callable[..., Any], run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    line_api.add_profile(CUSTOMER, "สมหญิง")
    deliver("message_text")
    run_jobs()
    Identity.objects.filter(external_id=CUSTOMER).update(profile_refreshed_at=timezone.now() - timedelta(days=2))
    line_api.add_profile(CUSTOMER, "สมหญิง (ร้านดอกไม้)")
    deliver("message_sticker")
    run_jobs()
    assert len(line_api.calls_to(f"/v2/bot/profile/{CUSTOMER}")) == 2
    assert Identity.objects.get(external_id=CUSTOMER).display_name == "สมหญิง (ร้านดอกไม้)"


def test_group_members_and_the_group_have_their_names(
    deliver: Callable[..., Any], run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    line_api.add_group(GROUP, "ลูกค้าองค์กร บจก. สยาม")
    line_api.add_group_member(GROUP, GROUP_MEMBER, "คุณวิไล")
    deliver("message_group_text")
    deliver(fresh("message_group_text", **{"message.id": "551234567890131998", "message.text": "อีกเรื่องค่ะ",
                                           "message.mention": None, "webhookEventId": "01JNWW35JSVRP9GZ34CN8BGZZY"}))
    run_jobs()
    conversation = Conversation.objects.select_related("contact").get()
    assert [m.metadata["member"]["name"] for m in conversation.messages.order_by("id")] == ["คุณวิไล", "คุณวิไล"]
    assert conversation.contact.name == "ลูกค้าองค์กร บจก. สยาม"  # the group's own profile
    member_lookups = [c for c in line_api.calls if c.path.endswith(f"/member/{GROUP_MEMBER}")]
    assert len(member_lookups) == 1  # asked once, then remembered


def test_a_member_name_lookup_failure_never_holds_the_message_back(
    deliver: Callable[..., Any], run_jobs: Callable[[], int], line_api: FakeLineApi
) -> None:
    deliver("message_group_text")  # the fake knows no such member: 404
    run_jobs()
    message = Message.objects.get()
    assert message.metadata["member"] == {"id": GROUP_MEMBER, "name": ""}
