"""A small client for the parts of Meta's Graph API ruamchat uses (Send API, user profiles, CDN files).

Every failure surfaces as one ``GraphError`` carrying Meta's status, error code and message, so the
connector can tell "try again later" (5xx, 429, rate-limit codes, network) from "Meta refused this".
"""

from __future__ import annotations

import functools
import ssl
from types import TracebackType
from typing import Any

import certifi
import httpx
from django.conf import settings

from ruamchat.connectors.models import Channel
from ruamchat.core import outbound
from ruamchat.core.secrets import SecretsUnreadable

TIMEOUT = httpx.Timeout(20.0, connect=10.0)
#: Graph API error codes that mean "slow down / try again": 4 app, 17 user, 32 page, 613 call rate;
#: 1 and 2 are Meta's own transient "unknown error" and "service temporarily unavailable"
RETRYABLE_CODES = frozenset({1, 2, 4, 17, 32, 613})


class GraphError(Exception):
    """Meta answered with an error, or could not be reached (``status`` 0; ``refused`` when ruamchat would not
    connect to the address, which trying again does not change)."""

    def __init__(self, status: int, message: str, *, code: int = 0, subcode: int = 0,
                 transient: bool = False, refused: outbound.OutboundRefused | None = None) -> None:
        self.status = status
        self.message = message
        self.code = code
        self.subcode = subcode
        self.transient = transient
        self.refused = refused
        super().__init__(message)

    @property
    def retryable(self) -> bool:
        if self.refused is not None:
            return False
        return (self.status in (0, 429) or self.status >= 500 or self.code in RETRYABLE_CODES
                or self.transient)


def _unreachable(exc: httpx.HTTPError) -> GraphError:
    if isinstance(exc, outbound.OutboundRefused):
        return GraphError(0, exc.user_message, refused=exc)
    return GraphError(0, f"Meta could not be reached: {exc.__class__.__name__}: {exc}")


def _error_from(response: httpx.Response) -> GraphError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return GraphError(response.status_code, f"HTTP {response.status_code} {response.reason_phrase}")
    code, subcode = error.get("code"), error.get("error_subcode")
    return GraphError(
        response.status_code, str(error.get("message") or f"HTTP {response.status_code}"),
        code=code if isinstance(code, int) else 0, subcode=subcode if isinstance(subcode, int) else 0,
        transient=error.get("is_transient") is True,
    )


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle costs ~20 ms of CPU, too much per call."""
    return ssl.create_default_context(cafile=certifi.where())


class GraphClient:
    """One channel's view of the Graph API. Use as a context manager so the connection pool is closed."""

    def __init__(self, access_token: str, *, base_url: str | None = None, version: str | None = None) -> None:
        base = (base_url or settings.RUAMCHAT_META_GRAPH_URL).rstrip("/")
        self.api_url = f"{base}/{version or settings.RUAMCHAT_META_GRAPH_VERSION}"
        self._token = access_token
        self._http = outbound.client(timeout=TIMEOUT, verify=_tls(), headers={"User-Agent": "ruamchat"})

    @classmethod
    def for_channel(cls, channel: Channel) -> GraphClient:
        try:
            token = str(channel.secrets.get("page_access_token", ""))
        except SecretsUnreadable as exc:
            raise GraphError(401, "The channel's page access token cannot be read: enter it again.") from exc
        return cls(token)

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, *, params: dict[str, str] | None = None,
              json: Any = None) -> dict[str, Any]:
        try:
            response = self._http.request(method, f"{self.api_url}/{path}", json=json,
                                          params={**(params or {}), "access_token": self._token})
        except httpx.HTTPError as exc:
            raise _unreachable(exc) from exc
        if response.status_code != 200:
            raise _error_from(response)
        try:
            data = response.json()
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def send_message(self, account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST /{account}/messages; answers ``{"recipient_id", "message_id"}``."""
        return self._call("POST", f"{account_id}/messages", json=body)

    def profile(self, user_id: str, fields: str) -> dict[str, Any]:
        return self._call("GET", user_id, params={"fields": fields})


def download(url: str, *, max_bytes: int) -> tuple[bytes, str]:
    """A file from Meta's CDN (the links in webhook attachments need no token), read up to ``max_bytes``.
    The link comes from a webhook: it (and every redirect) is fetched only from public addresses."""
    try:
        with outbound.client(timeout=TIMEOUT, verify=_tls(), follow_redirects=True,
                             headers={"User-Agent": "ruamchat"}) as http, http.stream("GET", url) as response:
            if response.status_code != 200:
                response.read()
                raise _error_from(response)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size >= max_bytes:
                    break
            return b"".join(chunks)[:max_bytes], response.headers.get("content-type", "")
    except httpx.HTTPError as exc:
        raise _unreachable(exc) from exc
