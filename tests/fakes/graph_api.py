"""A fake Meta Graph API (Messenger and Instagram messaging): a real HTTP server on 127.0.0.1.

``base_url`` plays ``https://graph.facebook.com``. Paths carry the version (``/v21.0/...``) like the real one;
a request for another version answers 400 code 2635, as Graph does for an unknown version.

Behaviour, and where it knowingly differs from Meta:

- Send API: ``POST /{version}/{page_or_ig_id}/messages`` and ``/{version}/me/messages``. The token comes as the
  ``access_token`` query parameter (or form field) or ``Authorization: Bearer``; none answers 400 code 2500,
  a wrong one 400 code 190 ``OAuthException``. Errors are ``{"error": {"message", "type", "code",
  "error_subcode", "fbtrace_id"}}`` and every answer has an ``x-fb-trace-id`` header.
- The body needs ``recipient.id`` and either ``message`` or ``sender_action`` (typing_on, typing_off,
  mark_seen). ``messaging_type`` is RESPONSE, UPDATE or MESSAGE_TAG; MESSAGE_TAG needs ``tag: HUMAN_AGENT``
  (other tags answer code 100: the fake knows only the tag ruamchat uses). ``message`` is ``text``
  (1..2000 characters) or ``attachment`` ``{type: image|video|audio|file|template, payload: {url |
  attachment_id, is_reusable}}``, optionally ``quick_replies`` (at most 13). Instagram allows 1000 bytes of
  text; the fake checks 2000 characters for both.
- Messaging window, per recipient, from ``last_user_message(recipient, when)``: RESPONSE and UPDATE within
  24 hours, MESSAGE_TAG HUMAN_AGENT within 7 days; otherwise 400 code 10 subcode 2018278. A recipient the
  test never told about counts as inside the window, unless the fake was made with ``strict_window=True``
  (then it is refused as Meta refuses a user who never wrote). The clock is ``now`` (real time unless set).
  Sender actions are not window-checked.
- Success answers ``{"recipient_id", "message_id": "m_..."}`` (plus ``attachment_id`` for a reusable
  attachment) and adds a ``Delivery`` to ``.delivered``: what reached the customer. ``.calls`` records every
  request.
- ``fail_next(path_suffix, status, error=None, times=1)`` scripts failures for requests whose path ends with
  ``path_suffix``; the default error for 500 is transient code 2, 429 is code 613 (rate limit), 400 code 100.
  With ``after_delivery=True`` the message is delivered and the client still sees the failure.
- Profiles: ``GET /{version}/{user_id}?fields=...`` answers the requested fields from ``add_profile`` (always
  with ``id``); an unknown user answers 400 code 100 subcode 33 ``GraphMethodException``.
- Attachment CDN: ``add_media(path, data, content_type)`` is served, without a token, at ``GET /media/<path>``
  (the path is matched percent-decoded). Fixtures point at ``https://cdn.fake.test/media/...``;
  ``tests.connectors.meta.fixture_bytes(name, media_base=fake.base_url)`` rewrites that host to this server.
  Unknown media answers 404 with an empty body, as an expired CDN link does.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

PLACEHOLDER_MEDIA_HOST = "https://cdn.fake.test"

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
MAX_TEXT_LENGTH = 2000
MAX_QUICK_REPLIES = 13
MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG")
ATTACHMENT_TYPES = ("image", "video", "audio", "file", "template")
SENDER_ACTIONS = ("typing_on", "typing_off", "mark_seen")

INVALID_TOKEN = "Invalid OAuth access token - Cannot parse access token"
MISSING_TOKEN = "An active access token must be used to query information about the current user."
OUTSIDE_WINDOW = "(#10) This message is sent outside of allowed window."
OUTSIDE_WINDOW_SUBCODE = 2018278
NOT_AVAILABLE = "(#551) This person isn't available right now."
RATE_LIMITED = "(#613) Calls to this api have exceeded the rate limit."
UNEXPECTED = "An unexpected error has occurred. Please retry your request later."

DEFAULT_FAILURES: dict[int, dict[str, Any]] = {
    400: {"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100},
    403: {"message": "(#200) Requires pages_messaging permission to manage the object", "type": "OAuthException",
          "code": 200},
    429: {"message": RATE_LIMITED, "type": "OAuthException", "code": 613},
    500: {"message": UNEXPECTED, "type": "OAuthException", "code": 2, "is_transient": True},
    503: {"message": "(#2) Service temporarily unavailable", "type": "OAuthException", "code": 2,
          "is_transient": True},
}


def sign(body: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` Meta sends with a webhook body: ``sha256=`` + hex HMAC-SHA256 of the bytes."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_headers(body: bytes, app_secret: str) -> dict[str, str]:
    """The headers Meta sends with a webhook POST, signed for ``body``."""
    return {
        "content-type": "application/json",
        "user-agent": "facebookexternalua",
        "x-hub-signature": "sha1=" + hmac.new(app_secret.encode(), body, hashlib.sha1).hexdigest(),
        "x-hub-signature-256": sign(body, app_secret),
    }


@dataclass(frozen=True)
class RecordedCall:
    """One request the fake received, and the status it answered."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    json: Any  # the parsed JSON body, or None
    status: int


