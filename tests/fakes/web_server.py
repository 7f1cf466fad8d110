"""A plain HTTP server on a loopback address that records every connection and request it gets: to prove an
outbound request reached it, or never did (tests of the SSRF guard, ruamchat.core.outbound).

It answers ``GET`` with 200 and a short body, or with a redirect for the paths given to ``redirect``."""

from __future__ import annotations

import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

BODY = b"hello from the test server"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    recorder: RecordingServer

    def verify_request(self, request: Any, client_address: Any) -> bool:
        with self.recorder.lock:
            self.recorder.connections += 1
        return True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        recorder = self.server.recorder
        with recorder.lock:
            recorder.requests.append(self.path)
        location = recorder.redirects.get(self.path.split("?", 1)[0])
        if location is not None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg" if self.path.endswith(".jpg") else "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class RecordingServer:
    """``RecordingServer("127.0.0.2")``, ``RecordingServer("::1")``… (HTTPS with a ``tls`` server context);
    use as a context manager."""

    def __init__(self, host: str = "127.0.0.1", *, tls: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.scheme = "https" if tls is not None else "http"
        self.lock = threading.Lock()
        self.connections = 0
        self.requests: list[str] = []
        self.redirects: dict[str, str] = {}
        server_class = _Server6 if ":" in host else _Server
        self.server = server_class((host, 0), _Handler)
        self.server.recorder = self
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True, name=f"recording-server-{self.port}")

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def redirect(self, path: str, location: str) -> None:
        self.redirects[path] = location

    @property
    def reached(self) -> bool:
        with self.lock:
            return self.connections > 0 or bool(self.requests)

    def start(self) -> RecordingServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def __enter__(self) -> RecordingServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
