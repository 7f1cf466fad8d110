"""Real mail servers for the email tests: Dovecot (IMAP) run by ``scripts/services``, and an SMTP sink.

Fixtures (tests/conftest.py imports them):

- ``dovecot`` -> :class:`Dovecot`: the Dovecot that ``bash scripts/services start dovecot`` runs on 127.0.0.1
  (IMAP with STARTTLS on ``port``, IMAPS on ``ssl_port``, a self-signed certificate that ``ca_file`` trusts).
  ``new_mailbox()`` makes a fresh user (unique across xdist workers) and returns ``(user, password)``; the user
  name looks like an address (``user-<pid>-<hex>@ruamchat.test``). Helpers that log in as that user:
  ``append``, ``list_uids``, ``flags``, ``folders``, ``fetch``, ``create_folder``, and ``connect`` for an
  ``IMAPClient`` of your own. Every user starts with INBOX plus Drafts, Sent, Trash, Junk and Archive (with
  their SPECIAL-USE flags). The server comes from the ``RUAMCHAT_TEST_IMAP_*`` variables (``scripts/test``
  sets them); when they are missing, the first test that needs Dovecot starts it with ``scripts/services``
  (it keeps running afterwards, like a started PostgreSQL). When that is not possible the test fails, and
  says what to run.
- ``smtp_sink`` -> :class:`SmtpSink`: an SMTP server on 127.0.0.1 (aiosmtpd, free port) that keeps every message
  in ``messages`` (:class:`ReceivedMail`: envelope sender, recipients, raw bytes, the AUTH user if any).
  It offers STARTTLS with the same certificate as Dovecot (``ca_file``) and AUTH PLAIN/LOGIN without TLS.
  Behaviour can be changed at any time: ``set_login(user, password)`` (AUTH required from then on),
  ``reject_rcpt = {"nobody@example.com": (550, "5.1.1 no such user")}``, ``fail_data = (451, "4.3.0 try
  again later")``. ``wait_for(count, timeout=10)`` waits until ``count`` messages have arrived.
- ``make_smtp_sink(**options)`` -> more sinks, or one with other options (``starttls=False``,
  ``implicit_tls=True`` for SMTPS, ``login=(user, password)``, ``reject_rcpt``, ``fail_data``).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import itertools
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVICES_SCRIPT = REPO_ROOT / "scripts" / "services"
START_HINT = 'run `bash scripts/services start dovecot` (and `eval "$(bash scripts/services env)"`)'
MAIL_DOMAIN = "ruamchat.test"

# name -> required. RUAMCHAT_TEST_IMAP_USERS_DIR defaults to users.d beside the passwd file.
ENV_VARS = {
    "RUAMCHAT_TEST_IMAP_HOST": True,
    "RUAMCHAT_TEST_IMAP_PORT": True,
    "RUAMCHAT_TEST_IMAPS_PORT": True,
    "RUAMCHAT_TEST_IMAP_CA": True,
    "RUAMCHAT_TEST_IMAP_PASSWD": True,
    "RUAMCHAT_TEST_IMAP_USERS_DIR": False,
}

TlsMode = Literal["plain", "starttls", "ssl"]

_USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,40}$")
_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]")


# ---------------------------------------------------------------------------------------------------- Dovecot


@dataclass(frozen=True)
class Dovecot:
    """The test Dovecot. All helpers open their own short IMAP connection as the given user."""

    host: str
    port: int
    ssl_port: int
    ca_file: str
    passwd_file: str
    users_dir: str
    login_timeout: float = 15.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Dovecot | None:
        """The server the ``RUAMCHAT_TEST_IMAP_*`` variables describe, or None if any required one is missing."""
        if not all(env.get(name) for name, required in ENV_VARS.items() if required):
            return None
        passwd = env["RUAMCHAT_TEST_IMAP_PASSWD"]
        users_dir = env.get("RUAMCHAT_TEST_IMAP_USERS_DIR") or str(Path(passwd).with_name("users.d"))
        return cls(host=env["RUAMCHAT_TEST_IMAP_HOST"], port=int(env["RUAMCHAT_TEST_IMAP_PORT"]),
                   ssl_port=int(env["RUAMCHAT_TEST_IMAPS_PORT"]), ca_file=env["RUAMCHAT_TEST_IMAP_CA"],
                   passwd_file=passwd, users_dir=users_dir)

    @property
    def log_file(self) -> str:
        return str(Path(self.passwd_file).with_name("dovecot.log"))

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts only the test certificate (and checks the host name)."""
        return ssl.create_default_context(cafile=self.ca_file)

    def greets(self, timeout: float = 5.0) -> bool:
        """Does the plain IMAP port answer with ``* OK``?"""
        try:
            with socket.create_connection((self.host, self.port), timeout=timeout) as sock:
                sock.settimeout(timeout)
                greeting = sock.recv(256)
                with contextlib.suppress(OSError):
                    sock.sendall(b"a LOGOUT\r\n")
        except OSError:
            return False
        return greeting.startswith(b"* OK")

    # -------------------------------------------------------------------- users

    def new_mailbox(self, *, name: str = "user", password: str | None = None,
                    via_passwd_file: bool = False) -> tuple[str, str]:
        """Create a fresh user with an empty mailbox; returns ``(user, password)`` once Dovecot accepts the login.

        The user gets a passwd-file of its own in ``users_dir`` (Dovecot sees it at once). With
        ``via_passwd_file=True`` a line is appended to the shared ``passwd_file`` instead, which Dovecot notices
        within about a second (it checks a changed passwd-file at most once a second).
        """
        if not _USER_NAME.match(name):
            raise ValueError(f"user name part must match {_USER_NAME.pattern}: {name!r}")
        user = f"{name}-{os.getpid()}-{uuid.uuid4().hex[:12]}@{MAIL_DOMAIN}"
        password = password if password is not None else secrets.token_urlsafe(12)
        if any(c in password for c in ":\r\n"):
            raise ValueError("a passwd-file password cannot contain ':' or a line break")
        line = f"{user}:{{PLAIN}}{password}::::::\n".encode()
        if via_passwd_file:
            fd = os.open(self.passwd_file, os.O_WRONLY | os.O_APPEND)
            try:
                os.write(fd, line)  # one short O_APPEND write: lines from parallel workers never interleave
            finally:
                os.close(fd)
        else:
            tmp = Path(self.users_dir) / f".new-{uuid.uuid4().hex}"
            tmp.write_bytes(line)
            tmp.chmod(0o644)  # read by Dovecot's auth process, which runs as the `dovecot` user
            tmp.replace(Path(self.users_dir) / user)
        self.wait_until_login_works(user, password)
        return user, password

    def wait_until_login_works(self, user: str, password: str, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (self.login_timeout if timeout is None else timeout)
        attempts = 0
        while True:
            attempts += 1
            try:
                with self.connect(user, password):
                    return
            except LoginError as exc:
                if time.monotonic() >= deadline:
                    raise AssertionError(
                        f"Dovecot still refuses the new user {user!r} after {attempts} login attempts ({exc}); "
                        f"see {self.log_file}") from exc
            time.sleep(0.05)  # a refused login already took Dovecot's ~0.5 s failure delay

    # -------------------------------------------------------------------- IMAP helpers

    def connect(self, user: str | None = None, password: str | None = None, *, tls: TlsMode = "plain",
                timeout: float = 30.0) -> IMAPClient:
        """An ``IMAPClient`` (logged in when ``user`` is given); use it as a context manager to log out."""
        if tls == "ssl":
            client = IMAPClient(self.host, port=self.ssl_port, ssl=True, ssl_context=self.ssl_context(),
                                timeout=timeout)
        else:
            client = IMAPClient(self.host, port=self.port, ssl=False, timeout=timeout)
            if tls == "starttls":
                client.starttls(self.ssl_context())
        if user is not None:
            try:
                client.login(user, password or "")
            except BaseException:
                with contextlib.suppress(Exception):
                    client.shutdown()
                raise
        return client

    def append(self, user: str, password: str, raw: bytes, folder: str = "INBOX",
               flags: Iterable[str | bytes] = (), msg_time: Any = None) -> int:
        """APPEND a raw message (the folder is created if missing); returns its UID."""
        with self.connect(user, password) as client:
            if folder.upper() != "INBOX" and not client.folder_exists(folder):
                client.create_folder(folder)
            answer = client.append(folder, raw, flags=tuple(flags), msg_time=msg_time)
        match = _APPENDUID.search(answer if isinstance(answer, bytes) else str(answer).encode())
        if not match:
            raise AssertionError(f"APPEND answered without APPENDUID: {answer!r}")
        return int(match.group(1))

    def list_uids(self, user: str, password: str, folder: str = "INBOX") -> list[int]:
        with self.connect(user, password) as client:
            client.select_folder(folder, readonly=True)
            return sorted(client.search("ALL"))

    def flags(self, user: str, password: str, folder: str = "INBOX") -> dict[int, set[str]]:
        """UID -> flags, e.g. ``{1: {"\\\\Seen"}}``. ``\\Recent`` is left out (it depends on who looked first)."""
        with self.connect(user, password) as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            found = client.get_flags(uids) if uids else {}
        return {uid: {_text(f) for f in fl} - {"\\Recent"} for uid, fl in found.items()}

    def folders(self, user: str, password: str) -> list[str]:
        with self.connect(user, password) as client:
            return [name for _flags, _sep, name in client.list_folders()]

    def create_folder(self, user: str, password: str, folder: str) -> None:
        with self.connect(user, password) as client:
            client.create_folder(folder)

    def fetch(self, user: str, password: str, uid: int, folder: str = "INBOX") -> bytes:
        """The raw message with this UID (without setting \\Seen)."""
        with self.connect(user, password) as client:
            client.select_folder(folder, readonly=True)
            data = client.fetch([uid], ["BODY.PEEK[]"])
        if uid not in data:
            raise KeyError(f"no message with UID {uid} in {folder!r}")
        return bytes(data[uid][b"BODY[]"])


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


_server_lock = threading.Lock()
_server: Dovecot | None = None
_server_error: str | None = None  # why the first attempt failed: later tests fail at once with the same reason


def _services_env() -> dict[str, str]:
    """The variables ``scripts/services env`` prints."""
    out = subprocess.run(["bash", str(SERVICES_SCRIPT), "env"], capture_output=True, text=True, check=True,
                         cwd=REPO_ROOT, timeout=60).stdout
    env = {}
    for line in out.splitlines():
        if line.startswith("export ") and "=" in line:
            key, _, value = line.removeprefix("export ").partition("=")
            env[key] = value
    return env


def _start_with_services_script() -> Dovecot:
    """Start Dovecot with scripts/services (reused if running); fails the test with the reason if impossible."""
    if not SERVICES_SCRIPT.exists() or shutil.which("bash") is None:
        pytest.fail(f"Dovecot for the email tests is not configured (RUAMCHAT_TEST_IMAP_* unset): {START_HINT}",
                    pytrace=False)
    try:
        done = subprocess.run(["bash", str(SERVICES_SCRIPT), "start", "dovecot"], capture_output=True, text=True,
                              cwd=REPO_ROOT, timeout=900, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`bash scripts/services start dovecot` did not finish; {START_HINT}", pytrace=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        pytest.fail(f"RUAMCHAT_TEST_IMAP_* unset and `bash scripts/services start dovecot` failed "
                    f"(exit {done.returncode}):\n{tail}\n{START_HINT}", pytrace=False)
    server = Dovecot.from_env(_services_env())
    if server is None:
        pytest.fail(f"`bash scripts/services env` does not print the RUAMCHAT_TEST_IMAP_* variables; {START_HINT}",
                    pytrace=False)
    return server


def resolve_dovecot(env: Mapping[str, str], *, may_start: bool = True) -> Dovecot:
    """The running test Dovecot: from ``env``, else started by scripts/services (if ``may_start``)."""
    server = Dovecot.from_env(env)
    if server is None:
        if not may_start:
            missing = ", ".join(n for n, required in ENV_VARS.items() if required and not env.get(n))
            pytest.fail(f"Dovecot for the email tests is not configured ({missing} not set): {START_HINT}",
                        pytrace=False)
        server = _start_with_services_script()
    if not server.greets():
        pytest.fail(f"Dovecot does not answer on {server.host}:{server.port} (from RUAMCHAT_TEST_IMAP_*): "
                    f"{START_HINT}", pytrace=False)
    return server


@pytest.fixture
def dovecot() -> Dovecot:
    """The real test IMAP server (see the module docstring). Never skips: fails with what to run instead."""
    global _server, _server_error
    with _server_lock:
        if _server_error is not None:
            pytest.fail(_server_error, pytrace=False)
        if _server is None:
            try:
                _server = resolve_dovecot(os.environ)
            except pytest.fail.Exception as exc:
                _server_error = str(exc)
                raise
        return _server


# ---------------------------------------------------------------------------------------------------- SMTP sink


@dataclass
class ReceivedMail:
    """One message the sink accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # as received, CRLF line ends, dot-unstuffed
    auth_user: str | None  # who logged in with AUTH, None without AUTH
    tls: bool  # STARTTLS (or SMTPS) was in effect
    mail_options: list[str] = field(default_factory=list)  # e.g. ["BODY=8BITMIME", "SMTPUTF8"]

    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _SinkHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          mail_options: list[str]) -> str:
        if self.sink.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        rejections = {k.lower(): v for k, v in dict(self.sink.reject_rcpt).items()}
        if address.lower() in rejections:
            code, text = rejections[address.lower()]
            return f"{code} {text}"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # session.ssl is set by STARTTLS; SMTPS (implicit TLS) shows on the transport.
        tls = session.ssl is not None or (
            server.transport is not None and server.transport.get_extra_info("ssl_object") is not None)
        return self.sink._receive(session, envelope, tls=tls)


class _SinkController(Controller):
    """A Controller that listens on a socket bound beforehand (port 0: no free-port race between workers)."""

    def __init__(self, handler: Any, sock: socket.socket, **kwargs: Any) -> None:
        self._sock = sock
        super().__init__(handler, hostname="127.0.0.1", port=sock.getsockname()[1], **kwargs)

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)


class SmtpSink:
    """An SMTP server on 127.0.0.1 that keeps what it is sent. Attributes may be changed while it runs."""

    def __init__(self, *, starttls: bool = True, implicit_tls: bool = False, login: tuple[str, str] | None = None,
                 reject_rcpt: Mapping[str, tuple[int, str]] | None = None,
                 fail_data: tuple[int, str] | None = None) -> None:
        self.host = "127.0.0.1"
        self.messages: list[ReceivedMail] = []
        self.reject_rcpt: dict[str, tuple[int, str]] = dict(reject_rcpt or {})
        self.fail_data: tuple[int, str] | None = fail_data  # answer DATA with this instead of accepting
        self.users: dict[str, str] = {}  # AUTH logins accepted
        self.require_auth = False
        self.data_attempts = 0  # DATA commands answered, accepted or not
        self.auth_failures = 0
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        if login is not None:
            self.set_login(*login)

        cert = _tls_files() if (starttls or implicit_tls) else None
        if (starttls or implicit_tls) and cert is None:
            raise RuntimeError("no certificate for the SMTP sink's TLS (openssl missing?); use starttls=False")
        self.ca_file: str | None = cert[0] if cert else None
        server_ctx = None
        if cert:
            server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            server_ctx.load_cert_chain(cert[0], cert[1])
        self.starttls = starttls and not implicit_tls
        self.implicit_tls = implicit_tls

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port: int = sock.getsockname()[1]
        self._controller = _SinkController(
            _SinkHandler(self), sock,
            ssl_context=server_ctx if implicit_tls else None,
            server_hostname="sink.ruamchat.test",
            tls_context=server_ctx if self.starttls else None,
            require_starttls=False,
            authenticator=self._authenticate,
            auth_require_tls=False,
            enable_SMTPUTF8=True,
            decode_data=False,
        )
        self._controller.start()

    def __repr__(self) -> str:
        return f"<SmtpSink {self.host}:{self.port} messages={len(self.messages)}>"

    def set_login(self, user: str, password: str, *, required: bool = True) -> None:
        """Accept AUTH PLAIN/LOGIN with this user and password; with ``required``, refuse MAIL without AUTH."""
        self.users[user] = password
        self.require_auth = required

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                      auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            user = auth_data.login.decode("utf-8", "replace")
            password = auth_data.password.decode("utf-8", "replace")
            expected = self.users.get(user)
            if expected is not None and secrets.compare_digest(expected.encode(), password.encode()):
                return AuthResult(success=True, auth_data=user)
        with self._cond:
            self.auth_failures += 1
        return AuthResult(success=False, handled=False)

    def _receive(self, session: Session, envelope: Envelope, *, tls: bool) -> str:
        with self._cond:
            self.data_attempts += 1
            if self.fail_data is not None:
                code, text = self.fail_data
                return f"{code} {text}"
            raw = envelope.original_content or b""
            self.messages.append(ReceivedMail(
                mail_from=envelope.mail_from or "",
                rcpt_tos=list(envelope.rcpt_tos),
                data=bytes(raw),
                auth_user=session.auth_data if session.authenticated else None,
                tls=tls,
                mail_options=list(envelope.mail_options),
            ))
            self._cond.notify_all()
            return f"250 2.0.0 OK queued as sink-{next(self._ids)}"

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[ReceivedMail]:
        """Wait until at least ``count`` messages have arrived; returns a copy of ``messages``."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.messages) >= count, timeout=timeout):
                raise AssertionError(f"SMTP sink got {len(self.messages)} message(s) within {timeout}s, "
                                     f"expected {count} (DATA attempts: {self.data_attempts})")
            return list(self.messages)

    def clear(self) -> None:
        with self._cond:
            self.messages.clear()
            self.data_attempts = 0

    def close(self) -> None:
        self._controller.stop()


_cert_lock = threading.Lock()
_cert_cache: dict[str, tuple[str, str] | None] = {}


def _tls_files() -> tuple[str, str] | None:
    """(cert, key): Dovecot's test certificate when readable, else one made here with openssl (once)."""
    with _cert_lock:
        if "files" in _cert_cache:
            return _cert_cache["files"]
        found: tuple[str, str] | None = None
        ca = os.environ.get("RUAMCHAT_TEST_IMAP_CA") or (_server.ca_file if _server else None)
        if ca:
            key = Path(ca).with_name("tls-key.pem")
            if os.access(ca, os.R_OK) and os.access(key, os.R_OK):
                found = (ca, str(key))
        if found is None and shutil.which("openssl"):
            tmp = Path(tempfile.mkdtemp(prefix="ruamchat-smtp-tls-"))
            cert, key = tmp / "tls-cert.pem", tmp / "tls-key.pem"
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "30",
                 "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
                 "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
                 "-addext", "extendedKeyUsage=serverAuth"],
                check=True, capture_output=True, timeout=60)
            found = (str(cert), str(key))
        _cert_cache["files"] = found
        return found


@pytest.fixture
def make_smtp_sink() -> Iterator[Callable[..., SmtpSink]]:
    """Factory for SMTP sinks with options (see :class:`SmtpSink`); all are stopped after the test."""
    sinks: list[SmtpSink] = []

    def make(**options: Any) -> SmtpSink:
        sink = SmtpSink(**options)
        sinks.append(sink)
        return sink

    yield make
    for sink in sinks:
        sink.close()


@pytest.fixture
def smtp_sink(make_smtp_sink: Callable[..., SmtpSink]) -> SmtpSink:
    """An SMTP sink with STARTTLS offered, AUTH optional (until ``set_login``), accepting everything."""
    return make_smtp_sink()