@dataclass(frozen=True)
class Delivery:
    """A message that reached a customer: what they would see."""

    sender_id: str  # the page or Instagram account id in the path, or "me"
    recipient_id: str
    messaging_type: str
    tag: str | None
    message: dict[str, Any]
    message_id: str

    @property
    def text(self) -> str | None:
        text = self.message.get("text")
        return text if isinstance(text, str) else None


@dataclass
class _Failure:
    status: int
    error: dict[str, Any]
    remaining: int
    after_delivery: bool


@dataclass
class _Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)


class GraphError(Exception):
    """An answer in Graph's error format (raised inside the fake, turned into a response)."""

    def __init__(self, status: int, message: str, *, type: str = "OAuthException", code: int = 100,
                 subcode: int | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.error: dict[str, Any] = {"message": message, "type": type, "code": code}
        if subcode is not None:
            self.error["error_subcode"] = subcode
        self.error.update(extra)


def _error_response(status: int, error: dict[str, Any]) -> _Response:
    trace = secrets.token_urlsafe(8)
    body = {"error": {**error, "fbtrace_id": trace}}
    return _Response(status, json.dumps(body).encode(), headers={"x-fb-trace-id": trace})


def _json_response(body: Any) -> _Response:
    return _Response(200, json.dumps(body, ensure_ascii=False).encode())


def _param_error(message: str) -> GraphError:
    return GraphError(400, f"(#100) {message}", code=100)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeGraphApi) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = self.server.fake._handle(self.command, self.path, headers, body)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet


