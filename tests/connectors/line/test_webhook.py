"""LINE's webhook as LINE calls it: signed bodies in, stored raw, processed by the worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ruamchat.connectors.models import InboundEvent
from ruamchat.contacts.models import Identity
from ruamchat.inbox.models import Conversation, Message
from tests.connectors.line import fixture_bytes, fixture_json, fixture_names
from tests.fakes.line_api import sign

pytestmark = pytest.mark.django_db


def test_a_signed_text_is_stored_raw_answered_at_once_and_processed_by_the_worker(
    deliver: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    response = deliver("message_text")
    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.provider_event_id == "01JNWV9CR0W8E31FH5WK74YVFY" and event.event_type == "message"
    assert event.status == "pending" and not Message.objects.exists()  # answered before the heavy work

    run_jobs()
    event.refresh_from_db()
    assert event.status == "processed"
    message = Message.objects.get()
    assert message.text.startswith("@ร้านรวมแชท สวัสดีค่ะ")
    assert message.conversation.identity.external_id == "U37fb92822f4474ae3a95cdd4c23525da"


@pytest.mark.parametrize("signature", [None, "", sign(b"another body", "test-channel-secret"),
                                       sign(fixture_bytes("message_text"), "not-the-secret")])
def test_a_missing_or_forged_signature_gets_401_and_stores_nothing(
    deliver: Callable[..., Any], signature: str | None, client: Any, line_channel: Any
) -> None:
    if signature is None:
        response = client.post(f"/hooks/line/{line_channel.key}/", fixture_bytes("message_text"),
                               content_type="application/json")
    else:
        response = deliver("message_text", signature=signature)
    assert response.status_code == 401
    assert not InboundEvent.objects.exists() and not Message.objects.exists()


def test_a_tampered_body_with_the_original_signature_is_refused(deliver: Callable[..., Any]) -> None:
    original = fixture_bytes("message_text")
    tampered = original.replace("สวัสดีค่ะ".encode(), "โอนเงินมาด่วน".encode())
    assert deliver(tampered, signature=sign(original, "test-channel-secret")).status_code == 401
    assert not InboundEvent.objects.exists()


def test_lines_connectivity_check_with_no_events_gets_200_and_stores_nothing(deliver: Callable[..., Any]) -> None:
    response = deliver("empty_events")
    assert response.status_code == 200
    assert not InboundEvent.objects.exists()


def test_a_body_that_is_not_lines_format_gets_400(deliver: Callable[..., Any]) -> None:
    assert deliver(b"not json").status_code == 400
    assert deliver(b'{"destination": "U1"}').status_code == 400
    assert not InboundEvent.objects.exists()


def test_a_redelivered_event_creates_nothing_twice(
    deliver: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    deliver("message_text")
    run_jobs()
    assert deliver("redelivered_text").json() == {"accepted": 0}
    assert deliver("message_text").json() == {"accepted": 0}
    run_jobs()
    assert InboundEvent.objects.count() == 1
    assert Message.objects.count() == 1 and Conversation.objects.count() == 1


def test_an_unknown_event_type_is_acknowledged_and_kept_as_ignored(
    deliver: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    assert deliver("unknown_event_type").status_code == 200
    run_jobs()
    event = InboundEvent.objects.get()
    assert event.status == "ignored" and "hologramMeeting" in event.error
    assert json_of(event)["hologramMeeting"]["meetingId"] == "hm-f8afcf0cdbae"  # kept raw, to re-parse later


def json_of(event: InboundEvent) -> dict[str, Any]:
    import json

    data: dict[str, Any] = json.loads(bytes(event.payload))
    return data


@pytest.mark.parametrize("name", fixture_names())
def test_every_fixture_is_accepted_and_processed_without_error(
    name: str, deliver: Callable[..., Any], run_jobs: Callable[[], int], line_api: Any
) -> None:
    for event in fixture_json(name)["events"]:
        message = event.get("message") or {}
        if message.get("contentProvider", {}).get("type") == "line":
            line_api.add_content(message["id"], b"\x00" * 64,
                                 {"image": "image/jpeg", "video": "video/mp4", "audio": "audio/mp4"}.get(
                                     message["type"], "application/pdf"))
    response = deliver(name)
    assert response.status_code == 200
    assert response.json() == {"accepted": len(fixture_json(name)["events"])}
    run_jobs()
    statuses = set(InboundEvent.objects.values_list("status", flat=True))
    expected = {"ignored"} if name == "unknown_event_type" else {"processed"}
    assert statuses <= expected
    assert not InboundEvent.objects.filter(status="failed").exists()


def test_the_destination_is_kept_with_each_stored_event(
    deliver: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    deliver("message_image_set")
    events = list(InboundEvent.objects.order_by("id"))
    assert len(events) == 2
    assert {json_of(e)["destination"] for e in events} == {"Ud33eff827b2610d1aa5378b7b630cd46"}


def test_a_channel_with_another_secret_does_not_accept_this_channels_webhooks(
    deliver: Callable[..., Any], team: Any, line_api: Any
) -> None:
    from ruamchat.connectors.actions import create_channel

    other = create_channel(actor=None, kind="line", name="LINE สาขา 2", default_team=team,
                           secrets={"channel_secret": "another-secret", "access_token": "x"})
    assert deliver("message_text", channel=other).status_code == 401
    assert not Identity.objects.exists()


def test_lines_published_signature_test_vector_is_accepted_by_the_connector(team: Any) -> None:
    from ruamchat.connectors import registry
    from ruamchat.connectors.actions import create_channel
    from ruamchat.connectors.base import InvalidSignature, RawRequest

    channel = create_channel(actor=None, kind="line", name="vector",
                             secrets={"channel_secret": "channel_secret", "access_token": "t"})
    connector = registry.get("line")
    good = RawRequest(b"bodybodybodybody", {"x-line-signature": "/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7k="}, {})
    connector.verify(channel, good)
    with pytest.raises(InvalidSignature):
        connector.verify(channel, RawRequest(b"bodybodybodybodY", good.headers, {}))


def test_a_signature_header_with_non_ascii_characters_is_just_refused(deliver: Callable[..., Any]) -> None:
    assert deliver("message_text", signature="ลายเซ็นปลอม").status_code == 401
    assert not InboundEvent.objects.exists()
