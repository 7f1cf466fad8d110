"""Reading a shop's answer: where each order field is (dotted paths like ``data.order.status`` and
``data.order.items[].name``), the URL template, and the plain headers, as administrators write them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlsplit

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PLACEHOLDER = "{order}"

#: the fields a mapping can name, in the order the admin form shows them
FIELDS: dict[str, Any] = {
    "status": gettext_lazy("order status (required)"),
    "items": gettext_lazy("the list of items"),
    "item_name": gettext_lazy("an item's name"),
    "item_quantity": gettext_lazy("an item's quantity"),
    "item_price": gettext_lazy("an item's price"),
    "ordered_at": gettext_lazy("order date"),
    "shipped_at": gettext_lazy("shipped date"),
    "delivered_at": gettext_lazy("delivered date"),
    "tracking_number": gettext_lazy("tracking number"),
    "carrier": gettext_lazy("carrier"),
    "total": gettext_lazy("order total"),
    "currency": gettext_lazy("currency"),
}
ITEM_DEFAULTS = {"item_name": "name", "item_quantity": "quantity", "item_price": "price"}
MAX_ITEMS = 50

_SEGMENT = re.compile(r"^(?P<key>[^.\[\]]*)(?P<index>(?:\[\d*\])*)$")
_INDEX = re.compile(r"\[(\d*)\]")
EACH = object()  # "[]": every element of a list


class Unreadable(Exception):
    """The answer is JSON but not what the mapping describes."""


# ---------------------------------------------------------------- paths


def parse_path(path: str) -> list[Any]:
    """``data.items[0].name`` → ["data", "items", 0, "name"]; ``items[].name`` → ["items", EACH, "name"]."""
    path = path.strip()
    if not path:
        raise ValueError("empty path")
    segments: list[Any] = []
    for part in path.split("."):
        match = _SEGMENT.match(part)
        if match is None or not (match["key"] or match["index"]):
            raise ValueError(f"bad segment {part!r}")
        if match["key"]:
            segments.append(int(match["key"]) if match["key"].isdigit() else match["key"])
        for index in _INDEX.findall(match["index"]):
            segments.append(EACH if index == "" else int(index))
    if segments.count(EACH) > 1:
        raise ValueError("only one [] per path")
    return segments


_MISSING = object()


def _step(value: Any, segment: Any) -> Any:
    if isinstance(segment, int) and isinstance(value, list):
        return value[segment] if -len(value) <= segment < len(value) else _MISSING
    if isinstance(value, dict):
        key = str(segment)
        return value.get(key, _MISSING)
    return _MISSING


def resolve(data: Any, segments: list[Any]) -> Any:
    """The value at ``segments`` in ``data`` (a list for a path with "[]"), or _MISSING."""
    value = data
    for position, segment in enumerate(segments):
        if segment is EACH:
            if not isinstance(value, list):
                return _MISSING
            rest = segments[position + 1:]
            found = [resolve(element, rest) for element in value[:MAX_ITEMS]]
            return [item for item in found if item is not _MISSING]
        value = _step(value, segment)
        if value is _MISSING:
            return _MISSING
    return value


# ---------------------------------------------------------------- the mapping as administrators write it


def parse_mapping_text(text: str) -> dict[str, str]:
    """A JSON object, or one ``field: path`` per line. Raises ValidationError naming what is wrong."""
    text = (text or "").strip()
    if not text:
        return {}
    raw: dict[str, Any]
    if text.startswith("{"):
        try:
            loaded = json.loads(text)
        except ValueError:
            raise ValidationError(_("This is not valid JSON.")) from None
        if not isinstance(loaded, dict):
            raise ValidationError(_("Enter a JSON object, or one field per line."))
        raw = loaded
    else:
        raw = {}
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, path = line.partition(":")
            if not sep:
                key, sep, path = line.partition("=")
            if not sep:
                raise ValidationError(_("Line %(line)d: write it as field: path, for example status: "
                                        "data.order.status") % {"line": number})
            raw[key.strip()] = path.strip()
    return validate_mapping(raw)


def validate_mapping(raw: dict[str, Any]) -> dict[str, str]:
    errors: list[str] = []
    mapping: dict[str, str] = {}
    for key, path in raw.items():
        if key not in FIELDS:
            errors.append(_("“%(field)s” is not a field that can be mapped. The fields are: %(fields)s.")
                          % {"field": key, "fields": ", ".join(FIELDS)})
            continue
        if not isinstance(path, str) or not path.strip():
            errors.append(_("Say where “%(field)s” is, as a path like data.order.status.") % {"field": key})
            continue
        try:
            parse_path(path)
        except ValueError:
            errors.append(_("“%(path)s” (for %(field)s) is not a path: write keys with dots, a list's items "
                            "with [], for example data.items[].name.") % {"path": path, "field": key})
            continue
        mapping[key] = path.strip()
    if errors:
        raise ValidationError(errors)
    return mapping


def mapping_as_text(mapping: dict[str, Any]) -> str:
    return "\n".join(f"{key}: {mapping[key]}" for key in FIELDS if mapping.get(key))


# ---------------------------------------------------------------- applying it


@dataclass(frozen=True)
class OrderItem:
    name: str
    quantity: int | None
    price: Decimal | None


@dataclass(frozen=True)
class Order:
    status: str
    items: list[OrderItem]
    ordered_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    tracking_number: str
    carrier: str
    total: Decimal | None
    currency: str


def _text(value: Any) -> str:
    if value is _MISSING or value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).strip()[:500]


def money(value: Any) -> Decimal | None:
    if value is _MISSING or value is None or isinstance(value, (bool, dict, list)):
        return None
    cleaned = str(value).replace(",", "").replace("฿", "").replace("THB", "").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _quantity(value: Any) -> int | None:
    amount = money(value)
    return int(amount) if amount is not None and amount == amount.to_integral_value() else None


def when(value: Any) -> datetime | None:
    """An aware datetime from ISO 8601 text, a date, or a Unix time (seconds or milliseconds); a time without
    a zone is read in the organisation's zone."""
    if value is _MISSING or value is None or isinstance(value, (bool, dict, list)) or value == "":
        return None
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 10**11 else value
        try:
            return datetime.fromtimestamp(seconds, tz=timezone.get_default_timezone())
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            moment = datetime.combine(day, time()) if day is not None else None
    except ValueError:
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def _items(data: Any, mapping: dict[str, str]) -> list[OrderItem]:
    def split(key: str) -> tuple[list[Any] | None, list[Any]]:
        """(where the list is, where the field is inside one item)."""
        segments = parse_path(mapping.get(key) or ITEM_DEFAULTS[key])
        if EACH in segments:
            at = segments.index(EACH)
            return segments[:at], segments[at + 1:]
        return None, segments

    list_path = parse_path(mapping["items"]) if mapping.get("items") else None
    parts = {key: split(key) for key in ITEM_DEFAULTS}
    if list_path is None:
        list_path = next((where for where, _inner in parts.values() if where is not None), None)
    if list_path is None:
        return []
    if EACH in list_path:
        list_path = list_path[:list_path.index(EACH)]
    elements = resolve(data, list_path)
    if not isinstance(elements, list):
        return []
    items = []
    for element in elements[:MAX_ITEMS]:
        def field(key: str, element: Any = element) -> Any:
            inner = parts[key][1]
            return resolve(element, inner) if inner else element

        name = _text(element) if not isinstance(element, (dict, list)) else _text(field("item_name"))
        items.append(OrderItem(name=name, quantity=_quantity(field("item_quantity")),
                                price=money(field("item_price"))))
    return items


