"""Meta's webhook as Meta calls it: the subscription handshake, signed bodies, stored raw, deduplicated."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ruamchat.connectors.models import InboundEvent
from ruamchat.inbox.models import Conversation, Message
from tests.connectors.meta.conftest import APP_SECRET, VERIFY_TOKEN, body, text_item
from tests.fakes.graph_api import sign

pytestmark = pytest.mark.django_db


def handshake(client: Client, channel: Any, **query: str) -> Any:
    return client.get(f"/hooks/{channel.kind}/{channel.key}/", query)


@pytest.mark.parametrize("kind", ["messenger", "instagram"])
def test_the_subscription_handshake_answers_the_challenge_only_for_the_right_token(
    kind: str, client: Client, request: pytest.FixtureRequest
) -> None:
    channel = request.getfixturevalue(kind)
    ok = handshake(client, channel, **{"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                       "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.content == b"1158201444"
    assert ok["Content-Type"].startswith("text/plain")
    wrong = handshake(client, channel, **{"hub.mode": "subscribe", "hub.verify_token": "guess",
                                          "hub.challenge": "1158201444"})
    assert wrong.status_code == 403 and b"1158201444" not in wrong.content
    assert handshake(client, channel, **{"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN,
                                         "hub.challenge": "1"}).status_code == 403
    assert handshake(client, channel).status_code == 403


def test_a_signed_message_is_stored_raw_answered_at_once_and_processed_by_the_worker(
    messenger: Any, deliver: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    response = deliver(messenger, body(text_item("สวัสดีค่ะ", mid="m_hello")))
    assert response.status_code == 200 and response.json() == {"accepted": 1}
    event = InboundEvent.objects.get()
    assert event.provider_event_id == "m_hello" and event.event_type == "message"
    assert not Message.objects.exists()
    run_jobs()
    event.refresh_from_db()
    assert event.status == "processed"
    assert Message.objects.get().text == "สวัสดีค่ะ"


@pytest.mark.parametrize("signature", [None, "", "sha256=" + "0" * 64, sign(b"another body", APP_SECRET)])
def test_a_missing_or_forged_signature_gets_401_and_stores_nothing(
    messenger: Any, deliver: Callable[..., Any], client: Client, signature: str | None
) -> None:
    raw = body(text_item("โอนเงินมาด่วน"))
    if signature is None:
        response = client.post(f"/hooks/messenger/{messenger.key}/", raw, content_type="application/json")
    else:
        response = deliver(messenger, raw, signature=signature)
    assert response.status_code == 401
    assert not InboundEvent.objects.exists() and not Message.objects.exists()


def test_a_body_signed_with_another_apps_secret_is_refused(messenger: Any, deliver: Callable[..., Any]) -> None:
    raw = body(text_item("hi"))
    assert deliver(messenger, raw, signature=sign(raw, "not-our-secret")).status_code == 401
    assert not InboundEvent.objects.exists()


def test_a_body_that_is_not_metas_format_or_for_the_other_kind_gets_400(
    messenger: Any, deliver: Callable[..., Any]
) -> None:
    assert deliver(messenger, b"not json").status_code == 400
    assert deliver(messenger, b'{"object": "page"}').status_code == 400
    assert deliver(messenger, body(text_item("hi"), kind="instagram")).status_code == 400
    assert not InboundEvent.objects.exists()


def test_a_redelivered_message_creates_nothing_twice(
    messenger: Any, deliver: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    item = text_item("ขอเลขพัสดุค่ะ", mid="m_once")
    deliver(messenger, body(item))
    run_jobs()
    item["timestamp"] += 5  # Meta redelivers the same mid, sometimes in a new envelope
    assert deliver(messenger, body(item)).json() == {"accepted": 0}
    run_jobs()
    assert InboundEvent.objects.count() == 1
    assert Message.objects.count() == 1 and Conversation.objects.count() == 1


def test_standby_and_unknown_items_are_acknowledged_and_kept_as_ignored(
    messenger: Any, deliver: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    standby = text_item("ตอนนี้อีกแอปดูแลอยู่")
    odd = {"sender": {"id": "1"}, "recipient": {"id": "2"}, "timestamp": 1, "optin": {"ref": "x"}}
    assert deliver(messenger, body(standby, standby=True)).status_code == 200
    assert deliver(messenger, body(odd)).status_code == 200
    run_jobs()
    assert sorted(InboundEvent.objects.values_list("event_type", "status")) == [
        ("optin", "ignored"), ("standby", "ignored")]
    assert not Message.objects.exists()


def test_events_of_another_page_of_the_same_app_go_to_that_pages_channel(
    messenger: Any, deliver: Callable[..., Any], run_jobs: Callable[[], int], team: Any
) -> None:
    """All Pages of one Meta app post to the app's single callback URL: route each entry by its Page id."""
    import json

    from tests.connectors.meta.conftest import _channel

    second_page = _channel("messenger", team, "105000000000002", "test-page-token")
    raw = json.loads(body(text_item("สั่งจากเพจสาขาสอง", mid="m_other_page")))
    raw["entry"][0]["id"] = "105000000000002"
    assert deliver(messenger, json.dumps(raw, ensure_ascii=False).encode()).status_code == 200
    run_jobs()
    message = Message.objects.get(provider_message_id="m_other_page")
    assert message.channel == second_page and message.conversation.channel == second_page
    assert InboundEvent.objects.get().channel == second_page
