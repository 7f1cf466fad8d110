"""A small client for the parts of the LINE Messaging API ruamchat uses.

Every failure surfaces as one ``LineError`` carrying LINE's own status and error text, so the
connector can tell "try again later" (429, 5xx, network) from "LINE refused this" (other 4xx).
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


class LineError(Exception):
    """LINE answered with an error, or could not be reached (``status`` 0; ``refused`` when ruamchat would not
    connect to the address, which trying again does not change)."""

    def __init__(self, status: int, message: str, details: list[str] | None = None,
                 body: dict[str, Any] | None = None, *, refused: outbound.OutboundRefused | None = None) -> None:
        self.status = status
        self.message = message
        self.details = details or []
        self.body = body or {}
        self.refused = refused
        super().__init__(self.text)

    @property
    def text(self) -> str:
        """LINE's own words, as shown to the agent: the message, then each detail."""
        if not self.details:
            return self.message
        return f"{self.message}: " + "; ".join(self.details)

    @property
    def retryable(self) -> bool:
        if self.refused is not None:
            return False
        return self.status == 0 or self.status == 429 or self.status >= 500

    @property
    def is_invalid_reply_token(self) -> bool:
        return self.status == 400 and "reply token" in self.message.lower()


def _error_from(response: httpx.Response) -> LineError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    message = str(body.get("message") or f"HTTP {response.status_code} {response.reason_phrase}")
    details = []
    for detail in body.get("details") or []:
        if isinstance(detail, dict):
            prop = detail.get("property")
            text = str(detail.get("message", ""))
            details.append(f"{prop}: {text}" if prop else text)
    return LineError(response.status_code, message, details, body)


def _unreachable(exc: httpx.HTTPError) -> LineError:
    if isinstance(exc, outbound.OutboundRefused):
        return LineError(0, exc.user_message, refused=exc)
    return LineError(0, f"LINE could not be reached: {exc.__class__.__name__}: {exc}")


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle costs ~20 ms of CPU, too much per call."""
    return ssl.create_default_context(cafile=certifi.where())


class LineClient:
    """One channel's view of the LINE API. Use as a context manager so the connection pool is closed."""

    def __init__(self, access_token: str, *, api_url: str | None = None, data_url: str | None = None) -> None:
        self.api_url = (api_url or settings.RUAMCHAT_LINE_API_URL).rstrip("/")
        self.data_url = (data_url or settings.RUAMCHAT_LINE_DATA_URL).rstrip("/")
        self._http = outbound.client(
            timeout=TIMEOUT, verify=_tls(),
            headers={"Authorization": f"Bearer {access_token}", "User-Agent": "ruamchat"},
        )

    @classmethod
    def for_channel(cls, channel: Channel) -> LineClient:
        try:
            token = str(channel.secrets.get("access_token", ""))
        except SecretsUnreadable as exc:
            raise LineError(401, "The channel's access token cannot be read: enter it again.") from exc
        return cls(token)

    def __enter__(self) -> LineClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------ transport

    def _call(self, method: str, url: str, *, json: Any = None, headers: dict[str, str] | None = None,
              ok: tuple[int, ...] = (200,)) -> httpx.Response:
        try:
            response = self._http.request(method, url, json=json, headers=headers)
        except httpx.HTTPError as exc:
            raise _unreachable(exc) from exc
        if response.status_code not in ok:
            raise _error_from(response)
        return response

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    # ------------------------------------------------------------ sending

    def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
        response = self._call("POST", f"{self.api_url}/v2/bot/message/reply",
                              json={"replyToken": reply_token, "messages": messages})
        return self._json(response)

    def push(self, to: str, messages: list[dict[str, Any]], *, retry_key: str) -> dict[str, Any]:
        """Push with a retry key. A 409 means LINE already accepted this key: returned as success,
        with ``"accepted_before": True``."""
        response = self._call("POST", f"{self.api_url}/v2/bot/message/push",
                              json={"to": to, "messages": messages},
                              headers={"X-Line-Retry-Key": retry_key}, ok=(200, 409))
        data = self._json(response)
        if response.status_code == 409:
            data["accepted_before"] = True
        return data

    # ------------------------------------------------------------ who is it

    def profile(self, user_id: str) -> dict[str, Any]:
        return self._json(self._call("GET", f"{self.api_url}/v2/bot/profile/{user_id}"))

    def member_profile(self, chat_id: str, user_id: str) -> dict[str, Any]:
        kind = "room" if chat_id.startswith("R") else "group"
        return self._json(self._call("GET", f"{self.api_url}/v2/bot/{kind}/{chat_id}/member/{user_id}"))

    def group_summary(self, group_id: str) -> dict[str, Any]:
        return self._json(self._call("GET", f"{self.api_url}/v2/bot/group/{group_id}/summary"))

    # ------------------------------------------------------------ content

    def transcoding_status(self, message_id: str) -> str:
        """``processing``, ``succeeded`` or ``failed`` (video and audio only)."""
        response = self._call("GET", f"{self.data_url}/v2/bot/message/{message_id}/content/transcoding")
        return str(self._json(response).get("status", ""))

    def content(self, message_id: str, *, max_bytes: int) -> tuple[bytes, str]:
        """The file a customer sent, read up to ``max_bytes`` (a longer read means it is too large)."""
        url = f"{self.data_url}/v2/bot/message/{message_id}/content"
        try:
            with self._http.stream("GET", url) as response:
                if response.status_code == 202:  # accepted, but the content is not ready yet
                    raise LineError(202, "LINE is still preparing the content")
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
