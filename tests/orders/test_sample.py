"""The demo's built-in sample shop: orders CS-10001 … CS-10999, without any network."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ruamchat.orders import sample
from ruamchat.orders.actions import ensure_sample_source
from ruamchat.orders.lookup import Kind, detect_order_numbers, lookup
from ruamchat.orders.models import OrderSource

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the sample source must not use the network")

    monkeypatch.setattr(httpx.Client, "__init__", refuse)


def test_ensure_sample_source_creates_it_once_and_keeps_the_admins_changes() -> None:
    first = ensure_sample_source()
    first.timeout_seconds = 3
    first.save()
    again = ensure_sample_source()
    assert again.pk == first.pk and again.timeout_seconds == 3
    assert OrderSource.objects.filter(kind="sample").count() == 1


def test_sample_orders_exist_with_thai_items_and_tracking_and_others_do_not(no_network: None) -> None:
    ensure_sample_source()
    statuses = set()
    for value in range(10001, 10041):
        result = lookup(f"CS-{value}")
        assert result.kind == Kind.FOUND, value
        order = result.order
        assert order is not None and order.items and order.ordered_at is not None
        names = {name for name, _price in sample.PRODUCTS}
        assert all(item.name in names and item.quantity and item.price for item in order.items)
        statuses.add(order.status)
        if order.status in ("shipped", "delivered"):
            assert order.tracking_number.startswith("TH") and order.carrier in sample.CARRIERS
            assert order.shipped_at is not None and order.shipped_at > order.ordered_at
        if order.status == "delivered":
            assert order.delivered_at is not None and order.delivered_at > order.shipped_at  # type: ignore[operator]
    assert {"shipped", "delivered"} <= statuses and len(statuses) >= 4
    assert lookup("CS-10023").order == lookup("cs10023").order  # the same order, however it is written
    assert lookup("CS-20000").kind == Kind.NOT_FOUND
    assert lookup("CS-10000").kind == Kind.NOT_FOUND


def test_the_sample_pattern_finds_the_demo_numbers_in_a_message() -> None:
    ensure_sample_source()
    assert detect_order_numbers("เช็คออเดอร์ CS-10023 ให้หน่อยค่ะ") == ["CS-10023"]
