"""What the browser is told (Content-Security-Policy with no inline script, framing, HSTS when configured, secure
cookies behind TLS) and that changes to the set-up are audited with who, when and from where."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ruamchat.privacy.models import AuditRecord

pytestmark = pytest.mark.django_db


def _policy(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_pages_get_a_policy_that_allows_only_our_own_scripts_and_no_framing(client: Client, agent: Any) -> None:
    client.force_login(agent)
    for url in ("/login/", "/inbox/", "/kb/", "/account/"):
        response = client.get(url)
        policy = _policy(response)
        assert policy["script-src"] == ["'self'"], url  # no 'unsafe-inline', no 'unsafe-eval', no other host
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'self'"] and response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"


def test_the_website_chat_frame_may_be_framed_by_any_site_but_still_runs_only_our_scripts(website: Any) -> None:
    response = Client().get(f"/widget/{website.key}/frame")
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["frame-ancestors"] == ["*"] and "X-Frame-Options" not in response
    assert policy["script-src"] == ["'self'"]


def test_hsts_and_secure_cookies_when_configured_behind_tls(settings: Any, agent: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    client = Client()
    response = client.post("/login/", {"username": "somchai", "password": "correct-horse-battery-9"}, secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    # not over plain HTTP: a browser must never learn HSTS from a page it cannot trust
    assert "Strict-Transport-Security" not in Client().get("/login/")


def test_a_channel_made_through_the_api_is_audited_without_its_secrets(admin_user: Any, client_for: Any) -> None:
    api = client_for(admin_user)
    response = api.post("/api/v1/channels", {"kind": "line", "name": "LINE ร้าน", "config": {},
                                             "secrets": {"channel_secret": "s3cr3t-value-1234",
                                                         "access_token": "tok-abcdef-987654"}},
                        content_type="application/json", REMOTE_ADDR="198.51.100.23")
    assert response.status_code == 201, response.content
    record = AuditRecord.objects.get(action=AuditRecord.Action.ADMIN_CHANGE)
    assert record.actor_name == "admin" and str(record.address) == "198.51.100.23"
    assert record.detail["what"] == "channel" and "secret:channel_secret" in record.detail["changed"]
    assert "s3cr3t-value-1234" not in str(record.detail) and "tok-abcdef-987654" not in str(record.detail)


def test_a_change_in_the_django_admin_is_audited_with_the_address(admin_user: Any) -> None:
    client = Client()
    client.force_login(admin_user)
    assert client.post("/django-admin/accounts/team/add/", {
        "name": "ทีมคืนสินค้า", "kind": "support", "assignment": "manual"}, REMOTE_ADDR="192.0.2.44").status_code == 302
    record = AuditRecord.objects.get(action=AuditRecord.Action.ADMIN_CHANGE)
    assert record.actor_name == "admin" and str(record.address) == "192.0.2.44"
    assert record.detail["what"] == "admin:team" and record.detail["summary"] == "added: ทีมคืนสินค้า"
