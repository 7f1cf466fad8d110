"""Shared fixtures: factories for the domain, captured realtime events, the job queue, a live server."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

# Parallel test processes share one Redis: keep their websocket groups apart.
os.environ.setdefault("RUAMCHAT_CHANNEL_PREFIX", "rc-test-" + os.environ.get("PYTEST_XDIST_WORKER", "main"))
# The fake LINE, Graph and shop APIs listen on 127.0.0.1, which outbound requests otherwise refuse (SSRF).
os.environ.setdefault("RUAMCHAT_OUTBOUND_ALLOW", "127.0.0.1")


@pytest.fixture(autouse=True)
def _fresh_sla_settings() -> None:
    # each test's database starts empty: no calendar or policy fingerprint may carry over from the last one
    from ruamchat.sla.selectors import forget

    forget()


@pytest.fixture(autouse=True)
def _fresh_search_caches() -> None:
    """The search engine keeps corpus statistics and the vocabulary per process for a few seconds."""
    from ruamchat.kb.search import engine, vocabulary

    engine.forget()
    vocabulary.forget()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # Password hashing is deliberately slow; tests make many logins, so they use a fast hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def team(db: None) -> Any:
    from ruamchat.accounts.actions import create_team

    return create_team(actor=None, name="ทีมบริการลูกค้า", kind="service")


@pytest.fixture
def support_team(db: None) -> Any:
    from ruamchat.accounts.actions import create_team

    return create_team(actor=None, name="ทีมซัพพอร์ต", kind="support")


@pytest.fixture
def make_agent(db: None) -> Callable[..., Any]:
    from ruamchat.accounts.actions import create_agent

    counter = iter(range(1, 10_000))

    def make(*, teams: list[Any] | None = None, role: str = "agent", username: str | None = None,
             language: str = "en", password: str = "correct-horse-battery-9") -> Any:
        name = username or f"agent{next(counter)}"
        profile = create_agent(actor=None, username=name, password=password, display_name=name.title(),
                               role=role, teams=teams or [], language=language)
        return profile.user

    return make


@pytest.fixture
def agent(make_agent: Callable[..., Any], team: Any) -> Any:
    return make_agent(teams=[team], username="somchai")


@pytest.fixture
def supervisor(make_agent: Callable[..., Any]) -> Any:
    return make_agent(role="supervisor", username="supa")


@pytest.fixture
def admin_user(make_agent: Callable[..., Any]) -> Any:
    return make_agent(role="admin", username="admin")


@pytest.fixture
def website(team: Any) -> Any:
    from ruamchat.connectors.actions import create_channel

    return create_channel(actor=None, kind="website", name="เว็บไซต์", default_team=team)


@pytest.fixture
def visitor_says(website: Any) -> Callable[..., Any]:
    """Make a website visitor write a message; returns the stored Message."""
    from ruamchat.connectors.website.actions import receive_visitor_message

    counter = iter(range(1, 1_000_000))

    def say(text: str, *, visitor: str = "visitor-token-aaaaaaaaaaaaaaaa", channel: Any = None) -> Any:
        return receive_visitor_message(
            channel=channel or website, visitor_token=visitor, client_id=f"client-{next(counter):08d}", text=text
        )

    return say


@pytest.fixture
def conversation(visitor_says: Callable[..., Any]) -> Any:
    return visitor_says("สวัสดีค่ะ สั่งของไปเมื่อวานยังไม่ได้รับเลย").conversation


@pytest.fixture
def published() -> Iterator[list[tuple[list[str], dict[str, Any]]]]:
    """Every realtime event published (after commit) while the test runs: (groups, message)."""
    from ruamchat.realtime import events

    seen: list[tuple[list[str], dict[str, Any]]] = []

    def listener(groups: list[str], message: dict[str, Any]) -> None:
        seen.append((groups, message))

    events.add_listener(listener)
    yield seen
    events.remove_listener(listener)


@pytest.fixture
def run_jobs() -> Callable[[], int]:
    """Run every job that is due now, as the worker would."""
    from ruamchat.jobs.queue import run_until_empty

    return lambda: run_until_empty("test-worker")


@pytest.fixture
def api_token(agent: Any) -> str:
    from ruamchat.accounts.actions import create_api_token

    return create_api_token(user=agent, name="tests")


@pytest.fixture
def client_for(db: None) -> Callable[[Any], Any]:
    """A test client that sends ``Authorization: Bearer <new token of user>`` on every request."""
    from django.test import Client

    from ruamchat.accounts.actions import create_api_token

    def make(user: Any) -> Any:
        return Client(headers={"Authorization": f"Bearer {create_api_token(user=user, name='test')}"})

    return make


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """The real ASGI application (HTTP + websockets + in-process worker) under uvicorn in a thread."""

    def __init__(self) -> None:
        import uvicorn

        os.environ["RUAMCHAT_SERVE_WORKER"] = "1"
        from ruamchat.asgi import application

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(application, host="127.0.0.1", port=self.port, lifespan="on",
                                log_level="warning", ws="websockets-sansio", timeout_graceful_shutdown=10)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.run(self.server.serve())

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("live server did not start")
            time.sleep(0.02)  # waiting for a condition (server.started), bounded by the deadline

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)
        os.environ.pop("RUAMCHAT_SERVE_WORKER", None)
        if self.thread.is_alive():
            # its worker would go on running jobs in the next test's database: say so here, not there
            raise RuntimeError("live server (and its in-process worker) did not stop within 60 s")


@pytest.fixture
def live_server_url(transactional_db: None, settings: Any) -> Iterator[str]:
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    server = LiveServer()
    settings.CSRF_TRUSTED_ORIGINS = [server.url]
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _orm_beside_playwright(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's sync API keeps an event loop on the test thread; the ORM calls there are plain sync code.
    if request.node.get_closest_marker("browser"):
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import expect, sync_playwright

    # This machine (and CI's) is shared and noisy: a page update that takes 6 s under load is slow, not wrong.
    # Waiting longer costs nothing when it works; a test that needs a tighter bound says so itself.
    expect.set_options(timeout=15_000)

    executable = os.environ.get("RUAMCHAT_CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(executable):
        pytest.fail(f"Chromium not found at {executable}: run scripts/test, which installs it")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def line_api(settings: Any) -> Iterator[Any]:
    """A fake LINE Messaging API (tests/fakes/line_api.py) that the LINE connector's settings point at."""
    from tests.fakes.line_api import FakeLineApi

    fake = FakeLineApi(access_token="test-access-token").start()
    settings.RUAMCHAT_LINE_API_URL = fake.api_url
    settings.RUAMCHAT_LINE_DATA_URL = fake.data_url
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def graph_api(settings: Any) -> Iterator[Any]:
    """A fake Meta Graph API (tests/fakes/graph_api.py) that the Messenger/Instagram connector's settings point at."""
    from tests.fakes.graph_api import FakeGraphApi

    fake = FakeGraphApi(page_token="test-page-token", version="v21.0").start()
    settings.RUAMCHAT_META_GRAPH_URL = fake.base_url
    settings.RUAMCHAT_META_GRAPH_VERSION = "v21.0"
    try:
        yield fake
    finally:
        fake.stop()


# A real IMAP server (Dovecot, started by scripts/services) and a local SMTP sink, for the email channel.
from tests.mailservers import dovecot, make_smtp_sink, smtp_sink  # noqa: E402, F401
