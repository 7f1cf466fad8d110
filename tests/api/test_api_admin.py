"""Teams, agents, channels and canned responses: who may change them, and what comes back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings

from ruamchat.connectors.models import Channel

pytestmark = pytest.mark.django_db

JSON = "application/json"


def test_an_agent_gets_403_for_what_only_administrators_do(agent_api: Client, team: Any) -> None:
    for path, body in [
        ("/api/v1/teams", {"name": "ทีมใหม่"}),
        ("/api/v1/agents", {"username": "newbie", "team_ids": [team.pk]}),
        ("/api/v1/channels", {"kind": "website", "name": "เว็บ"}),
    ]:
        response = agent_api.post(path, body, content_type=JSON)
        assert response.status_code == 403, path
        assert response.json()["detail"] == "Only administrators can change this."
    assert agent_api.patch(f"/api/v1/teams/{team.pk}", {"name": "x"}, content_type=JSON).status_code == 403
    assert agent_api.get("/api/v1/channels").status_code == 403


@override_settings(RUAMCHAT_PUBLIC_URL="https://chat.example.co.th")
def test_channel_secrets_are_masked_in_answers_and_encrypted_in_the_database(admin_api: Client) -> None:
    secret = "line-channel-secret-0123456789abcdef"
    response = admin_api.post(
        "/api/v1/channels",
        {"kind": "website", "name": "ร้านค้า", "secrets": {"channel_secret": secret}, "config": {"color": "#0a7"}},
        content_type=JSON,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["secrets"] == {"channel_secret": "••••••••cdef"}
    assert secret not in response.content.decode()
    assert body["webhook_url"] == f"https://chat.example.co.th/hooks/website/{body['key']}/"
    assert body["embed_snippet"] == (
        f'<script src="https://chat.example.co.th/widget/{body["key"]}.js" async></script>'
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets_encrypted FROM connectors_channel WHERE id = %s", [body["id"]])
        [raw] = cursor.fetchone()
    assert raw and secret not in raw
    assert Channel.objects.get(pk=body["id"]).secrets == {"channel_secret": secret}

    listed = admin_api.get("/api/v1/channels")
    assert secret not in listed.content.decode()
    fetched = admin_api.get(f"/api/v1/channels/{body['id']}").json()
    assert fetched["secrets"] == {"channel_secret": "••••••••cdef"}


def test_a_channel_secret_left_empty_keeps_its_value(admin_api: Client, team: Any) -> None:
    created = admin_api.post(
        "/api/v1/channels", {"kind": "website", "name": "เว็บ", "secrets": {"token": "first-secret-value"}},
        content_type=JSON,
    ).json()
    changed = admin_api.patch(
        f"/api/v1/channels/{created['id']}",
        {"secrets": {"token": "", "other": "second-secret-value"}, "default_team_id": team.pk, "is_active": False},
        content_type=JSON,
    ).json()
    assert changed["secrets"] == {"token": "••••••••alue", "other": "••••••••alue"}
    assert changed["default_team"]["id"] == team.pk and changed["is_active"] is False
    assert Channel.objects.get(pk=created["id"]).secrets["token"] == "first-secret-value"
    cleared = admin_api.patch(f"/api/v1/channels/{created['id']}", {"default_team_id": None}, content_type=JSON)
    assert cleared.json()["default_team"] is None


def test_an_unknown_channel_kind_is_refused_naming_the_field(admin_api: Client) -> None:
    response = admin_api.post("/api/v1/channels", {"kind": "pigeon", "name": "นกพิราบ"}, content_type=JSON)
    assert response.status_code == 400
    assert "kind" in response.json()["errors"]
    assert "pigeon" in response.json()["detail"]


def test_a_whole_setup_can_be_scripted(admin_api: Client, client_for: Callable[[Any], Client],
                                       visitor_says: Callable[..., Any]) -> None:
    team = admin_api.post("/api/v1/teams", {"name": "ทีมขายออนไลน์", "kind": "service"}, content_type=JSON)
    assert team.status_code == 201
    team_id = team.json()["id"]

    agent = admin_api.post(
        "/api/v1/agents",
        {"username": "nok", "password": "a-long-pass-phrase-9", "display_name": "น้องนก", "team_ids": [team_id],
         "language": "th"},
        content_type=JSON,
    )
    assert agent.status_code == 201
    assert agent.json()["team_ids"] == [team_id] and agent.json()["role"] == "agent"

    channel = admin_api.post(
        "/api/v1/channels", {"kind": "website", "name": "เว็บร้าน", "default_team_id": team_id}, content_type=JSON
    )
    assert channel.status_code == 201
    assert channel.json()["default_team"]["name"] == "ทีมขายออนไลน์"

    assert "ทีมขายออนไลน์" in [t["name"] for t in admin_api.get("/api/v1/teams").json()]
    assert "nok" in [a["username"] for a in admin_api.get("/api/v1/agents").json()]
    assert "เว็บร้าน" in [c["name"] for c in admin_api.get("/api/v1/channels").json()]

    # the new agent, with a token of their own, sees the channel's first conversation in their team queue
    from django.contrib.auth.models import User

    nok = client_for(User.objects.get(username="nok"))
    visitor_says("สนใจสินค้าค่ะ", channel=Channel.objects.get(pk=channel.json()["id"]))
    queue = nok.get("/api/v1/conversations", {"queue": f"team:{team_id}"}).json()
    assert [item["last_message_preview"] for item in queue["items"]] == ["สนใจสินค้าค่ะ"]


def test_an_admin_changes_an_agents_role_and_teams(admin_api: Client, agent: Any, support_team: Any) -> None:
    response = admin_api.patch(
        f"/api/v1/agents/{agent.pk}", {"role": "supervisor", "team_ids": [support_team.pk]}, content_type=JSON
    )
    assert response.status_code == 200
    assert response.json()["role"] == "supervisor" and response.json()["team_ids"] == [support_team.pk]
    taken = admin_api.post("/api/v1/agents", {"username": agent.username}, content_type=JSON)
    assert taken.status_code == 400
    assert "username" in taken.json()["errors"]
    unknown_team = admin_api.post("/api/v1/agents", {"username": "x1", "team_ids": [99999]}, content_type=JSON)
    assert unknown_team.status_code == 400 and "team_ids" in unknown_team.json()["errors"]


def test_canned_responses_are_read_by_agents_and_managed_by_supervisors(
    agent_api: Client, client_for: Callable[[Any], Client], supervisor: Any
) -> None:
    refused = agent_api.post("/api/v1/canned-responses", {"shortcut": "hi", "title": "ทักทาย", "text": "สวัสดีค่ะ"},
                             content_type=JSON)
    assert refused.status_code == 403
    boss = client_for(supervisor)
    created = boss.post("/api/v1/canned-responses", {"shortcut": "hi", "title": "ทักทาย", "text": "สวัสดีค่ะ"},
                        content_type=JSON)
    assert created.status_code == 201
    canned_id = created.json()["id"]
    assert [c["text"] for c in agent_api.get("/api/v1/canned-responses", {"prefix": "/h"}).json()] == ["สวัสดีค่ะ"]
    assert agent_api.patch(f"/api/v1/canned-responses/{canned_id}", {"text": "x"}, content_type=JSON).status_code == 403
    changed = boss.patch(f"/api/v1/canned-responses/{canned_id}", {"text": "สวัสดีครับ"}, content_type=JSON)
    assert changed.json()["text"] == "สวัสดีครับ" and changed.json()["shortcut"] == "hi"
    assert boss.delete(f"/api/v1/canned-responses/{canned_id}").status_code == 204
    assert agent_api.get("/api/v1/canned-responses").json() == []


def test_contacts_an_agent_can_see_and_change(
    agent_api: Client, conversation: Any, other_team_conversation: Any
) -> None:
    listed = agent_api.get("/api/v1/contacts").json()
    assert [c["id"] for c in listed["items"]] == [conversation.contact_id]
    assert agent_api.get(f"/api/v1/contacts/{other_team_conversation.contact_id}").status_code == 404

    changed = agent_api.patch(
        f"/api/v1/contacts/{conversation.contact_id}", {"name": "คุณมาลี", "phone": "081-234-5678"},
        content_type=JSON,
    )
    assert changed.status_code == 200
    assert changed.json()["name"] == "คุณมาลี" and changed.json()["identities"][0]["channel"]["kind"] == "website"
    assert agent_api.get("/api/v1/contacts", {"search": "มาลี"}).json()["count"] == 1
    bad = agent_api.patch(f"/api/v1/contacts/{conversation.contact_id}", {"email": "not-an-email"}, content_type=JSON)
    assert bad.status_code == 400
    assert "email" in bad.json()["errors"]
    hidden = agent_api.patch(f"/api/v1/contacts/{other_team_conversation.contact_id}", {"name": "x"},
                             content_type=JSON)
    assert hidden.status_code == 404


def test_a_supervisor_sees_every_contact(
    client_for: Callable[[Any], Client], supervisor: Any, conversation: Any, other_team_conversation: Any
) -> None:
    assert client_for(supervisor).get("/api/v1/contacts").json()["count"] == 2
