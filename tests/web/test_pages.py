"""Signing in and out, the language of the pages, and the front door."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ruamchat.accounts.models import AgentProfile

PASSWORD = "correct-horse-battery-9"


@pytest.mark.django_db
def test_login_page_is_thai_by_default(client: Client) -> None:
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="th">' in html
    assert "รหัสผ่าน" in html  # "Password", from Django's own Thai catalogue
    assert response["Content-Language"] == "th"


@pytest.mark.django_db
def test_language_switch_on_login_page_sets_cookie_and_shows_english(client: Client) -> None:
    response = client.post("/language/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert response.cookies["ruamchat_lang"].value == "en"
    html = client.get("/login/").content.decode()
    assert '<html lang="en">' in html
    assert "Password" in html


@pytest.mark.django_db
def test_language_switch_refuses_an_unknown_language_and_foreign_redirects(client: Client) -> None:
    assert client.post("/language/", {"language": "xx"}).status_code == 400
    response = client.post("/language/", {"language": "th", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_agent_logs_in_and_lands_in_the_inbox_in_their_language(client: Client, make_agent: Any, team: Any) -> None:
    make_agent(teams=[team], username="jane", language="en")
    response = client.post("/login/", {"username": "jane", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/inbox/"
    page = client.get("/inbox/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="en">' in html
    assert "Unassigned" in html


def test_thai_agent_sees_thai_pages(client: Client, make_agent: Any, team: Any) -> None:
    user = make_agent(teams=[team], username="malee", language="th")
    client.force_login(user)
    html = client.get("/inbox/").content.decode()
    assert '<html lang="th">' in html


def test_wrong_password_shows_an_error_and_no_session(client: Client, make_agent: Any) -> None:
    make_agent(username="jane", language="en")
    response = client.post("/login/", {"username": "jane", "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert client.get("/inbox/").status_code == 302


def test_signed_in_language_switch_is_saved_on_the_profile(client: Client, agent: Any) -> None:
    client.force_login(agent)  # the fixture's agent reads English
    response = client.post("/language/", {"language": "th", "next": "/inbox/"})
    assert response["Location"] == "/inbox/"
    assert AgentProfile.objects.get(user=agent).language == "th"
    assert '<html lang="th">' in client.get("/inbox/").content.decode()


@pytest.mark.django_db
def test_front_door_and_inbox_need_a_login(client: Client) -> None:
    assert client.get("/")["Location"] == "/inbox/"
    response = client.get("/inbox/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/inbox/")


def test_htmx_request_without_login_is_sent_to_the_login_page(client: Client) -> None:
    response = client.get("/inbox/list", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith("/login/")


def test_logout_is_a_post(client: Client, agent: Any) -> None:
    client.force_login(agent)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/inbox/").status_code == 302


def test_admin_link_only_for_administrators(client: Client, agent: Any, admin_user: Any) -> None:
    client.force_login(agent)
    assert "/django-admin/" not in client.get("/inbox/").content.decode()
    client.force_login(admin_user)
    assert 'href="/django-admin/"' in client.get("/inbox/").content.decode()


def test_pages_load_no_external_assets_and_no_inline_code(client: Client, agent: Any) -> None:
    client.force_login(agent)
    html = client.get("/inbox/").content.decode()
    assert "https://" not in html and "http://" not in html
    assert "/static/django_htmx/htmx-2.min.js" in html
    assert "/static/ruamchat/app.js" in html
    for chunk in html.split("<script")[1:]:
        attributes = chunk.split(">", 1)[0]
        assert "src=" in attributes or 'type="application/json"' in attributes
