"""Administrators set up an order source in the admin: the pattern, URL template and mapping are checked,
and the secret header is stored encrypted and never shown back."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ruamchat.orders.models import OrderSource
from tests.orders.shop import MAPPING
from tests.pages import text_of

pytestmark = pytest.mark.django_db

ADD = "/django-admin/orders/ordersource/add/"


@pytest.fixture
def admin_client(client: Client, admin_user: Any) -> Client:
    client.force_login(admin_user)
    return client


def _form(**changes: Any) -> dict[str, Any]:
    return {
        "name": "ChuanShop API", "kind": "http", "active": "on",
        "url_template": "https://shop.example/api/orders/{order}", "secret_header": "X-Api-Key",
        "new_secret": "s3cret-key-4711", "headers": "Accept-Language: th", "timeout_seconds": "5",
        "cache_seconds": "120", "mapping": MAPPING, "number_pattern": r"\b(?:CS|cs)-?\d{5,8}\b",
        "uppercase_numbers": "on", **changes,
    }


def test_admin_adds_a_source_with_an_encrypted_secret_that_is_never_shown_back(admin_client: Client) -> None:
    response = admin_client.post(ADD, _form())
    assert response.status_code == 302, text_of(response.content.decode())[:2000]
    source = OrderSource.objects.get()
    assert source.secret_value == "s3cret-key-4711" and "s3cret" not in source.secret_encrypted
    assert source.headers == {"Accept-Language": "th"}
    assert source.mapping["status"] == "data.order.state"
    assert source.mapping["item_name"] == "data.order.lines[].product.title"
    url = f"/django-admin/orders/ordersource/{source.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "s3cret-key-4711" not in page and "4711" in page  # masked: only the last four characters
    assert "status: data.order.state" in page  # the mapping comes back as lines to edit
    assert admin_client.post(url, _form(new_secret="")).status_code == 302  # blank keeps the stored secret
    source.refresh_from_db()
    assert source.secret_value == "s3cret-key-4711"
    assert admin_client.post(url, _form(new_secret="", clear_secret="on")).status_code == 302
    source.refresh_from_db()
    assert source.secret_encrypted == ""


@pytest.mark.parametrize(("changes", "words"), [
    ({"number_pattern": r"(\d+)+"}, "repeats something that itself repeats"),
    ({"number_pattern": r"CS-[0-9"}, "not a valid regular expression"),
    ({"number_pattern": r"\d*"}, "matches empty text"),
    ({"url_template": "https://shop.example/api/orders/"}, "Put {order} where the order number goes"),
    ({"url_template": "ftp://shop.example/{order}"}, "must start with http:// or https://"),
    ({"url_template": "https://{order}.shop.example/"}, "not in the host name"),
    ({"url_template": ""}, "A shop API needs a URL template"),
    ({"mapping": "state: data.order.state"}, "“state” is not a field that can be mapped"),
    ({"mapping": "status: data..state"}, "is not a path"),
    ({"mapping": "carrier: data.order.company"}, "Say where the order status is"),
    ({"mapping": '{"status": 5}'}, "Say where “status” is"),
    ({"timeout_seconds": "60"}, "less than or equal to 30"),
    ({"headers": "not a header"}, "write a header as Name: value"),
    ({"headers": "X-Shop: ชวนช้อป"}, "write a header as Name: value"),
    ({"new_secret": "รหัสลับ"}, "A header value is one line of Latin letters"),
    ({"secret_header": "X Api Key"}, "letters, digits and dashes only"),
])
def test_bad_settings_are_refused_with_the_reason(admin_client: Client, changes: dict[str, Any], words: str) -> None:
    response = admin_client.post(ADD, _form(**changes))
    assert response.status_code == 200
    assert words in text_of(response.content.decode())
    assert not OrderSource.objects.exists()


def test_the_mapping_can_also_be_given_as_json(admin_client: Client) -> None:
    response = admin_client.post(ADD, _form(mapping='{"status": "order.status", "items": "order.items"}'))
    assert response.status_code == 302
    assert OrderSource.objects.get().mapping == {"status": "order.status", "items": "order.items"}


def test_the_sample_source_needs_no_url_or_mapping(admin_client: Client) -> None:
    response = admin_client.post(ADD, _form(kind="sample", url_template="", mapping="", new_secret=""))
    assert response.status_code == 302
    assert OrderSource.objects.get().kind == "sample"


def test_agents_cannot_open_the_order_sources(client: Client, agent: Any) -> None:
    client.force_login(agent)
    response = client.get("/django-admin/orders/ordersource/")
    assert response.status_code == 302 and "/django-admin/login/" in response["Location"]
