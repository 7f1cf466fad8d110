"""An administrator connects a mailbox in the admin pages or through the REST API, and tests it."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ruamchat.connectors.models import Channel

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens here once the socket is closed


MAILBOX_FORM = {
    "name": "อีเมลลูกค้า", "is_active": "on", "address": "help@shop.test", "display_name": "ร้านรวมใจ",
    "imap_host": "127.0.0.1", "imap_port": "993", "imap_security": "ssl", "imap_user": "help",
    "imap_password": "imap-secret-1", "imap_folder": "INBOX", "after_fetch": "seen", "move_to": "",
    "use_idle": "on", "poll_seconds": "60", "smtp_host": "127.0.0.1", "smtp_port": "587",
    "smtp_security": "starttls", "smtp_user": "help", "smtp_password": "smtp-secret-1", "tls_verify": "on",
    "agent_names": "on", "automatic_per_hour": "3",
}


@pytest.fixture
def admin_client(client: Client, admin_user: Any) -> Client:
    client.force_login(admin_user)
    return client


def test_admin_adds_a_mailbox_with_a_form_not_json(admin_client: Client, team: Any) -> None:
    page = admin_client.get("/django-admin/connectors/channel/").content.decode()
    assert "?kind=email" in page
    form = admin_client.get("/django-admin/connectors/channel/add/?kind=email").content.decode()
    assert 'name="imap_host"' in form and 'name="smtp_password"' in form and 'name="config"' not in form
    response = admin_client.post("/django-admin/connectors/channel/add/?kind=email",
                                 {**MAILBOX_FORM, "kind": "email", "default_team": team.pk})
    assert response.status_code == 302, response.content.decode()[:3000]
    channel = Channel.objects.get(kind="email")
    assert channel.config["address"] == "help@shop.test" and channel.config["imap_port"] == 993
    assert channel.secrets == {"imap_password": "imap-secret-1", "smtp_password": "smtp-secret-1"}
    assert "imap_password" not in channel.config
    change = admin_client.get(f"/django-admin/connectors/channel/{channel.pk}/change/").content.decode()
    assert "imap-secret-1" not in change and "smtp-secret-1" not in change
    assert "test-connection" in change and "fetch-now" in change
    # saving without retyping the passwords keeps them
    admin_client.post(f"/django-admin/connectors/channel/{channel.pk}/change/",
                      {**MAILBOX_FORM, "imap_password": "", "smtp_password": "", "name": "อีเมลใหม่",
                       "default_team": team.pk})
    channel.refresh_from_db()
    assert channel.name == "อีเมลใหม่" and channel.secrets["smtp_password"] == "smtp-secret-1"


def test_a_mailbox_form_with_mistakes_says_what_to_fix(admin_client: Client) -> None:
    response = admin_client.post("/django-admin/connectors/channel/add/?kind=email", {
        **MAILBOX_FORM, "kind": "email", "address": "not an address", "after_fetch": "move", "move_to": "",
        "smtp_host": ""})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {"address", "move_to", "smtp_host"} <= set(errors)
    assert not Channel.objects.exists()


def test_test_connection_reports_what_failed_in_plain_words(admin_client: Client, team: Any, settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"
    port = _closed_port()
    admin_client.post("/django-admin/connectors/channel/add/?kind=email", {
        **MAILBOX_FORM, "kind": "email", "imap_port": str(port), "smtp_port": str(port), "imap_security": "none",
        "smtp_security": "none", "default_team": team.pk})
    channel = Channel.objects.get(kind="email")
    page = admin_client.post(f"/django-admin/connectors/channel/{channel.pk}/test-connection/", follow=True)
    text = page.content.decode()
    assert f"127.0.0.1:{port}" in text and ("refused the connection" in text or "ปฏิเสธการเชื่อมต่อ" in text)


def test_agents_cannot_test_or_fetch_a_mailbox(client: Client, agent: Any, mailbox_channel: Any) -> None:
    client.force_login(agent)
    response = client.post(f"/django-admin/connectors/channel/{mailbox_channel.pk}/test-connection/")
    # the admin site sends non-staff to its login page; nothing is tried
    assert response.status_code == 302 and response["Location"].startswith("/django-admin/login/")


def test_a_mailbox_is_connected_and_tested_through_the_api(client_for: Callable[[Any], Client],
                                                           admin_user: Any, agent: Any, team: Any) -> None:
    api = client_for(admin_user)
    port = _closed_port()
    created = api.post("/api/v1/channels", {
        "kind": "email", "name": "อีเมล", "default_team_id": team.pk,
        "config": {"address": "help@shop.test", "imap_host": "127.0.0.1", "imap_port": port, "imap_user": "help",
                   "imap_security": "none", "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none"},
        "secrets": {"imap_password": "pw-imap-123", "smtp_password": "pw-smtp-123"},
    }, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secrets"]["imap_password"] != "pw-imap-123" and body["status"]
    checks = api.post(f"/api/v1/channels/{body['id']}/test", headers={"Accept-Language": "en"})
    assert checks.status_code == 200
    by_name = {c["name"]: c for c in checks.json()}
    assert by_name["imap"]["ok"] is False and by_name["smtp"]["ok"] is False
    assert f"127.0.0.1:{port}" in by_name["imap"]["message"]
    assert api.post(f"/api/v1/channels/{body['id']}/fetch").status_code == 202
    assert client_for(agent).post(f"/api/v1/channels/{body['id']}/test").status_code == 403
    bad = api.post("/api/v1/channels", {"kind": "email", "name": "x", "config": {"address": "nope"}},
                   content_type="application/json")
    assert bad.status_code == 400 and "address" in bad.content.decode()
