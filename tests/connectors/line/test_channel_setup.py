"""Connecting LINE Official Accounts: through the REST API, several at once, secrets never shown back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ruamchat.connectors import registry
from ruamchat.connectors.models import Channel
from ruamchat.inbox.models import Conversation
from tests.connectors.line import fixture_bytes
from tests.fakes.line_api import FakeLineApi, webhook_headers

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def admin_api(admin_user: Any) -> Client:
    from ruamchat.accounts.actions import create_api_token

    return Client(headers={"Authorization": f"Bearer {create_api_token(user=admin_user, name='test')}"})


def test_an_admin_connects_a_line_account_and_gets_the_webhook_url_to_paste_into_line(
    admin_api: Client, team: Any, settings: Any
) -> None:
    settings.RUAMCHAT_PUBLIC_URL = "https://chat.shop.example"
    response = admin_api.post("/api/v1/channels", {
        "kind": "line", "name": "LINE ร้านรวมแชท", "default_team_id": team.pk,
        "config": {"line_channel_id": "2001234567"},
        "secrets": {"channel_secret": "8c5e7f9a0b1d2c3e4f5a6b7c8d9e0f1a", "access_token": "long-lived-token-abcd"},
    }, content_type=JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    channel = Channel.objects.get(pk=body["id"])
    assert body["webhook_url"] == f"https://chat.shop.example/hooks/line/{channel.key}/"
    assert body["config"] == {"line_channel_id": "2001234567"}
    assert "8c5e7f9a0b1d2c3e4f5a6b7c8d9e0f1a" not in response.content.decode()
    assert "long-lived-token-abcd" not in response.content.decode()
    assert body["secrets"]["access_token"].endswith("abcd")
    assert channel.secrets["channel_secret"] == "8c5e7f9a0b1d2c3e4f5a6b7c8d9e0f1a"


def test_a_line_account_without_its_secrets_is_refused_with_the_fields_to_fix(admin_api: Client) -> None:
    response = admin_api.post("/api/v1/channels", {"kind": "line", "name": "LINE", "secrets": {"channel_secret": "s"}},
                              content_type=JSON)
    assert response.status_code == 400
    assert "access_token" in response.content.decode()
    assert not Channel.objects.filter(kind="line").exists()


def test_two_line_accounts_each_bring_their_chats_to_their_own_team(
    client: Client, team: Any, support_team: Any, line_api: FakeLineApi, run_jobs: Callable[[], int]
) -> None:
    from ruamchat.connectors.actions import create_channel

    shop = create_channel(actor=None, kind="line", name="ร้าน", default_team=team,
                          secrets={"channel_secret": "shop-secret", "access_token": line_api.access_token})
    care = create_channel(actor=None, kind="line", name="ศูนย์บริการ", default_team=support_team,
                          secrets={"channel_secret": "care-secret", "access_token": line_api.access_token})
    body = fixture_bytes("message_text")
    for channel, secret in ((shop, "shop-secret"), (care, "care-secret")):
        headers = webhook_headers(body, secret)
        response = client.post(f"/hooks/line/{channel.key}/", body, content_type=headers.pop("content-type"),
                               headers=headers)
        assert response.status_code == 200
    run_jobs()
    assert set(Conversation.objects.values_list("channel__name", "team__name")) == {
        ("ร้าน", team.name), ("ศูนย์บริการ", support_team.name)}


def test_line_settings_need_both_secrets() -> None:
    connector: Any = registry.get("line")
    assert connector.validate_settings({"line_channel_id": "2001234567"},
                                       {"channel_secret": "s", "access_token": "t"}) == {}
    errors = connector.validate_settings({}, {"channel_secret": " "})
    assert set(errors) == {"channel_secret", "access_token"}
    assert set(connector.validate_settings({"line_channel_id": "abc"}, {"channel_secret": "s", "access_token": "t"})
               ) == {"line_channel_id"}


def test_the_line_connector_is_registered_with_its_label() -> None:
    connector = registry.get("line")
    assert connector.label == "LINE Official Account"
    assert {"message", "follow", "unfollow", "postback", "unsend", "join", "leave", "memberJoined",
            "memberLeft"} <= connector.event_types
