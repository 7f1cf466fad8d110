"""What an agent sees of each kind of Messenger and Instagram item once the worker has processed it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ruamchat.connectors.models import InboundEvent
from ruamchat.contacts.models import Identity
from ruamchat.inbox.actions import send_reply
from ruamchat.inbox.models import Attachment, Conversation, Message
from tests.connectors.meta import fixture_bytes, fixture_json, fixture_names, messaging_items
from tests.connectors.meta.conftest import CUSTOMER, IG_CUSTOMER
from tests.fakes.graph_api import FakeGraphApi

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"
ECHO_OF_OUR_SEND = "m_36TwyMT94yiaNyT3SmgRy7Q0BP-pvtdta-B6FoLDoU_fpPDIxP3jKJo3JPdKaBHLtDQE_6m-121r4HoWgsOhTw"


@pytest.fixture
def receive(messenger: Any, instagram: Any, deliver: Callable[..., Any], run_jobs: Callable[[], int],
            graph_api: FakeGraphApi) -> Callable[[str], Any]:
    """Deliver a fixture to the channel of its kind (its media served by the fake CDN) and run the worker."""

    def go(name: str) -> Any:
        channel = instagram if name.startswith("instagram") else messenger
        response = deliver(channel, fixture_bytes(name, media_base=graph_api.base_url))
        run_jobs()
        return response

    return go


@pytest.mark.parametrize("name", fixture_names())
def test_every_fixture_is_accepted_and_processed_without_error(name: str, receive: Callable[[str], Any]) -> None:
    response = receive(name)
    assert response.status_code == 200
    items = messaging_items(fixture_json(name))
    assert response.json() == {"accepted": len(items)}
    statuses = set(InboundEvent.objects.values_list("status", flat=True))
    ignored = name in ("messenger_standby", "instagram_unknown_item")
    assert statuses == ({"ignored"} if ignored else {"processed"})


def only_message() -> Message:
    return Message.objects.get()


def test_text_lands_in_a_conversation_with_the_customers_page_scoped_id(receive: Callable[[str], Any]) -> None:
    receive("messenger_text")
    message = only_message()
    assert message.text.startswith("สวัสดีค่ะ สั่งเสื้อไปเมื่อวาน") and message.direction == "in"
    assert message.conversation.identity_id == Identity.objects.get(external_id=CUSTOMER).pk
    assert message.conversation.channel.kind == "messenger"


def test_a_quick_reply_keeps_its_payload_for_the_bot(receive: Callable[[str], Any]) -> None:
    receive("messenger_quick_reply")
    message = only_message()
    assert message.text == "ติดตามพัสดุ"
    assert message.metadata["meta"]["quick_reply_payload"] == "TRACK_ORDER"
    assert message.metadata["postback"] == {"data": "TRACK_ORDER", "label": "ติดตามพัสดุ"}


def test_a_reply_to_an_earlier_message_names_it(receive: Callable[[str], Any]) -> None:
    receive("messenger_reply_to")
    assert only_message().metadata["meta"]["reply_to_mid"].startswith("m_lPBExs5laeEs4d")


def test_an_image_is_downloaded_from_metas_cdn_into_the_attachment(
    receive: Callable[[str], Any], graph_api: FakeGraphApi
) -> None:
    graph_api.add_media("messenger/slip-20250309.jpg", JPEG, "image/jpeg")
    receive("messenger_image")
    attachment = Attachment.objects.get()
    assert attachment.kind == "image" and attachment.content_type == "image/jpeg"
    assert attachment.file.read() == JPEG and "fetch" not in attachment.data
    assert attachment.filename.startswith("slip-20250309")


def test_an_expired_cdn_link_leaves_the_attachment_marked_unavailable(receive: Callable[[str], Any]) -> None:
    receive("messenger_image")  # nothing served: the CDN answers 404
    attachment = Attachment.objects.get()
    assert not attachment.file and attachment.data.get("unavailable")


def test_a_sticker_is_shown_as_a_sticker(receive: Callable[[str], Any]) -> None:
    receive("messenger_sticker")
    attachment = Attachment.objects.get()
    assert attachment.kind == "sticker" and "sticker-369239263222822.png" in attachment.external_url


def test_a_shared_link_reads_as_its_title_and_address(receive: Callable[[str], Any]) -> None:
    receive("messenger_fallback")
    text = only_message().text
    assert "โปรสงกรานต์ ลดสูงสุด 50%" in text
    assert text.count("https://www.example.co.th/promo/songkran-2025") == 1


def test_a_button_press_is_recorded_as_the_customers_action(receive: Callable[[str], Any]) -> None:
    receive("messenger_postback")
    message = only_message()
    assert message.text == "คุยกับเจ้าหน้าที่" and message.direction == "in"
    assert message.metadata["postback"] == {"data": "TALK_TO_AGENT", "label": "คุยกับเจ้าหน้าที่"}


def test_a_message_a_person_sent_from_the_page_inbox_is_imported_as_an_agent_message(
    receive: Callable[[str], Any]
) -> None:
    receive("messenger_text")
    receive("messenger_echo_from_page_inbox")
    echoed = Message.objects.get(direction="out")
    assert echoed.text.startswith("รับทราบค่ะ แอดมินกำลังตรวจสอบ") and echoed.sender_type == "agent"
    assert echoed.conversation == Message.objects.get(direction="in").conversation


def test_the_echo_of_our_own_send_is_never_shown_twice(
    receive: Callable[[str], Any], agent: Any, run_jobs: Callable[[], int], graph_api: FakeGraphApi
) -> None:
    receive("messenger_text")
    Message.objects.filter(direction="in").update(created_at=timezone.now())
    conversation = Conversation.objects.get()
    sent = send_reply(conversation=conversation, actor=agent, text="เลขพัสดุคือ TH0123456789A ค่ะ")
    run_jobs()
    sent.refresh_from_db()
    # the fake answers its own mid; Meta's echo carries the same mid, as the fixture's does
    Message.objects.filter(pk=sent.pk).update(provider_message_id=ECHO_OF_OUR_SEND)
    receive("messenger_echo_of_our_send")
    assert Message.objects.filter(direction="out").count() == 1


def test_the_echo_of_our_send_arriving_before_the_send_is_recorded_is_not_imported(
    receive: Callable[[str], Any]
) -> None:
    receive("messenger_text")
    receive("messenger_echo_of_our_send")
    assert not Message.objects.filter(direction="out").exists()


@pytest.mark.parametrize(("fixture", "status"), [("messenger_delivery", "delivered"), ("messenger_read", "read")])
def test_delivery_and_read_watermarks_move_our_messages_forward(
    receive: Callable[[str], Any], agent: Any, run_jobs: Callable[[], int], fixture: str, status: str
) -> None:
    from datetime import UTC, datetime

    receive("messenger_text")
    Message.objects.filter(direction="in").update(created_at=timezone.now())
    conversation = Conversation.objects.get()
    before = send_reply(conversation=conversation, actor=agent, text="ก่อน watermark")
    after = send_reply(conversation=conversation, actor=agent, text="หลัง watermark")
    run_jobs()
    watermark = datetime.fromtimestamp(1741504343031 / 1000, tz=UTC)
    Message.objects.filter(pk=before.pk).update(sent_at=watermark - timedelta(seconds=1))
    Message.objects.filter(pk=after.pk).update(sent_at=watermark + timedelta(minutes=1))
    receive(fixture)
    before.refresh_from_db()
    after.refresh_from_db()
    assert (before.status, after.status) == (status, "sent")


def test_a_reaction_and_an_edit_are_shown_on_the_message(receive: Callable[[str], Any]) -> None:
    receive("messenger_text")
    receive("messenger_edit")
    message = only_message()
    assert "(ออเดอร์ #TH2503-0871)" in message.text
    assert message.metadata["edits"][0]["text"].startswith("สวัสดีค่ะ สั่งเสื้อไปเมื่อวาน ยังไม่ได้")


def test_a_customers_reaction_to_our_message_is_shown_on_it(
    receive: Callable[[str], Any], messenger: Any
) -> None:
    receive("messenger_text")
    conversation = Conversation.objects.get()
    Message.objects.create(conversation=conversation, channel=messenger, direction="out", sender_type="agent",
                           text="เลขพัสดุ", status="sent", provider_message_id=ECHO_OF_OUR_SEND)
    receive("messenger_reaction")
    assert Message.objects.get(provider_message_id=ECHO_OF_OUR_SEND).metadata["reactions"] == ["❤️"]


def test_batched_items_reach_each_customers_own_conversation(receive: Callable[[str], Any]) -> None:
    receive("messenger_batched")
    texts = {c.identity.external_id if c.identity else "": [m.text for m in c.messages.order_by("id")]
             for c in Conversation.objects.select_related("identity")}
    assert texts[CUSTOMER] == ["ขอสอบถามค่าส่งไปเชียงใหม่ค่ะ", "ส่ง EMS ได้ไหมคะ"]
    assert len(texts) == 2


def test_a_new_customers_name_and_picture_are_fetched_from_meta(
    receive: Callable[[str], Any], graph_api: FakeGraphApi
) -> None:
    graph_api.add_profile(CUSTOMER, first_name="สมหญิง", last_name="ใจดี", profile_pic="https://cdn.fake.test/p.jpg")
    receive("messenger_text")
    identity = Identity.objects.select_related("contact").get(external_id=CUSTOMER)
    assert identity.contact.name == "สมหญิง ใจดี"
    [call] = graph_api.calls_to(f"/{CUSTOMER}")
    assert call.query["fields"] == ["first_name,last_name,profile_pic"]


# ---------------------------------------------------------------- Instagram


def test_instagram_text_and_its_profile(receive: Callable[[str], Any], graph_api: FakeGraphApi) -> None:
    graph_api.add_profile(IG_CUSTOMER, name="Ploy", username="ploy.shop", profile_pic="https://cdn.fake.test/q.jpg")
    receive("instagram_text")
    message = only_message()
    assert message.conversation.channel.kind == "instagram"
    assert message.conversation.identity_id == Identity.objects.get(external_id=IG_CUSTOMER).pk
    assert Identity.objects.get(external_id=IG_CUSTOMER).contact.name == "Ploy"
    assert graph_api.calls_to(f"/{IG_CUSTOMER}")[0].query["fields"] == ["name,username,profile_pic"]


def test_an_instagram_story_reply_shows_the_story_link(receive: Callable[[str], Any]) -> None:
    receive("instagram_story_reply")
    message = only_message()
    assert message.text.startswith("สีนี้ยังมีของไหมคะ")
    assert "story-18012345678901234.jpg" in message.text
    assert message.metadata["meta"]["story_id"] == "18012345678901234"
    assert "story-18012345678901234.jpg" in Attachment.objects.get().external_url


def test_an_instagram_story_mention_shows_the_link(receive: Callable[[str], Any]) -> None:
    receive("instagram_story_mention")
    message = only_message()
    assert "กล่าวถึงคุณในสตอรี่" in message.text and "story-mention-18023456789012345.mp4" in message.text


def test_instagram_messaging_seen_marks_our_messages_read(
    receive: Callable[[str], Any], instagram: Any
) -> None:
    from datetime import UTC, datetime

    receive("instagram_text")
    conversation = Conversation.objects.get()
    seen = fixture_json("instagram_messaging_seen")["entry"][0]["messaging"][0]
    ours = Message.objects.create(
        conversation=conversation, channel=instagram, direction="out", sender_type="agent", text="ราคา 890 บาทค่ะ",
        status="sent", provider_message_id=seen["read"]["mid"],
        sent_at=datetime.fromtimestamp(seen["timestamp"] / 1000, tz=UTC) - timedelta(minutes=5),
    )
    receive("instagram_messaging_seen")
    ours.refresh_from_db()
    assert ours.status == "read"


def test_an_instagram_echo_without_our_app_is_imported(receive: Callable[[str], Any]) -> None:
    receive("instagram_text")
    receive("instagram_echo")
    assert Message.objects.get(direction="out").text == "ราคา 890 บาทค่ะ ส่งฟรีทั่วประเทศ"


def test_an_unknown_instagram_item_is_kept_as_ignored(receive: Callable[[str], Any]) -> None:
    receive("instagram_unknown_item")
    event = InboundEvent.objects.get()
    assert event.status == "ignored" and "hologram_call" in event.error
    assert not Message.objects.exists()
