"""A shop's order API on 127.0.0.1, as a real HTTP server in a thread: it checks the API key and answers each
order number its own way (found, not found, slow, failing, not JSON, dropped, redirected, too large)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

API_KEY = "s3cret-key-4711"
SLOW_WAIT_SECONDS = 10

FOUND = {
    "data": {
        "order": {
            "state": "shipped",
            "placed": "2026-11-20T03:15:00Z",  # 10:15 in Bangkok
            "shipped": "2026-11-21T09:30:00",  # no zone: the organisation's
            "delivered": None,
            "lines": [
                {"product": {"title": "เสื้อยืดคอกลม"}, "qty": 2, "unit_price": "199.00"},
                {"product": {"title": "กางเกงยีนส์ขากระบอก"}, "qty": 1, "unit_price": 590},
            ],
            "shipments": [{"tracking": "TH12345678901", "company": "Kerry Express"}],
            "grand_total": "1,028.00",
        }
    }
}

MAPPING = "\n".join([
    "status: data.order.state",
    "item_name: data.order.lines[].product.title",
    "item_quantity: data.order.lines[].qty",
    "item_price: data.order.lines[].unit_price",
    "ordered_at: data.order.placed",
    "shipped_at: data.order.shipped",
    "delivered_at: data.order.delivered",
    "tracking_number: data.order.shipments[0].tracking",
    "carrier: data.order.shipments[0].company",
    "total: data.order.grand_total",
])


class Shop:
    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.headers: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self.release = threading.Event()  # set at the end: the slow answers stop waiting
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.server.shop = self  # type: ignore[attr-defined]
        self.server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def asked(self, number: str) -> int:
        with self.lock:
            return self.requests[number]

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json",
              extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode())

    def do_GET(self) -> None:
        shop: Shop = self.server.shop
        path = urlsplit(self.path).path
        number = unquote(path.rsplit("/", 1)[-1])
        with shop.lock:
            shop.requests[number] += 1
            shop.headers.append(dict(self.headers))
        if self.headers.get("X-Api-Key") != API_KEY:
            return self._json(401, {"error": "unauthorized"})
        if number in ("CS-10023", "CS10023"):
            return self._json(200, FOUND)
        if number.startswith("CS-7"):  # slow: longer than any timeout the tests set
            shop.release.wait(SLOW_WAIT_SECONDS)
            return self._json(200, FOUND)
        if number == "CS-50000":
            return self._json(500, {"error": "database is down"})
        if number == "CS-60000":
            return self._send(200, b"<html><body>Maintenance</body></html>", "text/html")
        if number == "CS-80000":  # the connection drops without an answer
            self.close_connection = True
            return None
        if number == "CS-90000":
            return self._json(200, {"data": {"message": "ok"}})
        if number == "CS-31000":  # to another host
            port = self.server.server_address[1]
            return self._send(302, b"", extra={"Location": f"http://localhost:{port}/api/orders/CS-10023"})
        if number == "CS-32000":  # on the same host
            return self._send(302, b"", extra={"Location": "/api/orders/CS-10023"})
        if number == "CS-33000":
            return self._send(200, b'{"pad": "' + b"x" * (2 * 1024 * 1024) + b'"}')
        if number.startswith("CS-1"):  # the shop's own numbers that exist: same answer as CS-10023
            return self._json(200, FOUND)
        return self._json(404, {"error": "no such order"})
