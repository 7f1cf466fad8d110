"""Who may call the API: bearer tokens, and the browser session with CSRF."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ruamchat.accounts.actions import create_api_token, revoke_api_token
from ruamchat.accounts.models import ApiToken

pytestmark = pytest.mark.django_db

URL = "/api/v1/conversations"


def _bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_without_a_token_the_answer_is_401_json_saying_how_to_authenticate() -> None:
    response = Client().get(URL)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "Bearer" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_token_is_401(agent: Any) -> None:
    create_api_token(user=agent)
    response = _bearer("rc_not-a-real-token").get(URL)
    assert response.status_code == 401
    assert "ใช้ไม่ได้" in response.json()["detail"]  # Thai, the default language


def test_a_header_that_is_not_bearer_is_401(api_token: str) -> None:
    response = Client(headers={"Authorization": f"Token {api_token}"}).get(URL)
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


def test_a_revoked_token_stops_working(api_token: str) -> None:
    assert _bearer(api_token).get(URL).status_code == 200
    revoke_api_token(token=ApiToken.objects.get(digest=ApiToken.digest_of(api_token)))
    response = _bearer(api_token).get(URL)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_the_token_of_a_deactivated_agent_stops_working(agent: Any, api_token: str) -> None:
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    assert _bearer(api_token).get(URL).status_code == 401


def test_last_used_is_recorded_at_most_once_a_minute(api_token: str) -> None:
    token = ApiToken.objects.get(digest=ApiToken.digest_of(api_token))
    assert token.last_used_at is None
    _bearer(api_token).get(URL)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    _bearer(api_token).get(URL)
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    _bearer(api_token).get(URL)
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at > first - timedelta(seconds=1)


def test_a_wrong_token_is_refused_even_with_a_signed_in_session(agent: Any) -> None:
    client = Client(headers={"Authorization": "Bearer rc_wrong"})
    client.force_login(agent)
    assert client.get(URL).status_code == 401


def test_the_browser_session_reads_and_needs_the_csrf_token_to_write(agent: Any, conversation: Any) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    assert browser.get(f"{URL}/{conversation.pk}").status_code == 200

    refused = browser.post(f"{URL}/{conversation.pk}/claim")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]

    browser.get("/api/v1/docs")  # any page that renders the token sets the csrftoken cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(f"{URL}/{conversation.pk}/claim", headers={"X-CSRFToken": token})
    assert accepted.status_code == 200
    assert accepted.json()["assignee"]["id"] == agent.pk


def test_answers_are_in_the_token_owners_language(make_agent: Any, team: Any, client_for: Any) -> None:
    thai = client_for(make_agent(teams=[team], username="thai-agent", language="th"))
    english = client_for(make_agent(teams=[team], username="english-agent", language="en"))
    answer = english.get(f"{URL}/999999")
    assert answer.json()["detail"] == "Conversation not found."
    assert answer["Content-Language"] == "en"
    assert thai.get(f"{URL}/999999")["Content-Language"] == "th"
