"""The LINE test kit itself: signature helper, webhook fixtures in LINE's format, and the fake LINE API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.connectors.line import fixture_bytes, fixture_json, fixture_names
from tests.fakes.line_api import FakeLineApi, sign, webhook_headers

EXPECTED_FIXTURES = {
    "message_text", "message_image", "message_image_external", "message_image_set", "message_video",
    "message_audio", "message_file", "message_location", "message_sticker", "follow", "follow_unblocked",
    "unfollow", "postback", "postback_datetime", "unsend", "join", "leave", "member_joined", "member_left",
    "message_group_text", "message_room_text", "unknown_event_type", "empty_events", "redelivered_text",
}
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TYPES_WITH_REPLY_TOKEN = {"message", "follow", "join", "memberJoined", "postback"}
TYPES_WITHOUT_REPLY_TOKEN = {"unfollow", "leave", "memberLeft", "unsend"}
CUSTOMER = "U37fb92822f4474ae3a95cdd4c23525da"
GROUP = "C1cce3f6c61dd2cc001fa632b0bfb7d93"
ROOM = "Rca36e77a6d41d52e939c7716eceac988"
TOKEN = "test-access-token"


def all_events() -> list[tuple[str, dict[str, Any]]]:
    return [(name, event) for name in fixture_names() for event in fixture_json(name)["events"]]


# -- signature --------------------------------------------------------------------------------------------


def test_sign_reproduces_lines_published_test_vector() -> None:
    assert sign(b"bodybodybodybody", "channel_secret") == "/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7k="


def test_webhook_headers_carry_a_signature_of_the_exact_body() -> None:
    body = fixture_bytes("message_text")
    headers = webhook_headers(body, "s3cret")
    expected = base64.b64encode(hmac.new(b"s3cret", body, hashlib.sha256).digest()).decode()
    assert headers["x-line-signature"] == expected
    assert headers["content-type"].startswith("application/json")


# -- fixtures ---------------------------------------------------------------------------------------------


def test_every_fixture_the_connector_needs_is_there() -> None:
    assert set(fixture_names()) >= EXPECTED_FIXTURES


@pytest.mark.parametrize("name", fixture_names())
def test_fixture_is_a_line_webhook_body(name: str) -> None:
    body = fixture_json(name)
    assert re.fullmatch(r"U[0-9a-f]{32}", body["destination"])
    assert isinstance(body["events"], list)
    for event in body["events"]:
        assert isinstance(event["type"], str) and event["type"]
        assert isinstance(event["timestamp"], int) and event["timestamp"] > 1_500_000_000_000  # milliseconds
        assert event["mode"] in {"active", "standby"}
        assert ULID.fullmatch(event["webhookEventId"])
        assert isinstance(event["deliveryContext"]["isRedelivery"], bool)
        source = event["source"]
        assert re.fullmatch(r"U[0-9a-f]{32}", source.get("userId", "U" + "0" * 32))
        if source["type"] == "group":
            assert re.fullmatch(r"C[0-9a-f]{32}", source["groupId"])
        elif source["type"] == "room":
            assert re.fullmatch(r"R[0-9a-f]{32}", source["roomId"])
        else:
            assert source["type"] == "user"


def test_webhook_event_ids_are_unique_except_the_redelivered_one() -> None:
    counts = Counter(event["webhookEventId"] for _, event in all_events())
    repeated = {event_id for event_id, n in counts.items() if n > 1}
    assert repeated == {fixture_json("message_text")["events"][0]["webhookEventId"]}
    assert counts[next(iter(repeated))] == 2


def test_redelivery_repeats_the_original_event_flagged_as_redelivered() -> None:
    original = fixture_json("message_text")["events"][0]
    redelivered = fixture_json("redelivered_text")["events"][0]
    assert original["deliveryContext"] == {"isRedelivery": False}
    assert redelivered["deliveryContext"] == {"isRedelivery": True}
    assert {**redelivered, "deliveryContext": original["deliveryContext"]} == original


def test_event_id_time_part_is_the_event_timestamp() -> None:
    for name, event in all_events():
        encoded = event["webhookEventId"][:10]
        millis = 0
        for char in encoded:
            millis = millis * 32 + CROCKFORD.index(char)
        assert millis == event["timestamp"], name


def test_reply_tokens_appear_where_line_sends_them() -> None:
    for name, event in all_events():
        if event["type"] in TYPES_WITH_REPLY_TOKEN:
            assert re.fullmatch(r"[0-9a-f]{32}", event["replyToken"]), name
        if event["type"] in TYPES_WITHOUT_REPLY_TOKEN:
            assert "replyToken" not in event, name


def test_mentions_and_emojis_point_at_their_text() -> None:
    message = fixture_json("message_text")["events"][0]["message"]
    text = message["text"]
    (emoji,) = message["emojis"]
    assert text[emoji["index"]:emoji["index"] + emoji["length"]] == "(love)"
    for name in ("message_text", "message_group_text"):
        message = fixture_json(name)["events"][0]["message"]
        (mentionee,) = message["mention"]["mentionees"]
        mentioned = message["text"][mentionee["index"]:mentionee["index"] + mentionee["length"]]
        assert mentioned == "@ร้านรวมแชท"
        assert mentionee["isSelf"] is True
        assert mentionee["userId"] == fixture_json(name)["destination"]


def test_unsend_names_a_message_the_customer_sent() -> None:
    unsent = fixture_json("unsend")["events"][0]["unsend"]["messageId"]
    assert unsent == fixture_json("message_text")["events"][0]["message"]["id"]


def test_media_fixtures_say_where_their_content_lives() -> None:
    for name in ("message_image", "message_video", "message_audio"):
        assert fixture_json(name)["events"][0]["message"]["contentProvider"] == {"type": "line"}
    external = fixture_json("message_image_external")["events"][0]["message"]["contentProvider"]
    assert external["type"] == "external"
    assert external["originalContentUrl"].startswith("https://")
    assert fixture_json("empty_events")["events"] == []


# -- the fake LINE API ------------------------------------------------------------------------------------


@pytest.fixture
def client(line_api: FakeLineApi) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=line_api.api_url, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        yield c


def text_message(text: str) -> dict[str, str]:
    return {"type": "text", "text": text}


def push(client: httpx.Client, text: str, *, retry_key: str | None = None, to: str = CUSTOMER) -> httpx.Response:
    headers = {"X-Line-Retry-Key": retry_key} if retry_key else {}
    return client.post("/v2/bot/message/push", json={"to": to, "messages": [text_message(text)]}, headers=headers)


def test_line_api_fixture_points_the_connector_settings_at_the_fake(settings: Any, line_api: FakeLineApi) -> None:
    assert line_api.api_url == settings.RUAMCHAT_LINE_API_URL
    assert line_api.data_url == settings.RUAMCHAT_LINE_DATA_URL
    assert line_api.api_url != line_api.data_url


def test_a_reply_token_works_once(line_api: FakeLineApi, client: httpx.Client) -> None:
    token = line_api.issue_reply_token(to=CUSTOMER)
    body = {"replyToken": token, "messages": [text_message("ได้รับเรื่องแล้วค่ะ")]}

    first = client.post("/v2/bot/message/reply", json=body)
    again = client.post("/v2/bot/message/reply", json=body)

    assert first.status_code == 200
    (sent,) = first.json()["sentMessages"]
    assert sent["id"].isdigit() and sent["quoteToken"]
    assert again.status_code == 400
    assert again.json() == {"message": "Invalid reply token"}
    assert line_api.texts_to(CUSTOMER) == ["ได้รับเรื่องแล้วค่ะ"]


def test_expired_and_unknown_reply_tokens_are_refused(line_api: FakeLineApi, client: httpx.Client) -> None:
    token = line_api.issue_reply_token(token=fixture_json("message_text")["events"][0]["replyToken"], to=CUSTOMER)
    line_api.expire_reply_token(token)

    for reply_token in (token, "0" * 32):
        answer = client.post("/v2/bot/message/reply",
                             json={"replyToken": reply_token, "messages": [text_message("สวัสดีค่ะ")]})
        assert answer.status_code == 400
        assert answer.json()["message"] == "Invalid reply token"
    assert line_api.delivered == []


def test_messages_are_validated_like_line_does(line_api: FakeLineApi, client: httpx.Client) -> None:
    token = line_api.issue_reply_token(to=CUSTOMER)
    too_many = client.post("/v2/bot/message/reply",
                           json={"replyToken": token, "messages": [text_message("ก")] * 6})
    too_long = push(client, "ก" * 5001)
    empty = push(client, "")

    assert too_many.status_code == 400
    assert too_many.json()["details"] == [{"message": "Size must be between 1 and 5", "property": "messages"}]
    assert too_long.json() == {"message": "The request body has 1 error(s)", "details": [
        {"message": "Length must be between 0 and 5000", "property": "messages[0].text"}]}
    assert empty.json()["details"] == [{"message": "May not be empty", "property": "messages[0].text"}]
    assert push(client, "ก" * 5000).status_code == 200
    assert client.post("/v2/bot/message/reply", json={"replyToken": token, "messages": [text_message("ok")]}
                       ).status_code == 200  # the refused request did not use the token up


def test_a_repeated_retry_key_is_refused_and_delivers_once(line_api: FakeLineApi, client: httpx.Client) -> None:
    key = str(uuid.uuid4())

    first = push(client, "พัสดุออกจากคลังแล้วค่ะ", retry_key=key)
    retried = push(client, "พัสดุออกจากคลังแล้วค่ะ", retry_key=key)

    assert first.status_code == 200
    assert retried.status_code == 409
    assert retried.json() == {"message": "The retry key is already accepted",
                              "sentMessages": first.json()["sentMessages"]}
    assert retried.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    assert line_api.texts_to(CUSTOMER) == ["พัสดุออกจากคลังแล้วค่ะ"]


def test_a_push_accepted_but_answered_with_an_error_is_not_sent_twice_on_retry(
    line_api: FakeLineApi, client: httpx.Client
) -> None:
    line_api.fail_next("/v2/bot/message/push", 500, after_delivery=True)
    key = str(uuid.uuid4())

    lost = push(client, "คืนเงินเรียบร้อยค่ะ", retry_key=key)
    retried = push(client, "คืนเงินเรียบร้อยค่ะ", retry_key=key)

    assert lost.status_code == 500
    assert retried.status_code == 409
    assert line_api.texts_to(CUSTOMER) == ["คืนเงินเรียบร้อยค่ะ"]


def test_a_failed_push_leaves_its_retry_key_usable(line_api: FakeLineApi, client: httpx.Client) -> None:
    line_api.fail_next("/v2/bot/message/push", 429)
    key = str(uuid.uuid4())

    limited = push(client, "ขออภัยที่ตอบช้าค่ะ", retry_key=key)
    retried = push(client, "ขออภัยที่ตอบช้าค่ะ", retry_key=key)

    assert limited.status_code == 429
    assert limited.json() == {"message": "The API rate limit has been exceeded. Try again later."}
    assert retried.status_code == 200
    assert line_api.texts_to(CUSTOMER) == ["ขออภัยที่ตอบช้าค่ะ"]
    assert [c.status for c in line_api.calls_to("/v2/bot/message/push")] == [429, 200]


def test_scripted_failures_run_out(line_api: FakeLineApi, client: httpx.Client) -> None:
    details = [{"message": "May not be empty", "property": "messages[0].text"}]
    line_api.fail_next("/v2/bot/message/push", 400, {"message": "The request body has 1 error(s)",
                                                     "details": details}, times=2)
    statuses = [push(client, "ทดสอบ").status_code for _ in range(3)]
    assert statuses == [400, 400, 200]
    assert len(line_api.delivered) == 1


def test_a_wrong_or_missing_access_token_is_refused(line_api: FakeLineApi) -> None:
    body = {"to": CUSTOMER, "messages": [text_message("สวัสดี")]}
    wrong = httpx.post(f"{line_api.api_url}/v2/bot/message/push", json=body,
                       headers={"Authorization": "Bearer not-the-token"})
    missing = httpx.get(f"{line_api.data_url}/v2/bot/message/1/content")

    assert wrong.status_code == 401
    assert wrong.json() == {"message": "Authentication failed. Confirm that the access token in the "
                                       "authorization header is valid."}
    assert missing.status_code == 401
    assert line_api.delivered == []


def test_every_answer_carries_a_request_id(line_api: FakeLineApi, client: httpx.Client) -> None:
    answers = [push(client, "ก"), client.get("/v2/bot/profile/" + CUSTOMER), client.get("/no/such/path")]
    ids = [a.headers["x-line-request-id"] for a in answers]
    assert len(set(ids)) == 3
    assert [c.request_id for c in line_api.calls] == ids


def test_push_refuses_an_id_that_is_not_a_line_chat(line_api: FakeLineApi, client: httpx.Client) -> None:
    answer = push(client, "สวัสดี", to="somchai")
    assert answer.status_code == 400
    assert "'to'" in answer.json()["message"]
    assert push(client, "สวัสดีทุกคน", to=GROUP).status_code == 200
    assert line_api.texts_to(GROUP) == ["สวัสดีทุกคน"]


def test_reply_refuses_a_retry_key(line_api: FakeLineApi, client: httpx.Client) -> None:
    token = line_api.issue_reply_token(to=CUSTOMER)
    answer = client.post("/v2/bot/message/reply", json={"replyToken": token, "messages": [text_message("ก")]},
                         headers={"X-Line-Retry-Key": str(uuid.uuid4())})
    assert answer.status_code == 400
    assert line_api.delivered == []


def test_content_comes_from_the_data_host(line_api: FakeLineApi) -> None:
    line_api.add_content("551234567890123700", b"\xff\xd8\xff\xe0jpeg-bytes", "image/jpeg")
    headers = {"Authorization": f"Bearer {TOKEN}"}

    data = httpx.get(f"{line_api.data_url}/v2/bot/message/551234567890123700/content", headers=headers)
    wrong_host = httpx.get(f"{line_api.api_url}/v2/bot/message/551234567890123700/content", headers=headers)
    unknown = httpx.get(f"{line_api.data_url}/v2/bot/message/1/content", headers=headers)

    assert data.status_code == 200
    assert data.content == b"\xff\xd8\xff\xe0jpeg-bytes"
    assert data.headers["content-type"] == "image/jpeg"
    assert wrong_host.status_code == 404
    assert unknown.status_code == 404
    assert unknown.json() == {"message": "Not found"}


def test_video_content_waits_for_transcoding(line_api: FakeLineApi) -> None:
    line_api.add_content("551234567890123800", b"mp4-bytes", "video/mp4")
    line_api.set_transcoding("551234567890123800", "processing")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    base = f"{line_api.data_url}/v2/bot/message/551234567890123800/content"

    assert httpx.get(f"{base}/transcoding", headers=headers).json() == {"status": "processing"}
    assert httpx.get(base, headers=headers).status_code == 202

    line_api.set_transcoding("551234567890123800", "succeeded")
    assert httpx.get(f"{base}/transcoding", headers=headers).json() == {"status": "succeeded"}
    ready = httpx.get(base, headers=headers)
    assert (ready.status_code, ready.content, ready.headers["content-type"]) == (200, b"mp4-bytes", "video/mp4")

    line_api.set_transcoding("551234567890123800", "failed")
    assert httpx.get(f"{base}/transcoding", headers=headers).json() == {"status": "failed"}
    assert httpx.get(base, headers=headers).status_code == 404


def test_unsent_content_is_gone(line_api: FakeLineApi) -> None:
    line_api.add_content("551234567890123900", b"png", "image/png")
    line_api.unsend("551234567890123900")
    answer = httpx.get(f"{line_api.data_url}/v2/bot/message/551234567890123900/content",
                       headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 410


def test_profiles_and_unknown_users(line_api: FakeLineApi, client: httpx.Client) -> None:
    line_api.add_profile(CUSTOMER, "น้องมะลิ", status_message="รีวิวของทุกชิ้นค่ะ")
    line_api.add_profile("U" + "1" * 32, "Somchai", language=None, picture=False)

    profile = client.get(f"/v2/bot/profile/{CUSTOMER}").json()
    bare = client.get("/v2/bot/profile/" + "U" + "1" * 32).json()
    unknown = client.get("/v2/bot/profile/" + "U" + "2" * 32)

    assert profile == {"displayName": "น้องมะลิ", "userId": CUSTOMER, "language": "th",
                       "pictureUrl": line_api.picture_url(CUSTOMER), "statusMessage": "รีวิวของทุกชิ้นค่ะ"}
    assert bare == {"displayName": "Somchai", "userId": "U" + "1" * 32}
    assert (unknown.status_code, unknown.json()) == (404, {"message": "Not found"})
    picture = httpx.get(profile["pictureUrl"])  # served without a token, like LINE's CDN
    assert (picture.status_code, picture.headers["content-type"]) == (200, "image/png")


def test_group_and_room_members_and_group_summary(line_api: FakeLineApi, client: httpx.Client) -> None:
    line_api.add_group(GROUP, "ลูกค้าองค์กร ABC")
    line_api.add_group_member(GROUP, CUSTOMER, "คุณวิภา")
    line_api.add_room_member(ROOM, CUSTOMER, "คุณวิภา", picture=False)

    assert client.get(f"/v2/bot/group/{GROUP}/summary").json() == {
        "groupId": GROUP, "groupName": "ลูกค้าองค์กร ABC", "pictureUrl": line_api.picture_url(GROUP)}
    assert client.get(f"/v2/bot/group/{GROUP}/member/{CUSTOMER}").json() == {
        "displayName": "คุณวิภา", "userId": CUSTOMER, "pictureUrl": line_api.picture_url(CUSTOMER)}
    assert client.get(f"/v2/bot/room/{ROOM}/member/{CUSTOMER}").json() == {
        "displayName": "คุณวิภา", "userId": CUSTOMER}
    assert client.get(f"/v2/bot/group/{GROUP}/member/" + "U" + "3" * 32).status_code == 404
    assert client.get("/v2/bot/group/" + "C" + "4" * 32 + "/summary").status_code == 404


def test_loading_animation_and_mark_as_read(line_api: FakeLineApi, client: httpx.Client) -> None:
    token = fixture_json("message_text")["events"][0]["message"]["markAsReadToken"]

    loading = client.post("/v2/bot/chat/loading/start", json={"chatId": CUSTOMER, "loadingSeconds": 20})
    odd_seconds = client.post("/v2/bot/chat/loading/start", json={"chatId": CUSTOMER, "loadingSeconds": 7})
    in_group = client.post("/v2/bot/chat/loading/start", json={"chatId": GROUP})
    read = client.post("/v2/bot/chat/markAsRead", json={"markAsReadToken": token})
    read_by_chat = client.post("/v2/bot/message/markAsRead", json={"chat": {"userId": CUSTOMER}})
    no_token = client.post("/v2/bot/chat/markAsRead", json={})

    assert (loading.status_code, loading.json()) == (202, {})
    assert odd_seconds.status_code == 400
    assert in_group.status_code == 400
    assert line_api.loading == [{"chatId": CUSTOMER, "loadingSeconds": 20}]
    assert (read.status_code, read.json(), read_by_chat.status_code) == (200, {}, 200)
    assert no_token.status_code == 400
    assert line_api.marked_as_read == [{"markAsReadToken": token}, {"chat": {"userId": CUSTOMER}}]


def test_calls_are_recorded_with_lower_case_headers(line_api: FakeLineApi, client: httpx.Client) -> None:
    key = str(uuid.uuid4())
    push(client, "สวัสดีค่ะ", retry_key=key)
    (call,) = line_api.calls_to("/v2/bot/message/push", method="POST")
    assert call.host == "api"
    assert call.headers["x-line-retry-key"] == key
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert call.json == {"to": CUSTOMER, "messages": [{"type": "text", "text": "สวัสดีค่ะ"}]}
    assert json.loads(call.body) == call.json