def apply(data: Any, mapping: dict[str, str]) -> Order:
    """The order fields of ``data``. Raises Unreadable when the status is not where the mapping says."""
    def at(key: str) -> Any:
        path = mapping.get(key)
        return resolve(data, parse_path(path)) if path else _MISSING

    status = at("status")
    if status is _MISSING or status is None or isinstance(status, (dict, list)):
        raise Unreadable(mapping.get("status", "status"))
    return Order(
        status=_text(status), items=_items(data, mapping), ordered_at=when(at("ordered_at")),
        shipped_at=when(at("shipped_at")), delivered_at=when(at("delivered_at")),
        tracking_number=_text(at("tracking_number")), carrier=_text(at("carrier")), total=money(at("total")),
        currency=_text(at("currency"))[:10],
    )


# ---------------------------------------------------------------- URL template and headers


def validate_url_template(value: str) -> None:
    if not value:
        return
    if PLACEHOLDER not in value:
        raise ValidationError(_("Put {order} where the order number goes, for example "
                                "https://shop.example/api/orders/{order}"), code="no_placeholder")
    parts = urlsplit(value.replace(PLACEHOLDER, "x"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("The address must start with http:// or https:// and name a host."),
                              code="scheme")
    if PLACEHOLDER in urlsplit(value).netloc:
        raise ValidationError(_("The order number can go in the path or the query, not in the host name."),
                              code="host")


def fill(template: str, number: str) -> str:
    """The URL of one order: the number URL-quoted, so it can never change the address around it."""
    return template.replace(PLACEHOLDER, quote(number, safe=""))


_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")


def parse_headers_text(text: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    errors = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep or not _HEADER_NAME.match(name.strip()) or not is_header_value(value.strip()):
            errors.append(_("Line %(line)d: write a header as Name: value, in Latin letters, digits and "
                             "punctuation.") % {"line": number})
            continue
        headers[name.strip()] = value.strip()
    if errors:
        raise ValidationError(errors)
    return headers


def is_header_value(value: str) -> bool:
    """One line of printable Latin-1 (what HTTP headers can carry)."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return value.isprintable()


def validate_header_name(name: str) -> None:
    if name and not _HEADER_NAME.match(name):
        raise ValidationError(_("A header name has letters, digits and dashes only, like X-Api-Key."))


def headers_as_text(headers: dict[str, Any]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in (headers or {}).items())
