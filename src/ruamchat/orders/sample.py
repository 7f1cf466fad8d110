"""The demo's order system: ChuanShop's orders CS-10001 … CS-10999, made up the same way every time from the
number (dates counted back from today), answered without any network. Any other number is not found.

It answers in JSON like a shop's API would, read through SAMPLE_MAPPING like any other source."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

FIRST, LAST = 10001, 10999
PATTERN = r"\b[Cc][Ss]-?\d{5,8}\b"
SAMPLE_MAPPING = {
    "status": "order.status",
    "items": "order.items",
    "item_name": "name",
    "item_quantity": "qty",
    "item_price": "price",
    "ordered_at": "order.created_at",
    "shipped_at": "order.shipped_at",
    "delivered_at": "order.delivered_at",
    "tracking_number": "order.shipment.tracking",
    "carrier": "order.shipment.carrier",
    "total": "order.total",
    "currency": "order.currency",
}

PRODUCTS = (
    ("เสื้อยืดคอกลม", 199), ("กางเกงยีนส์ขากระบอก", 590), ("รองเท้าผ้าใบสีขาว", 890), ("กระเป๋าผ้าแคนวาส", 250),
    ("หมวกบักเก็ต", 159), ("ถุงเท้าข้อสั้น (แพ็ก 3 คู่)", 99), ("เสื้อเชิ้ตลินิน", 450), ("ครีมกันแดด SPF50", 320),
    ("แก้วน้ำเก็บความเย็น", 390), ("สายชาร์จ USB-C", 129), ("หูฟังไร้สาย", 1290), ("ผ้าขนหนูคอตตอน", 180),
)
CARRIERS = ("Kerry Express", "Flash Express", "ไปรษณีย์ไทย")
#: how often each status comes up
STATUSES = ("paid", "packing", "shipped", "shipped", "shipped", "delivered", "delivered", "delivered", "cancelled")
SHIPPING_FEE = 40
_NUMBER = re.compile(r"^CS-?(\d{5,8})$", re.IGNORECASE)


def order_id(number: str) -> int | None:
    """10023 for "CS-10023" or "cs10023"; None for a number the sample shop never issued."""
    match = _NUMBER.match(number.strip())
    if match is None:
        return None
    value = int(match[1])
    return value if FIRST <= value <= LAST else None


def _stamp(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def answer(number: str) -> dict[str, Any] | None:
    """The sample shop's JSON answer for ``number``, or None (its API would say 404)."""
    value = order_id(number)
    if value is None:
        return None
    rng = random.Random(value)
    status = rng.choice(STATUSES)
    days_ago = {"paid": 0, "packing": 1, "shipped": 2 + rng.randrange(2), "cancelled": 1 + rng.randrange(5)}.get(
        status, 5 + rng.randrange(10))
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    ordered = today - timedelta(days=days_ago) + timedelta(hours=8 + rng.randrange(12), minutes=rng.randrange(60))
    ordered = min(ordered, timezone.localtime() - timedelta(minutes=5))
    shipped = ordered + timedelta(hours=18 + rng.randrange(10)) if status in ("shipped", "delivered") else None
    delivered = shipped + timedelta(days=1 + rng.randrange(2), hours=rng.randrange(6)) \
        if shipped is not None and status == "delivered" else None
    picks = rng.sample(PRODUCTS, k=1 + rng.randrange(3))
    quantities = [1 + rng.randrange(2) if price < 500 else 1 for _name, price in picks]
    items = [{"name": name, "qty": qty, "price": float(price)} for (name, price), qty in zip(picks, quantities,
                                                                                              strict=True)]
    total = float(sum(qty * price for (_name, price), qty in zip(picks, quantities, strict=True)) + SHIPPING_FEE)
    shipment = None
    if status in ("shipped", "delivered"):
        shipment = {"carrier": CARRIERS[value % len(CARRIERS)],
                    "tracking": f"TH{rng.randrange(10**10):010d}{'ABCDEFGHJK'[value % 10]}"}
    return {"order": {
        "number": f"CS-{value}", "status": status, "created_at": _stamp(ordered), "shipped_at": _stamp(shipped),
        "delivered_at": _stamp(delivered), "items": items, "total": total, "currency": "THB", "shipment": shipment,
    }}
