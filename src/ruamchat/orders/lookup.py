"""Finding order numbers in what customers write, and asking the order sources about them.

``lookup(number)`` always answers: an order, or a plain kind of failure (not found, timed out, could not
connect, an error status from the shop, an answer that cannot be read). Answers are remembered for the
source's cache time — timeouts and connection failures are not, so the next look asks again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import ssl
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any
from urllib.parse import urljoin, urlsplit

import certifi
import httpx
from django.core.cache import cache
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ruamchat.core import outbound
from ruamchat.core.secrets import SecretsUnreadable
from ruamchat.orders import mapping, patterns, sample
from ruamchat.orders.mapping import Order
from ruamchat.orders.models import OrderSource

logger = logging.getLogger("ruamchat.orders")

MAX_BODY_BYTES = 1024 * 1024
MAX_REDIRECTS = 3
MAX_CONCURRENT = 5

STATUS_LABELS: dict[str, Any] = {
    "pending": gettext_lazy("Awaiting payment"), "unpaid": gettext_lazy("Awaiting payment"),
    "paid": gettext_lazy("Paid"), "processing": gettext_lazy("Being prepared"),
    "packing": gettext_lazy("Being packed"), "ready_to_ship": gettext_lazy("Ready to ship"),
    "shipped": gettext_lazy("Shipped"), "in_transit": gettext_lazy("On the way"),
    "out_for_delivery": gettext_lazy("Out for delivery"), "delivered": gettext_lazy("Delivered"),
    "completed": gettext_lazy("Completed"), "cancelled": gettext_lazy("Cancelled"),
    "canceled": gettext_lazy("Cancelled"), "returned": gettext_lazy("Returned"),
    "refunded": gettext_lazy("Refunded"),
}


class Kind(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    PROVIDER_ERROR = "provider_error"
    UNREADABLE = "unreadable"
    NO_SOURCE = "no_source"


NOT_REMEMBERED = (Kind.TIMEOUT, Kind.CONNECTION)


@dataclass(frozen=True)
class OrderResult:
    number: str
    kind: Kind
    source_id: int | None = None
    source_name: str = ""
    order: Order | None = None
    #: the shop's HTTP status for PROVIDER_ERROR
    status_code: int | None = None
    #: UNREADABLE: "not_json", "too_large" or "missing"; PROVIDER_ERROR: "refused", "redirect" or "secret";
    #: CONNECTION: "blocked" (the address is not one ruamchat connects to, see ``blocked``)
    reason: str = ""
    #: UNREADABLE "missing": the mapping's path that found nothing
    path: str = ""
    timeout_seconds: int = 0
    #: answered from the cache, without asking the shop
    cached: bool = False
    #: CONNECTION "blocked": the refusal's problem, host, address and category (ruamchat.core.outbound)
    blocked: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return self.kind == Kind.FOUND

    @property
    def status_label(self) -> str:
        if self.order is None:
            return ""
        key = self.order.status.strip().lower().replace(" ", "_").replace("-", "_")
        return str(STATUS_LABELS[key]) if key in STATUS_LABELS else self.order.status

    @property
    def message(self) -> str:
        """What happened, in words an agent can pass on (empty for an order that was found)."""
        if self.kind == Kind.NOT_FOUND:
            return _("There is no order %(number)s in %(source)s.") % {"number": self.number,
                                                                        "source": self.source_name}
        if self.kind == Kind.TIMEOUT:
            return ngettext("The order system did not answer within %(seconds)d second.",
                            "The order system did not answer within %(seconds)d seconds.",
                            self.timeout_seconds) % {"seconds": self.timeout_seconds}
        if self.kind == Kind.CONNECTION:
            if self.reason == "blocked" and len(self.blocked) == 4:
                return outbound.refusal_message(*self.blocked)
            return _("Could not connect to the order system, or it closed the connection without answering.")
        if self.kind == Kind.PROVIDER_ERROR:
            return self._provider_message()
        if self.kind == Kind.UNREADABLE:
            if self.reason == "too_large":
                return _("The order system's answer could not be read: it is larger than %(size)s.") % {
                    "size": filesizeformat(MAX_BODY_BYTES)}
            if self.reason == "missing":
                return _("The order system's answer could not be read: it has no order status at “%(path)s”. "
                         "An administrator can check the field mapping.") % {"path": self.path}
            return _("The order system's answer could not be read: it is not JSON.")
        if self.kind == Kind.NO_SOURCE:
            return _("No order system is set up. An administrator can add one under Order sources in the admin.")
        return ""

    def _provider_message(self) -> str:
        status = {"status": self.status_code}
        if self.reason == "secret":
            return _("The secret header of this order source cannot be decrypted with this server's key: an "
                     "administrator must enter it again.")
        if self.reason == "redirect":
            return _("The order system sent the request on to another address (status %(status)s), which is "
                     "not followed.") % status
        if self.reason == "refused":
            return _("The order system refused the request (status %(status)s): the secret header may be "
                     "missing or wrong. An administrator can check it in the order source settings.") % status
        return _("The order system answered with an error (status %(status)s). Try again in a moment.") % status

    def as_dict(self) -> dict[str, Any]:
        """For the API: plain JSON values, dates in ISO 8601 with their offset."""
        order = None
        if self.order is not None:
            o = self.order
            order = {
                "status": o.status, "status_label": self.status_label,
                "items": [{"name": i.name, "quantity": i.quantity, "price": i.price} for i in o.items],
                "ordered_at": o.ordered_at, "shipped_at": o.shipped_at, "delivered_at": o.delivered_at,
                "tracking_number": o.tracking_number, "carrier": o.carrier, "total": o.total,
                "currency": o.currency,
            }
        return {"number": self.number, "result": str(self.kind), "source": self.source_name,
                "message": self.message, "cached": self.cached, "order": order}


# ---------------------------------------------------------------- which sources, which numbers


def active_sources() -> list[OrderSource]:
    return list(OrderSource.objects.filter(active=True).order_by("name", "id"))


def detect_order_numbers(text: str, sources: Iterable[OrderSource] | None = None) -> list[str]:
    """The order numbers in ``text`` by the patterns of the active sources, as they will be looked up."""
    numbers: dict[str, None] = {}
    for source in active_sources() if sources is None else sources:
        for number in source.find_numbers(text):
            numbers[number] = None
    return list(numbers)


def clean_number(typed: str) -> str:
    """What an agent typed, as a number to look up: Thai digits as 0-9, no surrounding spaces or "#"."""
    return patterns.normalise(typed).strip().lstrip("#").strip()[:patterns.MAX_NUMBER_LENGTH]


def _candidates(number: str, sources: list[OrderSource]) -> list[tuple[OrderSource, str]]:
    """The sources to ask and the number each is asked about: those whose pattern finds the number (written
    as the pattern's source writes it), or, when none does, every active source with the number as typed."""
    matching = []
    for source in sources:
        found = source.find_numbers(number)
        if found:
            matching.append((source, found[0]))
    if matching:
        return matching
    return [(source, number) for source in sources]


# ---------------------------------------------------------------- looking up


class _Memo:
    """The cache as the worker threads of ``lookup_many`` see it: read in one go before, written after, from
    the request's own thread (Django's cache connections belong to the thread that opened them)."""

    def __init__(self, known: dict[str, Any]) -> None:
        self.known = known
        self.learnt: dict[str, tuple[OrderResult, int]] = {}


def lookup(number: str, *, sources: list[OrderSource] | None = None, memo: _Memo | None = None) -> OrderResult:
    """The order ``number`` from the first source that has it; else the most telling failure (an error that
    may hide the order rather than "not found")."""
    number = clean_number(number)
    sources = active_sources() if sources is None else sources
    if not sources:
        return OrderResult(number=number, kind=Kind.NO_SOURCE)
    results = []
    for source, asked in _candidates(number, sources):
        result = lookup_in(source, asked, memo=memo)
        if result.found:
            return result
        results.append(result)
    return next((r for r in results if r.kind != Kind.NOT_FOUND), results[0])


def lookup_many(numbers: list[str]) -> list[OrderResult]:
    """Several numbers at once, side by side: the wait is the slowest answer, not the sum of them."""
    if not numbers:
        return []
    sources = active_sources()
    if len(numbers) == 1:
        return [lookup(numbers[0], sources=sources)]
    keys = [cache_key(source, asked) for n in numbers for source, asked in _candidates(clean_number(n), sources)]
    memo = _Memo(_cache_get_many(keys) if keys else {})
    with ThreadPoolExecutor(max_workers=min(len(numbers), MAX_CONCURRENT), thread_name_prefix="orders") as pool:
        results = list(pool.map(lambda n: lookup(n, sources=sources, memo=memo), numbers))
    for key, (result, seconds) in memo.learnt.items():
        _cache_set(key, result, seconds)
    return results


def cache_key(source: OrderSource, number: str) -> str:
    """Per source and number; a saved change to the source (its updated_at) starts afresh."""
    version = int(source.updated_at.timestamp() * 1_000_000) if source.updated_at else 0
    digest = hashlib.sha256(number.encode()).hexdigest()[:32]
    return f"orders:v1:{source.pk}:{version}:{digest}"


def lookup_in(source: OrderSource, number: str, *, memo: _Memo | None = None) -> OrderResult:
    key = cache_key(source, number)
    remembered = memo.known.get(key) if memo is not None else _cache_get_many([key]).get(key)
    if isinstance(remembered, OrderResult):
        return replace(remembered, cached=True)
    result = _ask(source, number)
    if result.kind not in NOT_REMEMBERED and source.cache_seconds > 0:
        if memo is not None:
            memo.learnt[key] = (result, source.cache_seconds)
        else:
            _cache_set(key, result, source.cache_seconds)
    return result


# The cache only saves asking the shop again: when it is away (Redis restarting), orders are looked up without it.


def _cache_get_many(keys: list[str]) -> dict[str, Any]:
    try:
        return dict(cache.get_many(keys))
    except Exception as exc:
        logger.warning("order look-up: the cache could not be read (%s); asking the source", exc)
        return {}


def _cache_set(key: str, result: OrderResult, seconds: int) -> None:
    try:
        cache.set(key, result, seconds)
    except Exception as exc:
        logger.warning("order look-up: the cache could not be written (%s)", exc)


def _ask(source: OrderSource, number: str) -> OrderResult:
    base = OrderResult(number=number, kind=Kind.FOUND, source_id=source.pk, source_name=source.name,
                       timeout_seconds=source.timeout_seconds)
    if source.kind == OrderSource.Kind.SAMPLE:
        data = sample.answer(number)
        if data is None:
            return replace(base, kind=Kind.NOT_FOUND)
        return _read(base, data, source.mapping or sample.SAMPLE_MAPPING)
    try:
        status, body = _fetch(source, mapping.fill(source.url_template, number))
    except SecretsUnreadable:
        return replace(base, kind=Kind.PROVIDER_ERROR, reason="secret")
    except _Redirected as exc:
        return replace(base, kind=Kind.PROVIDER_ERROR, status_code=exc.status_code, reason="redirect")
    except _TooLarge:
        return replace(base, kind=Kind.UNREADABLE, reason="too_large")
    except (_OutOfTime, httpx.TimeoutException):
        return replace(base, kind=Kind.TIMEOUT)
    except outbound.OutboundRefused as exc:
        logger.warning("order look-up in %s: %s", source.name, exc)
        return replace(base, kind=Kind.CONNECTION, reason="blocked",
                       blocked=(exc.problem, exc.host, exc.address, exc.category))
    except httpx.DecodingError:  # a body that claims gzip and is not
        return replace(base, kind=Kind.UNREADABLE, reason="not_json")
    except (httpx.HTTPError, httpx.InvalidURL, ssl.SSLError, OSError):
        return replace(base, kind=Kind.CONNECTION)
    if status == 404:
        return replace(base, kind=Kind.NOT_FOUND)
    if not 200 <= status < 300:
        return replace(base, kind=Kind.PROVIDER_ERROR, status_code=status,
                       reason="refused" if status in (401, 403) else "")
    try:
        data = json.loads(body)
    except ValueError:
        return replace(base, kind=Kind.UNREADABLE, reason="not_json")
    return _read(base, data, source.mapping)


def _read(base: OrderResult, data: Any, field_mapping: dict[str, str]) -> OrderResult:
    try:
        order = mapping.apply(data, field_mapping)
    except mapping.Unreadable as exc:
        return replace(base, kind=Kind.UNREADABLE, reason="missing", path=str(exc))
    return replace(base, order=order)


# ---------------------------------------------------------------- HTTP


class _Redirected(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(status_code)
        self.status_code = status_code


class _TooLarge(Exception):
    pass


class _OutOfTime(Exception):
    pass


@functools.cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


def _same_host(current: str, target: str) -> bool:
    """A redirect is followed only to the same host and port, and never from https down to http."""
    a, b = urlsplit(current), urlsplit(target)
    if b.scheme not in ("http", "https") or (a.scheme == "https" and b.scheme != "https"):
        return False
    default = {"http": 80, "https": 443}
    return (a.hostname or "").lower() == (b.hostname or "").lower() and \
        (a.port or default[a.scheme]) == (b.port or default[b.scheme])


def _headers(source: OrderSource) -> dict[str, str]:
    headers = {"Accept": "application/json", "User-Agent": "ruamchat"}
    headers.update({str(k): str(v) for k, v in (source.headers or {}).items()})
    if source.secret_header and source.secret_encrypted:
        headers[source.secret_header] = source.secret_value
    return headers


def _fetch(source: OrderSource, url: str) -> tuple[int, bytes]:
    """(status, body) of GET ``url``, within the source's timeout from start to last byte, at most
    MAX_BODY_BYTES, following redirects on the same host only. Error statuses come back without their body."""
    limit = float(source.timeout_seconds)
    deadline = time.monotonic() + limit
    headers = _headers(source)
    with outbound.client(timeout=limit, follow_redirects=False, verify=_tls()) as client:
        for hop in range(MAX_REDIRECTS + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _OutOfTime
            with client.stream("GET", url, headers=headers, timeout=remaining) as response:
                if response.is_redirect:
                    target = urljoin(url, response.headers.get("Location", ""))
                    if hop == MAX_REDIRECTS or not _same_host(url, target):
                        raise _Redirected(response.status_code)
                    url = target
                    continue
                if not 200 <= response.status_code < 300:
                    return response.status_code, b""
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
                    raise _TooLarge
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_BODY_BYTES:
                        raise _TooLarge
                    if time.monotonic() > deadline:
                        raise _OutOfTime
                return response.status_code, bytes(body)
    raise _Redirected(0)  # unreachable: the last hop either returns or raises
