"""An order source on an address outbound requests may not reach (SSRF, ruamchat.core.outbound): the shop is
never asked, and the agent reads why and what an administrator can do."""

from __future__ import annotations

from typing import Any

import pytest

from ruamchat.orders.lookup import Kind, lookup
from tests.orders.shop import Shop
from tests.pages import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def not_allowed(settings: Any) -> Any:
    """RUAMCHAT_OUTBOUND_ALLOW without 127.0.0.1, where the test shop listens."""
    settings.RUAMCHAT_OUTBOUND_ALLOW = ""
    return settings


def test_a_source_on_this_machine_is_not_asked_and_the_result_says_why(not_allowed: Any, source: Any,
                                                                      shop: Shop) -> None:
    result = lookup("CS-10023")
    assert result.kind == Kind.CONNECTION and result.reason == "blocked" and not result.found
    assert result.message == (
        "ruamchat does not connect to 127.0.0.1: it is a loopback address (this server itself). An administrator "
        "can allow it by adding 127.0.0.1 to RUAMCHAT_OUTBOUND_ALLOW.")
    assert sum(shop.requests.values()) == 0


def test_the_agent_sees_the_refusal_in_the_order_panel(not_allowed: Any, source: Any, shop: Shop, agent: Any,
                                                       conversation: Any, visitor_says: Any) -> None:
    visitor_says("เช็คออเดอร์ CS-10023 ให้หน่อยค่ะ")
    response = login(agent).get(f"/orders/panel?conversation={conversation.pk}", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200 and 'data-result="connection"' in page
    assert "ruamchat does not connect to 127.0.0.1" in page and "RUAMCHAT_OUTBOUND_ALLOW" in page
    assert sum(shop.requests.values()) == 0


def test_the_api_answers_502_with_the_refusal(not_allowed: Any, source: Any, shop: Shop, agent: Any,
                                              client_for: Any) -> None:
    response = client_for(agent).get("/api/v1/orders/CS-10023")
    assert response.status_code == 502
    body = response.json()
    assert body["result"] == "connection" and "adding 127.0.0.1 to RUAMCHAT_OUTBOUND_ALLOW" in body["detail"]
    assert sum(shop.requests.values()) == 0


def test_once_allowed_the_next_look_up_asks_the_shop(not_allowed: Any, source: Any, shop: Shop) -> None:
    assert lookup("CS-10023").reason == "blocked"
    not_allowed.RUAMCHAT_OUTBOUND_ALLOW = "127.0.0.1"
    assert lookup("CS-10023").found  # the refusal was not remembered
    assert shop.asked("CS-10023") == 1


def test_a_url_with_a_password_in_it_is_not_fetched(make_source: Any, shop: Shop) -> None:
    make_source(url_template=shop.url.replace("http://", "http://shop:hunter2@") + "/api/orders/{order}")
    result = lookup("CS-10023")
    assert result.kind == Kind.CONNECTION and result.reason == "blocked"
    assert "user name or password" in result.message
    assert sum(shop.requests.values()) == 0
