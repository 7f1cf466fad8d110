"""`ruamchat serve --wsgi` behind a proxy: the client's address is the one the trusted proxy saw."""

from __future__ import annotations

from typing import Any

from ruamchat.core.management.commands.serve import _ForwardedFor


def _remote_addr(environ: dict[str, Any], trusted: str = "127.0.0.1,::1") -> str:
    seen: dict[str, str] = {}

    def app(env: dict[str, Any], start_response: Any) -> list[bytes]:
        seen["addr"] = env["REMOTE_ADDR"]
        return [b""]

    _ForwardedFor(app, trusted)(environ, lambda *a: None)
    return seen["addr"]


def test_the_address_nginx_added_is_the_client() -> None:
    assert _remote_addr({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}) == "203.0.113.9"
    # a client may send its own X-Forwarded-For; nginx appends the address it saw, which is what counts
    forwarded = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "10.0.0.1, 198.51.100.7"}
    assert _remote_addr(forwarded) == "198.51.100.7"


def test_a_forged_header_from_an_untrusted_peer_is_ignored() -> None:
    assert _remote_addr({"REMOTE_ADDR": "198.51.100.7", "HTTP_X_FORWARDED_FOR": "127.0.0.1"}) == "198.51.100.7"
    assert _remote_addr({"REMOTE_ADDR": "127.0.0.1"}) == "127.0.0.1"
    assert _remote_addr({"REMOTE_ADDR": "172.18.0.5", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}, "*") == "203.0.113.9"
