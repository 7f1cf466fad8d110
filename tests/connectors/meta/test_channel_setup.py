"""Connecting a Facebook Page or an Instagram account through the REST API: settings checked, secrets hidden."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ruamchat.connectors.models import Channel

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def admin_api(admin_user: Any) -> Client:
    from ruamchat.accounts.actions import create_api_token

    return Client(headers={"Authorization": f"Bearer {create_api_token(user=admin_user, name='test')}"})


def test_an_admin_connects_a_page_and_gets_the_webhook_url(admin_api: Client, team: Any, settings: Any) -> None:
    settings.RUAMCHAT_PUBLIC_URL = "https://chat.shop.example"
    response = admin_api.post("/api/v1/channels", {
        "kind": "messenger", "name": "เพจร้านรวมแชท", "default_team_id": team.pk,
        "config": {"page_id": "105000000000001", "app_id": "1111111111"},
        "secrets": {"page_access_token": "EAAG-page-token-wxyz", "app_secret": "app-secret-1234",
                    "verify_token": "verify-me"},
    }, content_type=JSON)
    assert response.status_code == 201, response.content
    channel = Channel.objects.get(pk=response.json()["id"])
    assert response.json()["webhook_url"] == f"https://chat.shop.example/hooks/messenger/{channel.key}/"
    assert "EAAG-page-token-wxyz" not in response.content.decode()
    assert channel.secrets["app_secret"] == "app-secret-1234"


@pytest.mark.parametrize(("kind", "config", "bad"), [
    ("messenger", {"page_id": "my-page", "app_id": "1111111111"}, "page_id"),
    ("instagram", {"app_id": "1111111111"}, "instagram_id"),
])
def test_missing_or_non_numeric_ids_and_missing_secrets_are_refused(
    admin_api: Client, kind: str, config: dict[str, str], bad: str
) -> None:
    response = admin_api.post("/api/v1/channels", {"kind": kind, "name": "x", "config": config,
                                                   "secrets": {"page_access_token": "t"}}, content_type=JSON)
    assert response.status_code == 400
    for field in (bad, "app_secret", "verify_token"):
        assert field in response.content.decode()
    assert not Channel.objects.exists()
