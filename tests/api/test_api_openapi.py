"""The API describes itself: the OpenAPI document and the docs page, served without any CDN."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_openapi_document_lists_the_main_paths_and_both_ways_to_authenticate() -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "ruamchat API"
    for path in [
        "/api/v1/conversations", "/api/v1/conversations/{conversation_id}",
        "/api/v1/conversations/{conversation_id}/messages", "/api/v1/conversations/{conversation_id}/transfer",
        "/api/v1/contacts", "/api/v1/teams", "/api/v1/agents", "/api/v1/channels", "/api/v1/canned-responses",
    ]:
        assert path in document["paths"], path
    schemes = document["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"} in schemes.values()
    # priority and status are strings in the API, not the numbers stored
    assert document["components"]["schemas"]["Priority"]["enum"] == ["urgent", "high", "normal", "low"]
    reply = document["paths"]["/api/v1/conversations/{conversation_id}/messages"]["post"]
    assert set(reply["requestBody"]["content"]) == {"application/json", "multipart/form-data"}


def test_the_docs_page_loads_swagger_from_our_own_static_files() -> None:
    page = Client().get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/static/") for s in sources), sources
    assert "<script>" not in html  # no inline code; settings travel in a json_script block
    bundle = Client().get("/static/ruamchat/swagger/swagger-ui-bundle.js")
    assert bundle.status_code == 200


def test_unknown_endpoints_and_wrong_methods_answer_json(api_token: str) -> None:
    client = Client(headers={"Authorization": f"Bearer {api_token}"})
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["detail"]
    wrong = client.delete("/api/v1/conversations")
    assert wrong.status_code == 405
    assert "GET" in wrong.json()["detail"]


@pytest.mark.browser
def test_the_docs_page_works_in_a_browser_without_the_internet(live_server_url: str, chromium: Any) -> None:
    page = chromium.new_page()
    foreign: list[str] = []
    page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(live_server_url) else None)
    page.goto(f"{live_server_url}/api/v1/docs")
    page.locator(".swagger-ui .info .title").filter(has_text="ruamchat API").wait_for()
    page.get_by_text("/api/v1/conversations/{conversation_id}/transfer").first.wait_for()
    assert [url for url in foreign if not url.startswith("data:")] == []
    page.close()
