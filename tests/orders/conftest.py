"""Order sources pointed at a local shop API (tests/orders/shop.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.orders.shop import API_KEY, MAPPING, Shop


@pytest.fixture
def shop() -> Iterator[Shop]:
    server = Shop()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_source(db: None, shop: Shop) -> Callable[..., Any]:
    """An active HTTP order source for ``shop`` (timeout 1 s), saved as the admin saves one."""
    from ruamchat.orders.actions import save_source
    from ruamchat.orders.mapping import parse_mapping_text
    from ruamchat.orders.models import OrderSource

    def make(*, secret: str = API_KEY, **fields: Any) -> Any:
        values: dict[str, Any] = {
            "name": "ChuanShop API", "kind": "http", "url_template": shop.url + "/api/orders/{order}",
            "secret_header": "X-Api-Key", "mapping": parse_mapping_text(MAPPING),
            "number_pattern": r"\bCS-\d{5}\b", "timeout_seconds": 1, "cache_seconds": 120, **fields,
        }
        return save_source(actor=None, source=OrderSource(**values), secret=secret)

    return make


@pytest.fixture
def source(make_source: Callable[..., Any]) -> Any:
    return make_source()


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    """The messages the tests read are the English ones (the organisation's default language is Thai)."""
    from django.utils import translation

    with translation.override("en"):
        yield
