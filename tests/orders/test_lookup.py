"""Looking orders up in a shop's API over real HTTP: the mapping, each way it can fail, and the cache."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ruamchat.orders.lookup import Kind, lookup
from tests.orders.shop import API_KEY, Shop
from tests.waiting import wait_for

pytestmark = pytest.mark.django_db

BANGKOK = ZoneInfo("Asia/Bangkok")


def test_a_found_order_is_read_through_the_mapping_with_the_secret_header(shop: Shop, source: Any) -> None:
    result = lookup("CS-10023")
    assert result.kind == Kind.FOUND and result.source_name == "ChuanShop API"
    order = result.order
    assert order is not None
    assert order.status == "shipped" and result.status_label == "Shipped"
    assert [(i.name, i.quantity, i.price) for i in order.items] == [
        ("เสื้อยืดคอกลม", 2, Decimal("199.00")), ("กางเกงยีนส์ขากระบอก", 1, Decimal("590"))]
    assert order.ordered_at == datetime(2026, 11, 20, 10, 15, tzinfo=BANGKOK)
    assert order.shipped_at == datetime(2026, 11, 21, 9, 30, tzinfo=BANGKOK)  # no zone given: Bangkok's
    assert order.delivered_at is None
    assert (order.tracking_number, order.carrier, order.total) == ("TH12345678901", "Kerry Express",
                                                                    Decimal("1028.00"))
    assert shop.headers[-1]["X-Api-Key"] == API_KEY and "json" in shop.headers[-1]["Accept"]


def test_without_the_secret_the_shop_refuses_and_the_result_says_so(make_source: Callable[..., Any]) -> None:
    make_source(secret="")
    result = lookup("CS-10023")
    assert result.kind == Kind.PROVIDER_ERROR and result.status_code == 401
    assert "refused the request (status 401)" in result.message and "secret header" in result.message


@pytest.mark.parametrize(("number", "kind", "words"), [
    ("CS-40400", Kind.NOT_FOUND, "There is no order CS-40400 in ChuanShop API."),
    ("CS-50000", Kind.PROVIDER_ERROR, "answered with an error (status 500)"),
    ("CS-60000", Kind.UNREADABLE, "it is not JSON"),
    ("CS-90000", Kind.UNREADABLE, "no order status at “data.order.state”"),
    ("CS-80000", Kind.CONNECTION, "closed the connection without answering"),
    ("CS-31000", Kind.PROVIDER_ERROR, "another address (status 302), which is not followed"),
    ("CS-33000", Kind.UNREADABLE, "it is larger than 1.0"),
])
def test_each_failure_is_told_plainly(source: Any, number: str, kind: Kind, words: str) -> None:
    result = lookup(number)
    assert result.kind == kind and result.order is None
    assert words in result.message


def test_a_redirect_on_the_same_host_is_followed(source: Any) -> None:
    assert lookup("CS-32000").found


def test_a_slow_shop_times_out_at_the_source_timeout(shop: Shop, source: Any) -> None:
    started = time.monotonic()
    result = lookup("CS-70000")
    elapsed = time.monotonic() - started
    assert result.kind == Kind.TIMEOUT
    assert result.message == "The order system did not answer within 1 second."
    assert 0.9 <= elapsed < 3, elapsed


def test_a_shop_that_is_not_there_cannot_be_connected_to(make_source: Callable[..., Any], shop: Shop) -> None:
    make_source(url_template="http://127.0.0.1:9/api/orders/{order}")  # the discard port: nothing listens
    result = lookup("CS-10023")
    assert result.kind == Kind.CONNECTION and "Could not connect" in result.message


def test_answers_are_remembered_for_the_cache_time_but_timeouts_and_drops_are_not(shop: Shop,
                                                                                   source: Any) -> None:
    first, second = lookup("CS-10023"), lookup("CS-10023")
    assert first.found and second.found and not first.cached and second.cached
    assert shop.asked("CS-10023") == 1
    lookup("CS-40400")
    assert lookup("CS-40400").kind == Kind.NOT_FOUND and shop.asked("CS-40400") == 1
    lookup("CS-70000")
    lookup("CS-70000")
    wait_for(lambda: shop.asked("CS-70000") == 2, timeout=5)
    lookup("CS-80000")
    lookup("CS-80000")
    assert shop.asked("CS-80000") == 2


def test_saving_the_source_or_a_zero_cache_time_asks_the_shop_again(shop: Shop, source: Any) -> None:
    from ruamchat.orders.actions import save_source

    lookup("CS-10023")
    source.cache_seconds = 0
    save_source(actor=None, source=source)
    lookup("CS-10023")
    lookup("CS-10023")
    assert shop.asked("CS-10023") == 3


def test_the_order_number_is_url_quoted_into_the_template(shop: Shop, source: Any) -> None:
    result = lookup("CS/../../admin?x=1")
    assert result.kind == Kind.NOT_FOUND
    assert shop.asked("CS/../../admin?x=1") == 1  # arrived whole, as one path segment


def test_a_typed_number_in_thai_digits_is_looked_up(shop: Shop, source: Any) -> None:
    assert lookup(" CS-๑๐๐๒๓ ").found
    assert shop.asked("CS-10023") == 1


def test_without_any_source_the_result_says_none_is_set_up(db: None) -> None:
    result = lookup("CS-10023")
    assert result.kind == Kind.NO_SOURCE and "No order system is set up" in result.message


def test_a_second_source_is_asked_when_the_first_has_no_such_order(make_source: Callable[..., Any],
                                                                   shop: Shop) -> None:
    from ruamchat.orders.actions import ensure_sample_source

    ensure_sample_source()  # "ChuanShop sample orders" sorts before "Z shop"
    make_source(name="Z shop")
    result = lookup("CS-12345")  # not a sample order, but the shop has it
    assert result.found and result.source_name == "Z shop"
