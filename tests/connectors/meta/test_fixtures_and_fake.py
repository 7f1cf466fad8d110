"""The Meta test kit itself: webhook fixtures in Messenger/Instagram format, the signature helper and the fake
Graph API."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.connectors.meta import (
    IG_ACCOUNT_ID,
    IGSID,
    OUR_APP_ID,
    PAGE_ID,
    PSID,
    fixture_bytes,
    fixture_json,
    fixture_names,
    messaging_items,
)
from tests.fakes.graph_api import FakeGraphApi, sign, webhook_headers

MESSENGER = {
    "text", "quick_reply", "reply_to", "image", "video", "audio", "file", "sticker", "fallback", "postback",
    "echo_from_page_inbox", "echo_of_our_send", "delivery", "read", "reaction", "edit", "standby", "batched",
    "redelivered_text",
}
INSTAGRAM = {"text", "image", "story_reply", "story_mention", "reaction", "messaging_seen", "echo", "unknown_item"}
EXPECTED = {f"messenger_{n}" for n in MESSENGER} | {f"instagram_{n}" for n in INSTAGRAM}
KINDS = {"message", "postback", "delivery", "read", "reaction", "message_edit"}
TOKEN = "test-page-token"
NOW = datetime(2025, 3, 9, 12, 0, tzinfo=UTC)


def all_items() -> list[tuple[str, dict[str, Any]]]:
    return [(name, item) for name in fixture_names() for item in messaging_items(fixture_json(name))]


def message_ids(item: dict[str, Any]) -> list[str]:
    for key in ("message", "postback"):
        if key in item:
            return [item[key]["mid"]]
    return []


# -- signature --------------------------------------------------------------------------------------------


def test_sign_is_sha256_hex_hmac_of_the_exact_bytes() -> None:
    body = fixture_bytes("messenger_text")
    signature = sign(body, "app-secret")
    assert re.fullmatch(r"sha256=[0-9a-f]{64}", signature)
    assert signature == "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
    assert sign(json.dumps(json.loads(body), ensure_ascii=False).encode(), "app-secret") != signature


def test_webhook_headers_carry_both_signatures() -> None:
    body = fixture_bytes("instagram_text")
    headers = webhook_headers(body, "s3cret")
    assert headers["x-hub-signature-256"] == sign(body, "s3cret")
    assert re.fullmatch(r"sha1=[0-9a-f]{40}", headers["x-hub-signature"])


# -- fixtures ---------------------------------------------------------------------------------------------


def test_every_fixture_the_connector_needs_is_there() -> None:
    assert set(fixture_names()) >= EXPECTED


@pytest.mark.parametrize("name", fixture_names())
def test_fixture_is_a_meta_webhook_body(name: str) -> None:
    raw = fixture_bytes(name)
    assert raw.isascii(), "Meta escapes non-ASCII characters in the body it signs"
    body = fixture_json(name)
    instagram = name.startswith("instagram_")
    assert body["object"] == ("instagram" if instagram else "page")
    account = IG_ACCOUNT_ID if instagram else PAGE_ID
    assert body["entry"]
    for entry in body["entry"]:
        assert entry["id"] == account
        assert isinstance(entry["time"], int) and entry["time"] > 1_500_000_000_000  # milliseconds
        assert {"messaging", "standby"} & entry.keys()
        for item in entry.get("messaging", []) + entry.get("standby", []):
            assert isinstance(item["timestamp"], int) and item["timestamp"] > 1_500_000_000_000
            assert item["timestamp"] <= entry["time"]
            sender, recipient = item["sender"]["id"], item["recipient"]["id"]
            assert re.fullmatch(r"\d{15,17}", sender) and re.fullmatch(r"\d{15,17}", recipient)
            echo = item.get("message", {}).get("is_echo", False)
            ours, customer = (sender, recipient) if echo else (recipient, sender)  # echoes come from the account
            assert ours == account and customer != account


@pytest.mark.parametrize("name", fixture_names())
def test_items_have_one_known_kind_or_are_unknown_on_purpose(name: str) -> None:
    for item in messaging_items(fixture_json(name)):
        kinds = KINDS & item.keys()
        if name == "instagram_unknown_item":
            assert not kinds
        else:
            assert len(kinds) == 1, item


def test_message_ids_are_unique_except_the_redelivery() -> None:
    counts = Counter(mid for _, item in all_items() for mid in message_ids(item))
    text_mid = fixture_json("messenger_text")["entry"][0]["messaging"][0]["message"]["mid"]
    assert counts[text_mid] == 2
    assert {mid for mid, n in counts.items() if n > 1} == {text_mid}
    assert all(re.fullmatch(r"m_[A-Za-z0-9_-]{20,}", mid) for name, item in all_items()
               if name.startswith("messenger_") for mid in message_ids(item))


def test_redelivery_repeats_the_text_item_exactly() -> None:
    original, again = fixture_json("messenger_text"), fixture_json("messenger_redelivered_text")
    assert messaging_items(again) == messaging_items(original)
    assert again["entry"][0]["time"] > original["entry"][0]["time"]


def test_echoes_tell_our_sends_from_the_page_inbox_by_app_id() -> None:
    ours = messaging_items(fixture_json("messenger_echo_of_our_send"))[0]["message"]
    inbox = messaging_items(fixture_json("messenger_echo_from_page_inbox"))[0]["message"]
    assert ours["is_echo"] is inbox["is_echo"] is True
    assert isinstance(ours["app_id"], int)  # Meta sends a number: compare str(app_id)
    assert str(ours["app_id"]) == OUR_APP_ID
    assert str(inbox["app_id"]) != OUR_APP_ID


def test_delivery_read_and_reaction_point_at_our_sent_message() -> None:
    ours = messaging_items(fixture_json("messenger_echo_of_our_send"))[0]
    delivery = messaging_items(fixture_json("messenger_delivery"))[0]["delivery"]
    read = messaging_items(fixture_json("messenger_read"))[0]["read"]
    reaction = messaging_items(fixture_json("messenger_reaction"))[0]["reaction"]
    assert delivery["mids"] == [ours["message"]["mid"]]
    assert delivery["watermark"] >= ours["timestamp"] and read["watermark"] >= ours["timestamp"]
    assert reaction["mid"] == ours["message"]["mid"] and reaction["action"] == "react"


def test_edit_changes_the_text_message() -> None:
    text = messaging_items(fixture_json("messenger_text"))[0]["message"]
    edit = messaging_items(fixture_json("messenger_edit"))[0]["message_edit"]
    assert edit["mid"] == text["mid"] and edit["text"] != text["text"] and edit["num_edit"] == 1


def test_standby_items_are_under_standby() -> None:
    entry = fixture_json("messenger_standby")["entry"][0]
    assert "messaging" not in entry and entry["standby"][0]["message"]["text"]


def test_batched_body_has_several_entries_and_customers() -> None:
    body = fixture_json("messenger_batched")
    items = messaging_items(body)
    assert len(body["entry"]) >= 2 and len(items) >= 3
    assert len({item["sender"]["id"] for item in items}) == 2


def test_sticker_and_attachments() -> None:
    sticker = messaging_items(fixture_json("messenger_sticker"))[0]["message"]
    assert sticker["attachments"][0]["type"] == "image" and sticker["attachments"][0]["payload"]["sticker_id"]
    for kind in ("image", "video", "audio", "file"):
        attachment = messaging_items(fixture_json(f"messenger_{kind}"))[0]["message"]["attachments"][0]
        assert attachment["type"] == kind
        assert attachment["payload"]["url"].startswith("https://cdn.fake.test/media/messenger/")
    fallback = messaging_items(fixture_json("messenger_fallback"))[0]["message"]["attachments"][0]
    assert fallback["type"] == "fallback" and not fallback["payload"]["url"].startswith("https://cdn.fake.test")


def test_instagram_specials() -> None:
    story = messaging_items(fixture_json("instagram_story_reply"))[0]["message"]
    assert set(story["reply_to"]["story"]) == {"url", "id"}
    mention = messaging_items(fixture_json("instagram_story_mention"))[0]["message"]["attachments"][0]
    assert mention["type"] == "story_mention" and mention["payload"]["url"]
    echo = messaging_items(fixture_json("instagram_echo"))[0]
    seen = messaging_items(fixture_json("instagram_messaging_seen"))[0]
    assert echo["sender"]["id"] == IG_ACCOUNT_ID and echo["recipient"]["id"] == IGSID
    assert seen["read"] == {"mid": echo["message"]["mid"]}


def test_media_base_rewrites_attachment_urls_to_the_fake() -> None:
    body = fixture_json("messenger_image", media_base="http://127.0.0.1:9")
    url = messaging_items(body)[0]["message"]["attachments"][0]["payload"]["url"]
    assert url.startswith("http://127.0.0.1:9/media/messenger/slip-20250309.jpg?")


# -- the fake Graph API -----------------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeGraphApi]:
    with FakeGraphApi() as api:
        api.now = NOW
        yield api


def send(fake: FakeGraphApi, body: dict[str, Any], *, token: str | None = TOKEN,
         path: str = f"/v21.0/{PAGE_ID}/messages") -> httpx.Response:
    params = {"access_token": token} if token is not None else {}
    return httpx.post(fake.base_url + path, params=params, json=body, timeout=5)


def text_body(text: str = "สวัสดีค่ะ", **extra: Any) -> dict[str, Any]:
    return {"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": text}, **extra}


def test_send_delivers_and_answers_a_message_id(fake: FakeGraphApi) -> None:
    response = send(fake, text_body())
    assert response.status_code == 200
    answer = response.json()
    assert answer["recipient_id"] == PSID and answer["message_id"].startswith("m_")
    assert fake.texts_to(PSID) == ["สวัสดีค่ะ"]
    assert fake.delivered[0].message_id == answer["message_id"]
    assert fake.calls[-1].query["access_token"] == [TOKEN]
    assert send(fake, text_body("อีกข้อความ"), path="/v21.0/me/messages").status_code == 200


def test_bearer_token_is_accepted(fake: FakeGraphApi) -> None:
    response = httpx.post(f"{fake.base_url}/v21.0/me/messages", json=text_body(),
                          headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    assert response.status_code == 200


def test_wrong_or_missing_token_is_refused_in_graph_format(fake: FakeGraphApi) -> None:
    wrong = send(fake, text_body(), token="nope")
    assert wrong.status_code == 400
    error = wrong.json()["error"]
    assert error["type"] == "OAuthException" and error["code"] == 190 and error["fbtrace_id"]
    assert error["message"].startswith("Invalid OAuth access token")
    assert send(fake, text_body(), token=None).json()["error"]["code"] == 2500
    assert fake.delivered == []


def test_other_api_version_is_refused(fake: FakeGraphApi) -> None:
    assert send(fake, text_body(), path=f"/v19.0/{PAGE_ID}/messages").status_code == 400


@pytest.mark.parametrize(("body", "fragment"), [
    ({"messaging_type": "RESPONSE", "message": {"text": "x"}}, "recipient"),
    (text_body(messaging_type="PROMO"), "messaging_type"),
    (text_body("ก" * 2001), "2000"),
    (text_body(messaging_type="MESSAGE_TAG"), "Tag is required"),
    (text_body(messaging_type="MESSAGE_TAG", tag="CONFIRMED_EVENT_UPDATE"), "HUMAN_AGENT"),
    ({**text_body(), "message": {"text": "เลือก", "quick_replies": [
        {"content_type": "text", "title": f"ข้อ {i}", "payload": str(i)} for i in range(14)]}}, "13"),
    ({**text_body(), "message": {"attachment": {"type": "sticker", "payload": {}}}}, "attachment"),
])
def test_invalid_sends_answer_code_100(fake: FakeGraphApi, body: dict[str, Any], fragment: str) -> None:
    response = send(fake, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100 and fragment in response.json()["error"]["message"]
    assert fake.delivered == []


def test_text_of_2000_characters_and_13_quick_replies_pass(fake: FakeGraphApi) -> None:
    quick = [{"content_type": "text", "title": f"ข้อ {i}", "payload": str(i)} for i in range(13)]
    assert send(fake, text_body("ก" * 2000)).status_code == 200
    assert send(fake, {**text_body(), "message": {"text": "เลือก", "quick_replies": quick}}).status_code == 200


def test_attachment_send_with_reusable_payload(fake: FakeGraphApi) -> None:
    body = {**text_body(), "message": {"attachment": {"type": "image", "payload": {
        "url": "https://ruamchat.example/media/a.jpg", "is_reusable": True}}}}
    answer = send(fake, body).json()
    assert answer["attachment_id"] and fake.delivered[0].message["attachment"]["type"] == "image"


def test_24_hour_window_and_human_agent_tag(fake: FakeGraphApi) -> None:
    fake.last_user_message(PSID, NOW - timedelta(hours=23, minutes=59))
    assert send(fake, text_body()).status_code == 200

    fake.last_user_message(PSID, NOW - timedelta(hours=25))
    outside = send(fake, text_body())
    assert outside.status_code == 400
    error = outside.json()["error"]
    assert (error["code"], error["error_subcode"]) == (10, 2018278)
    assert "outside of allowed window" in error["message"]
    assert send(fake, text_body(messaging_type="UPDATE")).status_code == 400
    tagged = text_body(messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
    assert send(fake, tagged).status_code == 200
    assert fake.delivered[-1].tag == "HUMAN_AGENT"

    fake.last_user_message(PSID, NOW - timedelta(days=7, minutes=1))
    assert send(fake, tagged).json()["error"]["error_subcode"] == 2018278
    assert len(fake.delivered) == 2


def test_strict_window_refuses_recipients_who_never_wrote() -> None:
    with FakeGraphApi(strict_window=True) as strict:
        assert send(strict, text_body()).json()["error"]["code"] == 10


def test_scripted_failures_then_success(fake: FakeGraphApi) -> None:
    fake.fail_next("/messages", 500, times=2)
    fake.fail_next("/messages", 429)
    first, second, third, fourth = (send(fake, text_body()) for _ in range(4))
    assert (first.status_code, second.status_code, third.status_code, fourth.status_code) == (500, 500, 429, 200)
    assert first.json()["error"]["is_transient"] is True
    assert third.json()["error"]["code"] == 613
    assert len(fake.delivered) == 1


def test_failure_after_delivery_and_not_available(fake: FakeGraphApi) -> None:
    fake.fail_next("/messages", 500, after_delivery=True)
    assert send(fake, text_body()).status_code == 500
    assert len(fake.delivered) == 1  # the customer got it even though the client saw an error
    fake.fail_next_not_available()
    error = send(fake, text_body()).json()["error"]
    assert error["code"] == 551 and "isn't available" in error["message"]


def test_sender_action(fake: FakeGraphApi) -> None:
    response = send(fake, {"recipient": {"id": PSID}, "sender_action": "typing_on"})
    assert response.json() == {"recipient_id": PSID}
    assert fake.sender_actions == [{"recipient_id": PSID, "sender_action": "typing_on"}]
    assert fake.delivered == []


def test_profiles(fake: FakeGraphApi) -> None:
    fake.add_profile(PSID, first_name="สมหญิง", last_name="ใจดี", profile_pic=fake.media_url("p/1.jpg"))
    fake.add_profile(IGSID, name="Somying J.", username="somying.shop", profile_pic=fake.media_url("p/2.jpg"))
    messenger = httpx.get(f"{fake.base_url}/v21.0/{PSID}", timeout=5,
                          params={"fields": "first_name,last_name,profile_pic", "access_token": TOKEN})
    assert messenger.json() == {"id": PSID, "first_name": "สมหญิง", "last_name": "ใจดี",
                                "profile_pic": fake.media_url("p/1.jpg")}
    instagram = httpx.get(f"{fake.base_url}/v21.0/{IGSID}", timeout=5,
                          params={"fields": "name,username", "access_token": TOKEN})
    assert instagram.json() == {"id": IGSID, "name": "Somying J.", "username": "somying.shop"}
    unknown = httpx.get(f"{fake.base_url}/v21.0/7000000000000000", timeout=5,
                        params={"fields": "first_name", "access_token": TOKEN})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == 100


def test_media_is_served_for_fixture_urls(fake: FakeGraphApi) -> None:
    fake.add_media("messenger/slip-20250309.jpg", b"\xff\xd8jpeg", "image/jpeg")
    fake.add_media("messenger/ใบเสนอราคา.pdf", b"%PDF-1.7", "application/pdf")
    for name, data, content_type in (("messenger_image", b"\xff\xd8jpeg", "image/jpeg"),
                                     ("messenger_file", b"%PDF-1.7", "application/pdf")):
        item = messaging_items(fixture_json(name, media_base=fake.base_url))[0]
        response = httpx.get(item["message"]["attachments"][0]["payload"]["url"], timeout=5)
        assert response.status_code == 200
        assert response.content == data and response.headers["content-type"] == content_type
    assert httpx.get(fake.media_url("messenger/expired.jpg"), timeout=5).status_code == 404


def test_graph_api_fixture_points_the_settings_at_the_fake(graph_api: FakeGraphApi, settings: Any) -> None:
    assert graph_api.base_url == settings.RUAMCHAT_META_GRAPH_URL
    assert settings.RUAMCHAT_META_GRAPH_VERSION == "v21.0"
    graph_api.add_profile(PSID, first_name="สมชาย")
    response = httpx.get(f"{settings.RUAMCHAT_META_GRAPH_URL}/v21.0/{PSID}", timeout=5,
                         params={"fields": "first_name", "access_token": TOKEN})
    assert response.json() == {"id": PSID, "first_name": "สมชาย"}
