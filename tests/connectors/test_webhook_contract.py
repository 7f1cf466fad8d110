"""The shared webhook pipeline, exercised through a small signed connector defined here."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from ruamchat.connectors import registry
from ruamchat.connectors.base import (
    InboundMessage,
    InvalidSignature,
    MalformedPayload,
    RawEvent,
    RawRequest,
    SendResult,
    UnknownEventType,
)
from ruamchat.connectors.models import Channel, InboundEvent
from ruamchat.inbox.models import Message

pytestmark = pytest.mark.django_db


class SignedConnector:
    """Shaped like LINE: base64 HMAC-SHA256 of the raw body in a header, events with unique ids."""

    kind = "signedtest"
    label = "Signed test"
    event_types = frozenset({"message"})

    def verify(self, channel: Channel, request: RawRequest) -> None:
        expected = base64.b64encode(
            hmac.new(channel.secrets["secret"].encode(), request.body, hashlib.sha256).digest()
        ).decode()
        if not hmac.compare_digest(expected, request.headers.get("x-signature", "")):
            raise InvalidSignature

    def split(self, channel: Channel, request: RawRequest) -> list[RawEvent]:
        try:
            body = json.loads(request.body)
            return [RawEvent(e["id"], e["type"], json.dumps(e).encode()) for e in body["events"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedPayload(str(exc)) from exc

    def parse(self, channel: Channel, event: InboundEvent) -> list[InboundMessage]:
        data = json.loads(bytes(event.payload))
        if data["type"] not in self.event_types:
            raise UnknownEventType(data["type"])
        return [InboundMessage(external_user_id=data["user"], provider_message_id=data["id"], text=data["text"])]

    def send(self, channel: Channel, message: Message) -> SendResult:
        return SendResult.sent()


@pytest.fixture
def signed_channel(team: Any) -> Channel:
    from ruamchat.connectors.actions import create_channel

    registry.register(SignedConnector())
    return create_channel(actor=None, kind="signedtest", name="Signed", default_team=team,
                          secrets={"secret": "channel_secret"})


def sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(b"channel_secret", body, hashlib.sha256).digest()).decode()


def post(client: Any, channel: Channel, body: bytes, signature: str | None) -> Any:
    headers = {"HTTP_X_SIGNATURE": signature} if signature is not None else {}
    return client.post(f"/hooks/{channel.kind}/{channel.key}/", body, content_type="application/json", **headers)


BODY = json.dumps({"events": [{"id": "ev-1", "type": "message", "user": "U1", "text": "สวัสดีค่ะ"}]},
                  ensure_ascii=False).encode()


def test_forged_or_unsigned_webhook_gets_401_and_stores_nothing(client: Any, signed_channel: Channel) -> None:
    assert post(client, signed_channel, BODY, None).status_code == 401
    assert post(client, signed_channel, BODY, sign(b"other body")).status_code == 401
    tampered = BODY.replace("สวัสดีค่ะ".encode(), "โอนเงินมา".encode())
    assert post(client, signed_channel, tampered, sign(BODY)).status_code == 401
    assert InboundEvent.objects.count() == 0 and Message.objects.count() == 0


def test_signed_webhook_is_stored_raw_then_processed_by_the_worker(
    client: Any, signed_channel: Channel, run_jobs: Any
) -> None:
    response = post(client, signed_channel, BODY, sign(BODY))
    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.status == "pending" and Message.objects.count() == 0  # answered before the heavy work
    assert json.loads(bytes(event.payload))["text"] == "สวัสดีค่ะ"
    run_jobs()
    event.refresh_from_db()
    assert event.status == "processed"
    assert Message.objects.get().text == "สวัสดีค่ะ"


def test_redelivered_event_creates_nothing_twice(client: Any, signed_channel: Channel, run_jobs: Any) -> None:
    post(client, signed_channel, BODY, sign(BODY))
    run_jobs()
    assert post(client, signed_channel, BODY, sign(BODY)).json() == {"accepted": 0}
    run_jobs()
    assert InboundEvent.objects.count() == 1 and Message.objects.count() == 1


def test_unknown_event_type_is_recorded_as_ignored_not_dropped(
    client: Any, signed_channel: Channel, run_jobs: Any
) -> None:
    body = json.dumps({"events": [{"id": "ev-9", "type": "beacon", "user": "U1"}]}).encode()
    assert post(client, signed_channel, body, sign(body)).status_code == 200
    run_jobs()
    event = InboundEvent.objects.get()
    assert event.status == "ignored" and "beacon" in event.error


def test_malformed_body_gets_400_and_stores_nothing(client: Any, signed_channel: Channel) -> None:
    body = b'{"events": [{"id": '
    response = post(client, signed_channel, body, sign(body))
    assert response.status_code == 400 and "malformed" in response.json()["error"]
    assert InboundEvent.objects.count() == 0


def test_unknown_channel_key_gets_404(client: Any, signed_channel: Channel) -> None:
    response = client.post("/hooks/signedtest/no-such-key/", BODY, content_type="application/json")
    assert response.status_code == 404


def test_channel_secrets_are_encrypted_at_rest(signed_channel: Channel) -> None:
    stored = Channel.objects.values_list("secrets_encrypted", flat=True).get(pk=signed_channel.pk)
    assert "channel_secret" not in stored
    assert Channel.objects.get(pk=signed_channel.pk).secrets == {"secret": "channel_secret"}


def _database_away(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    from django.db import OperationalError

    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def test_a_webhook_while_the_database_is_away_is_answered_503_so_the_provider_redelivers(
    signed_channel: Channel, run_jobs: Any, agent: Any
) -> None:
    from django.db import connection
    from django.test import Client
    from django.utils import translation

    client = Client(raise_request_exception=False)
    client.cookies["ruamchat_lang"] = "en"  # the answer is in the site's language (Thai) otherwise
    browser = Client(raise_request_exception=False)
    browser.force_login(agent)
    with connection.execute_wrapper(_database_away), translation.override("en"):
        response = post(client, signed_channel, BODY, sign(BODY))
        page = browser.get("/inbox/", HTTP_ACCEPT="text/html")
    assert response.status_code == 503 and response["Retry-After"] == "10"
    assert response.json() == {"error": "The database is unavailable; try again shortly."}
    assert page.status_code == 503 and page["Retry-After"] == "10"
    assert "cannot reach its database" in page.content.decode()
    assert InboundEvent.objects.count() == 0
    # the provider's redelivery, once the database is back, is taken as new
    assert post(client, signed_channel, BODY, sign(BODY)).status_code == 200
    run_jobs()
    assert Message.objects.get().text == "สวัสดีค่ะ"
