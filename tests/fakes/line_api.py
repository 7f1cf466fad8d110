"""A fake LINE Messaging API: two real HTTP servers on 127.0.0.1 that answer in LINE's wire format.

``api_url`` plays ``https://api.line.me`` and ``data_url`` plays ``https://api-data.line.me``. They are separate
servers, so a client that asks the API host for message content gets a 404, as it would from LINE.

Behaviour, and where it knowingly differs from LINE:

- Every request needs ``Authorization: Bearer <access_token>`` (401 otherwise). Every answer carries
  ``x-line-request-id``; errors are JSON ``{"message": ..., "details": [...]}``.
- Reply: a token is accepted once. ``issue_reply_token`` makes one (optionally the replyToken of a fixture, and
  the chat it answers); a used, unknown or ``expire_reply_token``-ed token answers 400 "Invalid reply token".
  LINE also lets tokens lapse after about a minute; here they last until used or expired by the test.
- Push: ``X-Line-Retry-Key`` (a UUID) makes retries idempotent. A key whose first request was accepted answers
  409 with ``x-line-accepted-request-id`` and the first request's ``sentMessages``, and delivers nothing.
  A key whose earlier attempts failed is not consumed. Sending the header to reply answers 400, as on LINE.
- Both validate 1..5 messages, the fields each message type needs, text of at most 5,000 UTF-16 code units and
  at most 13 quick-reply items (400 "The request body has N error(s)" with details). A push ``to`` must look
  like a LINE user, group or room ID.
- ``.delivered`` lists what actually reached a chat (reply or push), separately from ``.calls``, so a test can
  assert that a customer got a message exactly once.
- ``fail_next(path, status)`` scripts failures. With ``after_delivery=True`` the request is processed (delivered,
  retry key consumed) and the client still sees the failure: a timeout or 5xx after LINE accepted the message.
- Content (data host): bytes with the Content-Type given to ``add_content``. LINE documents only 200 for this
  endpoint and asks clients to check ``/content/transcoding`` first for video and audio; this fake answers
  202 with an empty body while the transcoding status is "processing", 404 when it is "failed", and 410 after
  ``unsend``. A client should treat any answer but 200 as "no content yet".
- ``/content/transcoding`` answers ``{"status": ...}``: the status set with ``set_transcoding``, else
  "succeeded" for video/audio content, 400 for other content and 404 for unknown messages.
- Loading animation answers 202 ``{}`` for a user chat and 5..60 seconds in steps of 5 (default 20).
- ``POST /v2/bot/chat/markAsRead`` takes ``{"markAsReadToken"}`` (the public API, any non-empty token is
  accepted); ``POST /v2/bot/message/markAsRead`` takes ``{"chat": {"userId"}}`` (LINE's older partner API).
  Both answer 200 ``{}`` and are recorded in ``.marked_as_read``.
- Profile pictures are served, unauthenticated, by the fake itself, so nothing in a test reaches the internet.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

AUTH_FAILED = "Authentication failed. Confirm that the access token in the authorization header is valid."
AUTH_MISSING = "Authorization header required. Must follow the scheme, 'Authorization: Bearer <ACCESS TOKEN>'"
INVALID_REPLY_TOKEN = "Invalid reply token"
RETRY_KEY_ACCEPTED = "The retry key is already accepted"
RATE_LIMITED = "The API rate limit has been exceeded. Try again later."
NOT_FOUND = "Not found"

MESSAGE_TYPES = ("text", "image", "video", "audio", "location", "sticker", "template", "imagemap", "flex")
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "image": ("originalContentUrl", "previewImageUrl"),
    "video": ("originalContentUrl", "previewImageUrl"),
    "audio": ("originalContentUrl", "duration"),
    "location": ("title", "address", "latitude", "longitude"),
    "sticker": ("packageId", "stickerId"),
    "template": ("altText", "template"),
    "imagemap": ("baseUrl", "altText", "baseSize", "actions"),
    "flex": ("altText", "contents"),
}
QUOTABLE_TYPES = frozenset({"text", "sticker", "image", "video"})
MAX_MESSAGES = 5
MAX_TEXT_LENGTH = 5000
MAX_QUICK_REPLY_ITEMS = 13
TRANSCODING_STATES = ("processing", "succeeded", "failed")
CHAT_ID = re.compile(r"^[UCR][0-9a-f]{32}$")
USER_ID = re.compile(r"^U[0-9a-f]{32}$")

# A 1x1 transparent PNG: what the fake serves as every profile and group picture.
PICTURE_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)

DEFAULT_FAILURE_MESSAGES = {
    401: AUTH_FAILED,
    403: "Access to this API is not available for your account",
    404: NOT_FOUND,
    409: RETRY_KEY_ACCEPTED,
    429: RATE_LIMITED,
}


def sign(body: bytes, secret: str) -> str:
    """The ``x-line-signature`` LINE sends with a webhook body: Base64(HMAC-SHA256(channel secret, body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook_headers(body: bytes, secret: str) -> dict[str, str]:
    """The headers LINE sends with a webhook POST, signed for ``body``."""
    return {
        "content-type": "application/json; charset=utf-8",
        "user-agent": "LineBotWebhook/2.0",
        "x-line-signature": sign(body, secret),
    }


@dataclass(frozen=True)
class RecordedCall:
    """One request the fake received, and the status it answered."""

    host: str  # "api" or "data"
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    json: Any  # the parsed body, or None
    status: int
    request_id: str


@dataclass(frozen=True)
class Delivery:
    """Messages that reached a chat: what the customer would see."""

    via: str  # "reply" or "push"
    to: str | None  # the chat; None for a reply token issued without one
    messages: list[dict[str, Any]]
    sent_messages: list[dict[str, str]]
    request_id: str
    retry_key: str | None
    notification_disabled: bool

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages if m.get("type") == "text"]


@dataclass
class _Failure:
    status: int
    body: Any
    headers: dict[str, str]
    remaining: int
    after_delivery: bool


@dataclass
class _Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    request_id: str


class _LineError(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.response = _json_response(status, body, headers)


def _json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> _Response:
    return _Response(status, json.dumps(body, ensure_ascii=False).encode(), "application/json", dict(headers or {}))


def _error(status: int, message: str) -> _LineError:
    return _LineError(status, {"message": message})


def _body_errors(details: list[tuple[str, str]]) -> _LineError:
    return _LineError(400, {
        "message": f"The request body has {len(details)} error(s)",
        "details": [{"message": message, "property": prop} for message, prop in details],
    })


def _invalid_property(name: str) -> _LineError:
    return _error(400, f"The property, '{name}', in the request body is invalid (line: -, column: -)")


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _message_errors(messages: Any) -> list[tuple[str, str]]:
    if _is_empty(messages):
        return [("May not be empty", "messages")]
    if not isinstance(messages, list) or len(messages) > MAX_MESSAGES:
        return [(f"Size must be between 1 and {MAX_MESSAGES}", "messages")]
    errors: list[tuple[str, str]] = []
    for i, message in enumerate(messages):
        prefix = f"messages[{i}]"
        if not isinstance(message, dict) or message.get("type") not in MESSAGE_TYPES:
            errors.append((f"Must be one of the following values: [{', '.join(MESSAGE_TYPES)}]", f"{prefix}.type"))
            continue
        for name in REQUIRED_FIELDS[message["type"]]:
            if _is_empty(message.get(name)):
                errors.append(("May not be empty", f"{prefix}.{name}"))
        text = message.get("text")
        if message["type"] == "text" and isinstance(text, str) and _utf16_length(text) > MAX_TEXT_LENGTH:
            errors.append((f"Length must be between 0 and {MAX_TEXT_LENGTH}", f"{prefix}.text"))
        quick_reply = message.get("quickReply")
        if quick_reply is not None:
            items = quick_reply.get("items") if isinstance(quick_reply, dict) else None
            if not isinstance(items, list) or not 1 <= len(items) <= MAX_QUICK_REPLY_ITEMS:
                errors.append((f"Size must be between 1 and {MAX_QUICK_REPLY_ITEMS}", f"{prefix}.quickReply.items"))
    return errors


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeLineApi, role: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.role = role


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_PUT(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = self.server.fake._handle(self.server.role, self.command, self.path, headers, body)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet


Route = tuple[str, re.Pattern[str], Callable[..., _Response]]


class FakeLineApi:
    """The LINE Messaging API as tests need it; see the module docstring for what it does."""

    def __init__(self, access_token: str = "test-access-token") -> None:
        self.access_token = access_token
        self.calls: list[RecordedCall] = []
        self.delivered: list[Delivery] = []
        self.marked_as_read: list[dict[str, Any]] = []
        self.loading: list[dict[str, Any]] = []
        self._lock = threading.RLock()
        self._reply_tokens: dict[str, str | None] = {}
        self._accepted_retry_keys: dict[str, tuple[str, list[dict[str, str]]]] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._profiles: dict[str, dict[str, Any]] = {}
        self._groups: dict[str, dict[str, Any]] = {}
        self._group_members: dict[tuple[str, str], dict[str, Any]] = {}
        self._room_members: dict[tuple[str, str], dict[str, Any]] = {}
        self._content: dict[str, tuple[bytes, str]] = {}
        self._transcoding: dict[str, str] = {}
        self._unsent: set[str] = set()
        self._message_ids = itertools.count(600_000_000_000_000_001)
        self._servers: dict[str, _Server] = {}
        self._threads: list[threading.Thread] = []
        self._api_routes: list[Route] = [
            ("POST", re.compile(r"^/v2/bot/message/reply$"), self._reply),
            ("POST", re.compile(r"^/v2/bot/message/push$"), self._push),
            ("GET", re.compile(r"^/v2/bot/profile/(?P<user_id>[^/]+)$"), self._profile),
            ("GET", re.compile(r"^/v2/bot/group/(?P<group_id>[^/]+)/member/(?P<user_id>[^/]+)$"), self._group_member),
            ("GET", re.compile(r"^/v2/bot/room/(?P<room_id>[^/]+)/member/(?P<user_id>[^/]+)$"), self._room_member),
            ("GET", re.compile(r"^/v2/bot/group/(?P<group_id>[^/]+)/summary$"), self._group_summary),
            ("POST", re.compile(r"^/v2/bot/chat/loading/start$"), self._loading),
            ("POST", re.compile(r"^/v2/bot/chat/markAsRead$"), self._mark_as_read_by_token),
            ("POST", re.compile(r"^/v2/bot/message/markAsRead$"), self._mark_as_read_by_chat),
        ]
        self._data_routes: list[Route] = [
            ("GET", re.compile(r"^/v2/bot/message/(?P<message_id>[^/]+)/content$"), self._get_content),
            ("GET", re.compile(r"^/v2/bot/message/(?P<message_id>[^/]+)/content/transcoding$"), self._get_transcoding),
        ]

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> FakeLineApi:
        for role in ("api", "data"):
            server = _Server(self, role)
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                                      name=f"fake-line-{role}")
            thread.start()
            self._servers[role] = server
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=10)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> FakeLineApi:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        """Stands in for https://api.line.me (no trailing slash)."""
        return self._url("api")

    @property
    def data_url(self) -> str:
        """Stands in for https://api-data.line.me (no trailing slash)."""
        return self._url("data")

    def _url(self, role: str) -> str:
        if role not in self._servers:
            raise RuntimeError("FakeLineApi is not started")
        return f"http://127.0.0.1:{self._servers[role].server_address[1]}"

    # -- scripting -------------------------------------------------------------------------------------------

    def issue_reply_token(self, *, to: str | None = None, token: str | None = None) -> str:
        """A reply token the fake accepts once; ``token`` reuses a fixture's replyToken, ``to`` names its chat."""
        token = token or secrets.token_hex(16)
        with self._lock:
            self._reply_tokens[token] = to
        return token

    def expire_reply_token(self, token: str) -> None:
        with self._lock:
            self._reply_tokens.pop(token, None)

    def fail_next(self, path: str, status: int, body: Any = None, *, times: int = 1,
                  headers: dict[str, str] | None = None, after_delivery: bool = False) -> None:
        """Answer the next ``times`` requests to ``path`` with ``status`` (and a LINE-style body by default)."""
        if body is None:
            body = {"message": DEFAULT_FAILURE_MESSAGES.get(status, HTTPStatus(status).phrase)}
        with self._lock:
            self._failures.setdefault(path, []).append(
                _Failure(status, body, dict(headers or {}), times, after_delivery)
            )

    def add_profile(self, user_id: str, display_name: str, *, language: str | None = "th",
                    picture: bool = True, status_message: str | None = None) -> None:
        """A LINE user; ``language`` None or ``picture`` False leave those fields out, as LINE does."""
        with self._lock:
            self._profiles[user_id] = {"display_name": display_name, "language": language, "picture": picture,
                                       "status_message": status_message}

    def add_group(self, group_id: str, name: str, *, picture: bool = True) -> None:
        with self._lock:
            self._groups[group_id] = {"name": name, "picture": picture}

    def add_group_member(self, group_id: str, user_id: str, display_name: str, *, picture: bool = True) -> None:
        with self._lock:
            self._group_members[(group_id, user_id)] = {"display_name": display_name, "picture": picture}

    def add_room_member(self, room_id: str, user_id: str, display_name: str, *, picture: bool = True) -> None:
        with self._lock:
            self._room_members[(room_id, user_id)] = {"display_name": display_name, "picture": picture}

    def add_content(self, message_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        """What ``GET /v2/bot/message/{message_id}/content`` returns on the data host."""
        with self._lock:
            self._content[message_id] = (data, content_type)

    def set_transcoding(self, message_id: str, status: str) -> None:
        if status not in TRANSCODING_STATES:
            raise ValueError(f"transcoding status must be one of {TRANSCODING_STATES}")
        with self._lock:
            self._transcoding[message_id] = status

    def unsend(self, message_id: str) -> None:
        """The customer unsent the message: its content is gone (410)."""
        with self._lock:
            self._unsent.add(message_id)

    # -- reading what happened -------------------------------------------------------------------------------

    def calls_to(self, path: str, *, method: str | None = None) -> list[RecordedCall]:
        with self._lock:
            return [c for c in self.calls if c.path == path and (method is None or c.method == method)]

    def messages_to(self, chat_id: str) -> list[dict[str, Any]]:
        """Every message object delivered to a chat, in order."""
        with self._lock:
            return [m for d in self.delivered if d.to == chat_id for m in d.messages]

    def texts_to(self, chat_id: str) -> list[str]:
        return [m["text"] for m in self.messages_to(chat_id) if m.get("type") == "text"]

    def picture_url(self, key: str) -> str:
        return f"{self.api_url}/_fake/picture/{key}"

    # -- request handling ------------------------------------------------------------------------------------

    def _handle(self, role: str, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> _Response:
        url = urlsplit(raw_path)
        request = _Request(method, url.path, headers, body, str(uuid.uuid4()))
        with self._lock:
            try:
                response = self._route(role, request)
            except _LineError as error:
                response = error.response
            response.headers["x-line-request-id"] = request.request_id
            try:
                parsed = json.loads(body) if body else None
            except ValueError:
                parsed = None
            self.calls.append(RecordedCall(role, method, url.path, parse_qs(url.query), headers, body, parsed,
                                           response.status, request.request_id))
        return response

    def _route(self, role: str, request: _Request) -> _Response:
        if role == "api" and request.method == "GET" and request.path.startswith("/_fake/picture/"):
            return _Response(200, PICTURE_PNG, "image/png")
        routes = self._api_routes if role == "api" else self._data_routes
        for method, pattern, handler in routes:
            match = pattern.match(request.path)
            if match is None:
                continue
            if method != request.method:
                raise _error(405, "Method Not Allowed")
            self._authorize(request.headers)
            failure = self._take_failure(request.path)
            if failure is not None and not failure.after_delivery:
                raise _LineError(failure.status, failure.body, failure.headers)
            response = handler(request, **match.groupdict())
            if failure is not None:
                raise _LineError(failure.status, failure.body, failure.headers)
            return response
        raise _error(404, NOT_FOUND)

    def _authorize(self, headers: dict[str, str]) -> None:
        authorization = headers.get("authorization", "")
        if not authorization.startswith("Bearer "):
            raise _error(401, AUTH_MISSING)
        if not hmac.compare_digest(authorization.removeprefix("Bearer ").encode(), self.access_token.encode()):
            raise _error(401, AUTH_FAILED)

    def _take_failure(self, path: str) -> _Failure | None:
        queue = self._failures.get(path)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.pop(0)
        return failure

    @staticmethod
    def _json_body(request: _Request) -> dict[str, Any]:
        try:
            data = json.loads(request.body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise _error(400, "The request body could not be parsed as JSON")
        return data

    def _deliver(self, via: str, to: str | None, data: dict[str, Any], request: _Request,
                 retry_key: str | None) -> list[dict[str, str]]:
        sent: list[dict[str, str]] = []
        for message in data["messages"]:
            entry = {"id": str(next(self._message_ids))}
            if message["type"] in QUOTABLE_TYPES:
                entry["quoteToken"] = secrets.token_urlsafe(24)
            sent.append(entry)
        self.delivered.append(Delivery(via, to, list(data["messages"]), sent, request.request_id, retry_key,
                                       bool(data.get("notificationDisabled", False))))
        return sent

    def _reply(self, request: _Request) -> _Response:
        if "x-line-retry-key" in request.headers:
            raise _error(400, "X-Line-Retry-Key is not supported by this endpoint")
        data = self._json_body(request)
        token = data.get("replyToken")
        errors = [("May not be empty", "replyToken")] if _is_empty(token) else []
        errors += _message_errors(data.get("messages"))
        if errors:
            raise _body_errors(errors)
        if not isinstance(token, str) or token not in self._reply_tokens:
            raise _error(400, INVALID_REPLY_TOKEN)
        to = self._reply_tokens.pop(token)
        return _json_response(200, {"sentMessages": self._deliver("reply", to, data, request, None)})

    def _push(self, request: _Request) -> _Response:
        retry_key = request.headers.get("x-line-retry-key")
        if retry_key is not None:
            try:
                uuid.UUID(retry_key)
            except ValueError:
                raise _error(400, "The value for the 'X-Line-Retry-Key' header is invalid") from None
            if retry_key in self._accepted_retry_keys:
                accepted_request_id, sent = self._accepted_retry_keys[retry_key]
                raise _LineError(409, {"message": RETRY_KEY_ACCEPTED, "sentMessages": sent},
                                 {"x-line-accepted-request-id": accepted_request_id})
        data = self._json_body(request)
        to = data.get("to")
        errors = [("May not be empty", "to")] if _is_empty(to) else []
        errors += _message_errors(data.get("messages"))
        if errors:
            raise _body_errors(errors)
        if not isinstance(to, str) or not CHAT_ID.match(to):
            raise _invalid_property("to")
        sent = self._deliver("push", to, data, request, retry_key)
        if retry_key is not None:
            self._accepted_retry_keys[retry_key] = (request.request_id, sent)
        return _json_response(200, {"sentMessages": sent})

    def _member_answer(self, user_id: str, member: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = {"displayName": member["display_name"], "userId": user_id}
        if member["picture"]:
            answer["pictureUrl"] = self.picture_url(user_id)
        return answer

    def _profile(self, request: _Request, user_id: str) -> _Response:
        profile = self._profiles.get(user_id)
        if profile is None:
            raise _error(404, NOT_FOUND)
        answer = self._member_answer(user_id, profile)
        if profile["language"] is not None:
            answer["language"] = profile["language"]
        if profile["status_message"] is not None:
            answer["statusMessage"] = profile["status_message"]
        return _json_response(200, answer)

    def _group_member(self, request: _Request, group_id: str, user_id: str) -> _Response:
        member = self._group_members.get((group_id, user_id))
        if member is None:
            raise _error(404, NOT_FOUND)
        return _json_response(200, self._member_answer(user_id, member))

    def _room_member(self, request: _Request, room_id: str, user_id: str) -> _Response:
        member = self._room_members.get((room_id, user_id))
        if member is None:
            raise _error(404, NOT_FOUND)
        return _json_response(200, self._member_answer(user_id, member))

    def _group_summary(self, request: _Request, group_id: str) -> _Response:
        group = self._groups.get(group_id)
        if group is None:
            raise _error(404, NOT_FOUND)
        answer: dict[str, Any] = {"groupId": group_id, "groupName": group["name"]}
        if group["picture"]:
            answer["pictureUrl"] = self.picture_url(group_id)
        return _json_response(200, answer)

    def _loading(self, request: _Request) -> _Response:
        data = self._json_body(request)
        chat_id = data.get("chatId")
        if _is_empty(chat_id):
            raise _body_errors([("May not be empty", "chatId")])
        if not isinstance(chat_id, str) or not USER_ID.match(chat_id):
            raise _invalid_property("chatId")  # the animation exists only in one-on-one chats
        seconds = data.get("loadingSeconds", 20)
        if not isinstance(seconds, int) or isinstance(seconds, bool) or not 5 <= seconds <= 60 or seconds % 5:
            raise _invalid_property("loadingSeconds")
        self.loading.append({"chatId": chat_id, "loadingSeconds": seconds})
        return _json_response(202, {})

    def _mark_as_read_by_token(self, request: _Request) -> _Response:
        data = self._json_body(request)
        if _is_empty(data.get("markAsReadToken")) or not isinstance(data["markAsReadToken"], str):
            raise _body_errors([("May not be empty", "markAsReadToken")])
        self.marked_as_read.append({"markAsReadToken": data["markAsReadToken"]})
        return _json_response(200, {})

    def _mark_as_read_by_chat(self, request: _Request) -> _Response:
        data = self._json_body(request)
        chat = data.get("chat")
        user_id = chat.get("userId") if isinstance(chat, dict) else None
        if _is_empty(user_id):
            raise _body_errors([("May not be empty", "chat.userId")])
        self.marked_as_read.append({"chat": {"userId": user_id}})
        return _json_response(200, {})

    def _get_content(self, request: _Request, message_id: str) -> _Response:
        if message_id in self._unsent:
            raise _error(410, "Gone")
        if message_id not in self._content:
            raise _error(404, NOT_FOUND)
        status = self._transcoding.get(message_id)
        if status == "processing":
            return _Response(202, b"", "application/json")
        if status == "failed":
            raise _error(404, NOT_FOUND)
        data, content_type = self._content[message_id]
        return _Response(200, data, content_type)

    def _get_transcoding(self, request: _Request, message_id: str) -> _Response:
        status = self._transcoding.get(message_id)
        if status is None:
            if message_id not in self._content:
                raise _error(404, NOT_FOUND)
            content_type = self._content[message_id][1]
            if not content_type.startswith(("video/", "audio/")):
                raise _error(400, "The message is not a video or audio")
            status = "succeeded"
        return _json_response(200, {"status": status})