class FakeGraphApi:
    """The Graph API as the Messenger/Instagram connector needs it; see the module docstring."""

    def __init__(self, page_token: str = "test-page-token", version: str = "v21.0", *,
                 strict_window: bool = False) -> None:
        self.page_token = page_token
        self.version = version
        self.strict_window = strict_window
        self.now: datetime | None = None  # None: real time
        self.calls: list[RecordedCall] = []
        self.delivered: list[Delivery] = []
        self.sender_actions: list[dict[str, str]] = []
        self._lock = threading.RLock()
        self._last_user_message: dict[str, datetime] = {}
        self._failures: list[tuple[str, _Failure]] = []
        self._profiles: dict[str, dict[str, Any]] = {}
        self._media: dict[str, tuple[bytes, str]] = {}
        self._message_ids = itertools.count(1)
        self._attachment_ids = itertools.count(900_000_000_000_001)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> FakeGraphApi:
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name="fake-graph-api")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeGraphApi:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """Stands in for https://graph.facebook.com (no trailing slash, no version)."""
        if self._server is None:
            raise RuntimeError("FakeGraphApi is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def media_url(self, path: str) -> str:
        return f"{self.base_url}/media/{path.lstrip('/')}"

    # -- scripting -------------------------------------------------------------------------------------------

    def last_user_message(self, recipient_id: str, when: datetime) -> None:
        """The customer ``recipient_id`` last wrote at ``when`` (aware datetime): opens the messaging window."""
        if when.tzinfo is None:
            raise ValueError("when must be timezone-aware")
        with self._lock:
            self._last_user_message[recipient_id] = when

    def fail_next(self, path_suffix: str, status: int, error: dict[str, Any] | None = None, *, times: int = 1,
                  after_delivery: bool = False) -> None:
        """Answer the next ``times`` requests whose path ends with ``path_suffix`` with ``status`` and ``error``
        (the inner object of ``{"error": ...}``; a Graph-like default for the status when None)."""
        if error is None:
            error = dict(DEFAULT_FAILURES.get(status, {"message": HTTPStatus(status).phrase,
                                                       "type": "OAuthException", "code": 1}))
        with self._lock:
            self._failures.append((path_suffix, _Failure(status, dict(error), times, after_delivery)))

    def fail_next_not_available(self, path_suffix: str = "/messages") -> None:
        """The customer can't be reached (blocked the page, deleted the account): 400 code 551."""
        self.fail_next(path_suffix, 400, {"message": NOT_AVAILABLE, "type": "OAuthException", "code": 551,
                                          "error_subcode": 1545041})

    def add_profile(self, user_id: str, **fields: Any) -> None:
        """A customer's profile: Messenger ``first_name``, ``last_name``, ``profile_pic``; Instagram ``name``,
        ``username``, ``profile_pic`` (and anything else a test needs)."""
        with self._lock:
            self._profiles[user_id] = dict(fields)

    def add_media(self, path: str, data: bytes, content_type: str = "image/jpeg") -> str:
        """Serve ``data`` at ``GET /media/<path>``; returns its URL."""
        with self._lock:
            self._media[unquote(path.lstrip("/"))] = (data, content_type)
        return self.media_url(path) if self._server is not None else f"/media/{path.lstrip('/')}"

    # -- reading what happened -------------------------------------------------------------------------------

    def calls_to(self, path_suffix: str, *, method: str | None = None) -> list[RecordedCall]:
        with self._lock:
            return [c for c in self.calls if c.path.endswith(path_suffix) and method in (None, c.method)]

    def delivered_to(self, recipient_id: str) -> list[Delivery]:
        with self._lock:
            return [d for d in self.delivered if d.recipient_id == recipient_id]

    def texts_to(self, recipient_id: str) -> list[str]:
        return [d.text for d in self.delivered_to(recipient_id) if d.text is not None]

    # -- request handling ------------------------------------------------------------------------------------

    def _clock(self) -> datetime:
        return self.now or datetime.now(UTC)

    def _handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> _Response:
        url = urlsplit(raw_path)
        query = parse_qs(url.query)
        parsed = self._parse_body(headers, body)
        with self._lock:
            try:
                response = self._route(method, url.path, query, headers, parsed)
            except GraphError as error:
                response = _error_response(error.status, error.error)
            self.calls.append(RecordedCall(method, url.path, query, headers, body, parsed, response.status))
        return response

    @staticmethod
    def _parse_body(headers: dict[str, str], body: bytes) -> Any:
        if not body:
            return None
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
            for key in ("recipient", "message"):  # Graph accepts JSON-encoded form fields
                if isinstance(form.get(key), str):
                    with contextlib.suppress(ValueError):
                        form[key] = json.loads(form[key])
            return form
        try:
            return json.loads(body)
        except ValueError:
            return None

    def _route(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               data: Any) -> _Response:
        if path.startswith("/media/"):
            if method != "GET":
                raise GraphError(405, "Method Not Allowed")
            media = self._media.get(unquote(path.removeprefix("/media/")))
            if media is None:
                return _Response(404, b"", "text/plain")
            return _Response(200, media[0], media[1])
        parts = path.strip("/").split("/")
        if not parts or not re.fullmatch(r"v\d+\.\d+", parts[0]):
            raise GraphError(400, "Unknown path components: /" + "/".join(parts[:1]), code=2500)
        if parts[0] != self.version:
            raise GraphError(400, f"(#2635) You are calling a deprecated or unknown version {parts[0]}", code=2635)
        self._authorize(query, headers, data)
        if method == "POST" and len(parts) == 3 and parts[2] == "messages":
            return self._with_failures(path, lambda: self._send(parts[1], data))
        if method == "GET" and len(parts) == 2:
            return self._with_failures(path, lambda: self._profile(parts[1], query))
        raise GraphError(400, f"Unsupported {method.lower()} request.", type="GraphMethodException", code=100)

    def _authorize(self, query: dict[str, list[str]], headers: dict[str, str], data: Any) -> None:
        token = (query.get("access_token") or [""])[-1]
        if not token and isinstance(data, dict) and isinstance(data.get("access_token"), str):
            token = data["access_token"]
        if not token and headers.get("authorization", "").startswith(("Bearer ", "OAuth ")):
            token = headers["authorization"].split(" ", 1)[1]
        if not token:
            raise GraphError(400, MISSING_TOKEN, code=2500)
        if not hmac.compare_digest(token.encode(), self.page_token.encode()):
            raise GraphError(400, INVALID_TOKEN, code=190)

    def _take_failure(self, path: str) -> _Failure | None:
        for i, (suffix, failure) in enumerate(self._failures):
            if path.endswith(suffix):
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.pop(i)
                return failure
        return None

    def _with_failures(self, path: str, handler: Any) -> _Response:
        failure = self._take_failure(path)
        if failure is not None and not failure.after_delivery:
            return _error_response(failure.status, failure.error)
        response: _Response = handler()
        if failure is not None:
            return _error_response(failure.status, failure.error)
        return response

    def _send(self, sender_id: str, data: Any) -> _Response:
        if not isinstance(data, dict):
            raise _param_error("The parameter recipient is required")
        recipient = data.get("recipient")
        recipient_id = recipient.get("id") if isinstance(recipient, dict) else None
        if not isinstance(recipient_id, str) or not recipient_id:
            raise _param_error("The parameter recipient is required")
        if not re.fullmatch(r"\d+", recipient_id):
            raise GraphError(400, "(#100) No matching user found", code=100, subcode=2018001)
        action = data.get("sender_action")
        if action is not None:
            if action not in SENDER_ACTIONS:
                raise _param_error("Param sender_action must be one of {TYPING_ON, TYPING_OFF, MARK_SEEN}")
            if "message" in data:
                raise _param_error("sender_action cannot be sent together with message")
            self.sender_actions.append({"recipient_id": recipient_id, "sender_action": action})
            return _json_response({"recipient_id": recipient_id})
        messaging_type = data.get("messaging_type")
        if messaging_type not in MESSAGING_TYPES:
            raise _param_error("param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}")
        tag = data.get("tag")
        if messaging_type == "MESSAGE_TAG":
            if tag is None:
                raise _param_error("Tag is required for MESSAGE_TAG messaging type")
            if tag != "HUMAN_AGENT":
                raise _param_error(f"Param tag must be HUMAN_AGENT (the fake knows no other tag), got {tag!r}")
        elif tag is not None:
            raise _param_error("Tag can only be used with MESSAGE_TAG messaging type")
        message = data.get("message")
        answer: dict[str, Any] = {"recipient_id": recipient_id}
        message = self._check_message(message, answer)
        self._check_window(recipient_id, messaging_type)
        message_id = f"m_{secrets.token_urlsafe(32)}_{next(self._message_ids)}"
        answer["message_id"] = message_id
        self.delivered.append(Delivery(sender_id, recipient_id, messaging_type, tag, dict(message), message_id))
        return _json_response(answer)

    def _check_message(self, message: Any, answer: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(message, dict):
            raise _param_error("The parameter message is required")
        text = message.get("text")
        attachment = message.get("attachment")
        if (text is None) == (attachment is None):
            raise _param_error("Exactly one of message[text] or message[attachment] must be set")
        if text is not None:
            if not isinstance(text, str) or not text.strip():
                raise _param_error("param message[text] must be a non-empty UTF-8 encoded string")
            if len(text) > MAX_TEXT_LENGTH:
                raise _param_error(f"Length of param message[text] must be less than or equal to {MAX_TEXT_LENGTH}")
        if attachment is not None:
            if not isinstance(attachment, dict) or attachment.get("type") not in ATTACHMENT_TYPES:
                raise _param_error("param message[attachment][type] must be one of "
                                   "{IMAGE, VIDEO, AUDIO, FILE, TEMPLATE}")
            payload = attachment.get("payload")
            if not isinstance(payload, dict):
                raise _param_error("param message[attachment][payload] must be an object")
            if attachment["type"] != "template":
                url, attachment_id = payload.get("url"), payload.get("attachment_id")
                if not url and not attachment_id:
                    raise _param_error("param message[attachment][payload][url] is required")
                if url and not (isinstance(url, str) and re.match(r"^https?://", url)):
                    raise _param_error("param message[attachment][payload][url] must be a valid URL")
                if url and payload.get("is_reusable") is True:
                    answer["attachment_id"] = str(next(self._attachment_ids))
        quick_replies = message.get("quick_replies")
        if quick_replies is not None:
            if not isinstance(quick_replies, list) or not 1 <= len(quick_replies) <= MAX_QUICK_REPLIES:
                raise _param_error(f"param message[quick_replies] must have between 1 and {MAX_QUICK_REPLIES} "
                                   "elements")
            for item in quick_replies:
                kind = item.get("content_type") if isinstance(item, dict) else None
                if kind not in ("text", "user_phone_number", "user_email"):
                    raise _param_error("param message[quick_replies][content_type] is invalid")
                if kind == "text" and (not item.get("title") or "payload" not in item):
                    raise _param_error("A text quick reply needs a title and a payload")
                if kind == "text" and len(item["title"]) > 20:
                    raise _param_error("param message[quick_replies][title] must be at most 20 characters")
        return message

    def _check_window(self, recipient_id: str, messaging_type: str) -> None:
        last = self._last_user_message.get(recipient_id)
        if last is None:
            if self.strict_window:
                raise GraphError(400, OUTSIDE_WINDOW, code=10, subcode=OUTSIDE_WINDOW_SUBCODE)
            return
        window = HUMAN_AGENT_WINDOW if messaging_type == "MESSAGE_TAG" else STANDARD_WINDOW
        if self._clock() - last > window:
            raise GraphError(400, OUTSIDE_WINDOW, code=10, subcode=OUTSIDE_WINDOW_SUBCODE)

    def _profile(self, user_id: str, query: dict[str, list[str]]) -> _Response:
        profile = self._profiles.get(user_id)
        if profile is None:
            raise GraphError(
                400,
                f"Unsupported get request. Object with ID '{user_id}' does not exist, cannot be loaded due to "
                "missing permissions, or does not support this operation.",
                type="GraphMethodException", code=100, subcode=33,
            )
        wanted = [f for f in (query.get("fields") or [""])[-1].split(",") if f]
        answer: dict[str, Any] = {k: v for k, v in profile.items() if not wanted or k in wanted}
        answer["id"] = user_id
        return _json_response(answer)
