"""GET /api/v1/orders/{number}: the same lookup for scripts and integrations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.orders.shop import Shop

pytestmark = pytest.mark.django_db


def test_a_found_order_comes_back_as_json_with_bangkok_times(client_for: Callable[[Any], Client], agent: Any,
                                                              source: Any) -> None:
    response = client_for(agent).get("/api/v1/orders/CS-10023")
    assert response.status_code == 200
    body = response.json()
    assert body["result"] == "found" and body["source"] == "ChuanShop API" and body["cached"] is False
    order = body["order"]
    assert order["status"] == "shipped" and order["status_label"] == "Shipped"
    assert order["ordered_at"] == "2026-11-20T10:15:00+07:00" and order["delivered_at"] is None
    assert order["items"][0] == {"name": "เสื้อยืดคอกลม", "quantity": 2, "price": "199.00"}
    assert (order["tracking_number"], order["carrier"], order["total"]) == ("TH12345678901", "Kerry Express",
                                                                            "1028.00")


@pytest.mark.parametrize(("number", "status", "result", "words"), [
    ("CS-40400", 404, "not_found", "There is no order CS-40400"),
    ("CS-70000", 504, "timeout", "did not answer within 1 second"),
    ("CS-50000", 502, "provider_error", "status 500"),
    ("CS-60000", 502, "unreadable", "not JSON"),
])
def test_failures_have_a_status_and_a_plain_detail(client_for: Callable[[Any], Client], agent: Any, source: Any,
                                                   number: str, status: int, result: str, words: str) -> None:
    response = client_for(agent).get(f"/api/v1/orders/{number}")
    assert response.status_code == status
    body = response.json()
    assert body["result"] == result and body["number"] == number and words in body["detail"]


def test_no_source_is_a_503(client_for: Callable[[Any], Client], agent: Any) -> None:
    response = client_for(agent).get("/api/v1/orders/CS-10023")
    assert response.status_code == 503 and response.json()["result"] == "no_source"


def test_only_authenticated_agents_may_look_orders_up(client_for: Callable[[Any], Client], shop: Shop,
                                                      source: Any) -> None:
    assert Client().get("/api/v1/orders/CS-10023").status_code == 401
    not_an_agent = User.objects.create_user("integration-bot", password="x-long-password-1")
    response = client_for(not_an_agent).get("/api/v1/orders/CS-10023")
    assert response.status_code == 403
    assert shop.asked("CS-10023") == 0


def test_the_openapi_document_lists_the_endpoint(db: None) -> None:
    document = Client().get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/orders/{number}"]["get"]
    assert {"200", "401", "404", "502", "503", "504"} <= set(operation["responses"])
