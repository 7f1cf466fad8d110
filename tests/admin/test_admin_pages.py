"""Administrators configure teams, channels and canned responses in the admin pages (Django admin)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ruamchat.accounts.models import Team
from ruamchat.connectors.models import Channel
from ruamchat.inbox.models import CannedResponse

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client, admin_user: Any) -> Client:
    client.force_login(admin_user)
    return client


def test_agents_cannot_open_the_admin_pages(client: Client, agent: Any) -> None:
    client.force_login(agent)
    response = client.get("/django-admin/connectors/channel/")
    assert response.status_code == 302 and "/django-admin/login/" in response["Location"]


def test_admin_connects_a_website_channel_and_sees_the_snippet(admin_client: Client, team: Any) -> None:
    response = admin_client.post("/django-admin/connectors/channel/add/", {
        "kind": "website", "name": "ร้านออนไลน์", "default_team": team.pk, "config": '{"prechat": true}',
        "is_active": "on", "new_secrets": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = Channel.objects.get(name="ร้านออนไลน์")
    assert channel.kind == "website" and channel.config == {"prechat": True} and channel.default_team == team
    page = admin_client.get(f"/django-admin/connectors/channel/{channel.pk}/change/").content.decode()
    assert f"/widget/{channel.key}.js" in page


def test_channel_secrets_are_write_only_in_the_admin(admin_client: Client, website: Any) -> None:
    url = f"/django-admin/connectors/channel/{website.pk}/change/"
    form = {"name": website.name, "default_team": website.default_team_id, "config": "{}", "is_active": "on"}
    admin_client.post(url, {**form, "new_secrets": '{"channel_secret": "s3cret-value-123"}'})
    website.refresh_from_db()
    assert website.secrets == {"channel_secret": "s3cret-value-123"}
    assert "s3cret-value-123" not in admin_client.get(url).content.decode()
    admin_client.post(url, {**form, "new_secrets": ""})  # blank keeps what is stored
    website.refresh_from_db()
    assert website.secrets == {"channel_secret": "s3cret-value-123"}
    response = admin_client.post(url, {**form, "new_secrets": "not json"})
    assert response.status_code == 200 and "JSON" in response.content.decode()


def test_admin_creates_a_team_and_a_canned_response(admin_client: Client) -> None:
    assert admin_client.post("/django-admin/accounts/team/add/", {
        "name": "ทีมคืนสินค้า", "kind": "support", "open_to_all": "on", "assignment": "least_busy",
        "release_on_offline": "on"}).status_code == 302
    created = Team.objects.get(name="ทีมคืนสินค้า")
    assert created.open_to_all and created.assignment == "least_busy" and created.release_on_offline
    assert admin_client.post("/django-admin/inbox/cannedresponse/add/", {
        "shortcut": "ขอบคุณ", "title": "ขอบคุณ", "text": "ขอบคุณที่ติดต่อเราค่ะ"}).status_code == 302
    assert CannedResponse.objects.get(shortcut="ขอบคุณ").text == "ขอบคุณที่ติดต่อเราค่ะ"


def test_admin_pages_are_in_thai_for_a_thai_admin(client: Client, make_agent: Any) -> None:
    client.force_login(make_agent(role="admin", username="thai-admin", language="th"))
    page = client.get("/django-admin/").content.decode()
    assert "ทีม" in page and "ช่องทาง" in page
