"""How many signed LINE webhooks does a running server take, and how soon are they in the inbox?

Starts a real ``ruamchat serve`` on a database of its own, connects a LINE channel through the REST
API, sends N signed webhooks (one text message each, from ~200 LINE users) from C concurrent clients
and polls the REST API until every message is visible there. Prints one Markdown table:

    python benchmarks/line_webhooks.py --db sqlite,postgres
    python benchmarks/line_webhooks.py --db postgres --worker embedded,separate --webhooks 5000
    python benchmarks/line_webhooks.py --db postgres --wsgi --workers-count 2 --client raw   # the scaled set-up

Goal: accepted per second and fully processed per second (first POST -> last message visible
through the API) on SQLite and on PostgreSQL, and the p99 time to answer the webhook.

Nothing leaves the machine: the server, the clients and a stand-in for the LINE API (which answers
profile look-ups and 200 ``{}`` to everything else, through RUAMCHAT_LINE_API_URL and
RUAMCHAT_LINE_DATA_URL) all run on 127.0.0.1. PostgreSQL comes from ``scripts/services start``.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

try:
    from benchmarks.common import RESULT_PREFIX, machine
except ImportError:  # run as a script from benchmarks/
    from common import RESULT_PREFIX, machine  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DEFAULT_PG_ADMIN_URL = "postgres://ruamchat@127.0.0.1:55432/ruamchat"
PG_DATABASE = "ruamchat_bench_line"
ADMIN_USERNAME = "bench-admin"

CUSTOMER_TEXTS = (
    "สวัสดีครับ สั่งของไปเมื่อวาน ยังไม่ได้รับเลยครับ",
    "อยากทราบว่าสินค้ารุ่นนี้มีสีดำไหมคะ",
    "ชำระเงินแล้วแต่สถานะยังไม่อัปเดตค่ะ โอนผ่านพร้อมเพย์ไปเมื่อเช้า",
    "ขอเปลี่ยนไซซ์ได้ไหมครับ ใส่ไม่พอดี",
    "แอปเข้าสู่ระบบไม่ได้ ขึ้นข้อความผิดพลาดตลอดเลยค่ะ",
    "ต้องการขอคืนเงินค่ะ ได้รับสินค้าชำรุด กล่องบุบมาด้วย",
    "ร้านเปิดกี่โมงครับ วันอาทิตย์เปิดไหม",
    "ขอบคุณมากค่ะ 🙏",
    "ยังรออยู่นะครับ",
    "เลขพัสดุ TH{n} ตรวจสอบให้หน่อยได้ไหมคะ",
    "คำสั่งซื้อ #{n} ยังไม่จัดส่งเลยครับ",
    "มีโปรผ่อน 0% ไหมคะ บัตรกสิกร",
    "ส่งต่างจังหวัดกี่วันถึงครับ เชียงใหม่",
    "โอเคค่ะ ได้รับแล้ว",
    "Hello, do you ship to Singapore?",
)
DISPLAY_NAMES = ("สมชาย", "สมหญิง", "วิชัย", "มาลี", "ประเสริฐ", "นภา", "อนุชา", "กาญจนา", "Ploy", "Ton",
                 "Nok 🐦", "แม่ค้าออนไลน์")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ====================================================================== the run's database and processes


@dataclass
class Target:
    db: str  # sqlite | postgres
    worker: str  # embedded | separate
    data_dir: Path
    database_url: str
    pg_name: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="ruamchat.settings",
            RUAMCHAT_DATA_DIR=str(self.data_dir),
            RUAMCHAT_DATABASE_URL=self.database_url,
            RUAMCHAT_ALLOWED_HOSTS="127.0.0.1,localhost",
            RUAMCHAT_DEBUG="0",
            RUAMCHAT_WORKER_IN_PROCESS="1",
            RUAMCHAT_LOG_LEVEL="warning",
            RUAMCHAT_OUTBOUND_ALLOW="127.0.0.1",  # the stand-in provider APIs run on loopback
            **self.extra_env,
        )
        return env


def make_target(db: str, worker: str, opts: argparse.Namespace) -> Target:
    data_dir = Path(opts.data_dir) / f"{db}-{worker}"
    extra = {"RUAMCHAT_REDIS_URL": opts.redis_url}
    if db == "sqlite":
        return Target(db, worker, data_dir, f"sqlite:///{data_dir / 'bench.sqlite3'}", extra_env=extra)
    base = opts.pg_admin_url.rsplit("/", 1)[0]
    return Target(db, worker, data_dir, f"{base}/{PG_DATABASE}", pg_name=PG_DATABASE, extra_env=extra)


def pg_admin(url: str) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True, connect_timeout=10)


def reset_database(target: Target, admin_url: str) -> None:
    shutil.rmtree(target.data_dir, ignore_errors=True)
    target.data_dir.mkdir(parents=True)
    if target.db == "postgres":
        with pg_admin(admin_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target.pg_name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{target.pg_name}"')


def drop_database(target: Target, admin_url: str) -> None:
    if target.db == "postgres":
        with pg_admin(admin_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target.pg_name}" WITH (FORCE)')
    shutil.rmtree(target.data_dir, ignore_errors=True)


def ruamchat(target: Target, *args: str) -> str:
    proc = subprocess.run([str(VENV_BIN / "ruamchat"), *args], env=target.env(), cwd=ROOT, text=True,
                          capture_output=True, timeout=300, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"ruamchat {args[0]} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return proc.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Processes:
    """The server (and worker) processes of one run; stopped on exit, errors and Ctrl+C alike."""

    def __init__(self) -> None:
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, target: Target, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log_file = (target.data_dir / f"{name}.log").open("ab")
        # Own session: Ctrl+C reaches only this script, which then stops them in order.
        proc = subprocess.Popen([str(VENV_BIN / "ruamchat"), *args], env=env, cwd=ROOT, stdout=log_file,
                                stderr=subprocess.STDOUT, start_new_session=True)
        log_file.close()
        self.started.append((name, proc))
        return proc

    def check_alive(self) -> None:
        for name, proc in self.started:
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited with {proc.returncode}; see its log in the data dir")

    def stop(self) -> None:
        for name, proc in reversed(self.started):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    log(f"{name} did not stop in 30 s; killing it")
                    proc.kill()
                    proc.wait(timeout=10)
        self.started.clear()


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children_of(pid: int) -> list[int]:
    """The live child processes of ``pid`` (gunicorn's worker processes under its master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def rss_tree(pid: int) -> dict[str, Any]:
    """VmRSS of a process and of each of its children, MB: {"self": .., "children": [..]}."""
    return {"self": rss_mb(pid), "children": [rss_mb(child) for child in children_of(pid)]}


def cpu_tree(pid: int | None) -> float:
    """CPU seconds of a process and its live children (a gunicorn master and its workers)."""
    if pid is None:
        return 0.0
    return cpu_seconds(pid) + sum(cpu_seconds(child) for child in children_of(pid))


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_ready(base: str, procs: Processes, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            procs.check_alive()
            with suppress(httpx.HTTPError):
                if client.get(f"{base}/login/").status_code == 200:
                    return
            time.sleep(0.2)
    raise SystemExit(f"the server did not answer {base}/login/ within {timeout:.0f} s")


# ====================================================================== a stand-in for the LINE API


class FakeLine:
    """Answers what the connector may ask the LINE API: a profile per user, 200 ``{}`` to the rest."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                path = urlsplit(self.path).path
                body: dict[str, Any] = {}
                if path.startswith("/v2/bot/profile/"):
                    user_id = path.rsplit("/", 1)[-1]
                    body = {"userId": user_id, "displayName": fake.names.get(user_id, "ลูกค้า"),
                            "pictureUrl": "", "statusMessage": "", "language": "th"}
                    kind = "GET /v2/bot/profile/<id>"
                else:
                    kind = f"{self.command} {path}"
                with fake.lock:
                    fake.calls[kind] += 1
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-line", daemon=True)

    def __enter__(self) -> FakeLine:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# ====================================================================== webhooks


def ulid(rng: random.Random, ms: int) -> str:
    """A ULID like LINE's webhookEventId: 48 bits of milliseconds, 80 random bits, Crockford base32."""
    value = (ms << 80) | rng.getrandbits(80)
    return "".join(CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def line_user_id(rng: random.Random) -> str:
    return "U" + "".join(rng.choice("0123456789abcdef") for _ in range(32))


@dataclass
class Webhook:
    body: bytes
    signature: str


def make_webhooks(count: int, users: list[str], destination: str, channel_secret: str,
                  rng: random.Random, first_message_id: int) -> list[Webhook]:
    """``count`` signed bodies, one text message event each, built before the clock starts."""
    hooks = []
    now_ms = int(time.time() * 1000)
    for i in range(count):
        text = rng.choice(CUSTOMER_TEXTS).format(n=rng.randint(10_000_000, 99_999_999))
        event = {
            "type": "message",
            "message": {"type": "text", "id": str(first_message_id + i), "quoteToken": secrets.token_urlsafe(48),
                        "text": text},
            "webhookEventId": ulid(rng, now_ms + i),
            "deliveryContext": {"isRedelivery": False},
            "timestamp": now_ms + i,
            "source": {"type": "user", "userId": rng.choice(users)},
            "replyToken": secrets.token_hex(16),
            "mode": "active",
        }
        body = json.dumps({"destination": destination, "events": [event]}, ensure_ascii=False,
                          separators=(",", ":")).encode()
        digest = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
        hooks.append(Webhook(body, base64.b64encode(digest).decode()))
    return hooks


@dataclass
class Sent:
    seconds: list[float]  # answer time of each POST
    statuses: Counter[int]
    started: float  # monotonic, first POST
    finished: float  # monotonic, last answer
    client_cpu: float  # this process's CPU seconds while sending


async def send_all(url: str, hooks: list[Webhook], concurrency: int, timeout: float) -> Sent:
    seconds: list[float] = []
    statuses: Counter[int] = Counter()
    position = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:

        async def one_client() -> None:
            nonlocal position
            while position < len(hooks):
                hook = hooks[position]
                position += 1
                headers = {"content-type": "application/json; charset=utf-8", "x-line-signature": hook.signature,
                           "user-agent": "LineBotWebhook/2.0"}
                t = time.perf_counter()
                try:
                    response = await client.post(url, content=hook.body, headers=headers)
                    status = response.status_code
                except httpx.HTTPError:
                    status = 0  # no answer (timeout, reset)
                seconds.append(time.perf_counter() - t)
                statuses[status] += 1

        cpu = time.process_time()
        started = time.monotonic()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        finished = time.monotonic()
    return Sent(seconds, statuses, started, finished, time.process_time() - cpu)


class RawConnection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: a tenth of httpx's CPU per request, so on a
    2-core machine the sender leaves the CPU to the server it measures. Enough for posting webhooks to ruamchat
    (Content-Length or chunked answers; reconnects when the server closes)."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.path = parts.path or "/"
        self.timeout = timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with suppress(OSError, ConnectionError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def post(self, body: bytes, headers: dict[str, str]) -> int:
        """POST ``body``; the answer's status (0: no answer: reset, timeout)."""
        try:
            return await asyncio.wait_for(self._post(body, headers), self.timeout)
        except (OSError, ConnectionError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            await self.close()
            return 0

    async def _post(self, body: bytes, headers: dict[str, str]) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write((f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{head}"
                           f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1") + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split(None, 2)[1])
        length, chunked, close = 0, False, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await self.reader.readexactly(length)
        if close:
            await self.close()
        return status


async def send_all_raw(url: str, hooks: list[Webhook], concurrency: int, timeout: float) -> Sent:
    """As ``send_all``, through ``RawConnection``s."""
    seconds: list[float] = []
    statuses: Counter[int] = Counter()
    position = 0

    async def one_client() -> None:
        nonlocal position
        connection = RawConnection(url, timeout)
        try:
            while position < len(hooks):
                hook = hooks[position]
                position += 1
                headers = {"Content-Type": "application/json; charset=utf-8", "X-Line-Signature": hook.signature,
                           "User-Agent": "LineBotWebhook/2.0"}
                t = time.perf_counter()
                status = await connection.post(hook.body, headers)
                seconds.append(time.perf_counter() - t)
                statuses[status] += 1
        finally:
            await connection.close()

    cpu = time.process_time()
    started = time.monotonic()
    await asyncio.gather(*(one_client() for _ in range(concurrency)))
    finished = time.monotonic()
    return Sent(seconds, statuses, started, finished, time.process_time() - cpu)


def send(url: str, hooks: list[Webhook], opts: argparse.Namespace) -> Sent:
    sender = send_all_raw if opts.client == "raw" else send_all
    return asyncio.run(sender(url, hooks, opts.concurrency, opts.request_timeout))


# ====================================================================== what the API shows


class InboxReader:
    """Counts the customers' messages the REST API shows, re-reading only conversations that changed."""

    def __init__(self, base: str, token: str, channel_id: int) -> None:
        self.client = httpx.Client(base_url=f"{base}/api/v1", timeout=30,
                                   headers={"Authorization": f"Bearer {token}"})
        self.channel_id = channel_id
        self.seen: dict[int, str] = {}  # conversation id -> its last_message_at and updated_at, as last listed
        self.last_id: dict[int, int] = {}
        self.inbound = 0
        self.requests = 0

    def get(self, path: str, **params: Any) -> Any:
        self.requests += 1
        response = self.client.get(path, params=params)
        response.raise_for_status()
        return response.json()

    def changed_conversations(self) -> list[int]:
        """One read of the channel's conversation list: those whose last message changed since the last one."""
        changed: list[int] = []
        offset: int | None = 0
        while offset is not None:
            page = self.get("/conversations", queue="all", status="any", channel=self.channel_id,
                            limit=200, offset=offset)
            for item in page["items"]:
                stamp = f"{item['last_message_at']} {item['updated_at']}"
                if self.seen.get(item["id"]) != stamp:
                    changed.append(item["id"])
                    self.seen[item["id"]] = stamp
            offset = page["next_offset"]
        return changed

    def read_messages(self, conversation_ids: set[int]) -> None:
        for conversation_id in sorted(conversation_ids):
            after: int | None = self.last_id.get(conversation_id, 0)
            while after is not None:
                page = self.get(f"/conversations/{conversation_id}/messages", after_id=after, limit=500)
                self.inbound += sum(1 for m in page["items"] if m["direction"] == "in")
                if page["items"]:
                    self.last_id[conversation_id] = page["items"][-1]["id"]
                after = page["next_after_id"]

    def wait_for(self, expected: int, timeout: float, interval: float, procs: Processes) -> float | None:
        """Poll until ``expected`` customer messages are visible; the monotonic time of that, or None.

        While messages keep arriving only the conversation list is read (one request a round, so the
        polling does not compete with the worker); once a round sees no change the new messages of the
        changed conversations are counted. All were visible when the list last changed.
        """
        deadline = time.monotonic() + timeout
        last_change = time.monotonic()
        unread: set[int] = set()
        while True:
            procs.check_alive()
            changed = self.changed_conversations()
            now = time.monotonic()
            if changed:
                unread.update(changed)
                last_change = now
            else:
                if unread:
                    self.read_messages(unread)
                    unread.clear()
                if self.inbound >= expected:
                    return last_change
            if now > deadline:
                return None
            time.sleep(interval)

    def close(self) -> None:
        self.client.close()


# ====================================================================== one run


def api_post(client: httpx.Client, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=payload)
    if response.status_code != 201:
        try:
            detail = json.dumps(response.json(), ensure_ascii=False)
        except ValueError:
            detail = response.text
        raise SystemExit(f"POST {path} answered {response.status_code}: {detail[:1000]}")
    return dict(response.json())


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))]


def run_one(target: Target, opts: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(opts.random_seed)
    users = [line_user_id(rng) for _ in range(opts.users)]
    names = {u: rng.choice(DISPLAY_NAMES) for u in users}
    destination = line_user_id(rng)
    channel_secret = secrets.token_hex(16)
    procs = Processes()
    log(f"{target.db}/{target.worker}: creating the database, migrating")
    reset_database(target, opts.pg_admin_url)
    try:
        with FakeLine(names) as fake:
            ruamchat(target, "migrate", "-v0")
            ruamchat(target, "createadmin", "--username", ADMIN_USERNAME, "--password", secrets.token_urlsafe(18))
            token = ruamchat(target, "token", "create", "--user", ADMIN_USERNAME, "--name", "bench").strip()
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            env = {**target.env(), "RUAMCHAT_LINE_API_URL": fake.url, "RUAMCHAT_LINE_DATA_URL": fake.url,
                   "RUAMCHAT_PUBLIC_URL": base}
            serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
            if opts.wsgi:
                serve += ["--wsgi", "--workers", str(opts.web_workers), "--threads", str(opts.threads)]
            elif target.worker == "separate":
                serve.append("--no-worker")
            server = procs.start("server", target, serve, env)
            workers = []
            if target.worker == "separate":
                for n in range(opts.workers_count):
                    workers.append(procs.start(f"worker{n + 1}", target,
                                               ["worker", "--concurrency", str(opts.worker_concurrency)], env))
            wait_ready(base, procs, timeout=90)
            log(f"{target.db}/{target.worker}: server ready at {base} (pid {server.pid})")

            with httpx.Client(base_url=f"{base}/api/v1", timeout=30,
                              headers={"Authorization": f"Bearer {token}"}) as api:
                team = api_post(api, "/teams", {"name": "ฝ่ายบริการลูกค้า", "kind": "service"})
                channel = api_post(api, "/channels", {
                    "kind": "line", "name": "LINE OA ร้านรวมแชท", "default_team_id": team["id"],
                    "config": {"line_channel_id": str(rng.randint(1_000_000_000, 2_999_999_999))},
                    "secrets": {"channel_secret": channel_secret, "access_token": secrets.token_urlsafe(128)},
                })
                for _ in range(5):  # a few requests of each kind before the idle memory is read
                    api.get("/conversations", params={"limit": 20}).raise_for_status()
                    api.get(f"{base}/login/").raise_for_status()
            hook_path = urlsplit(channel.get("webhook_url") or "").path or f"/hooks/line/{channel['key']}/"
            url = base + hook_path
            time.sleep(1.0)  # let start-up work settle (the workers' first periodic jobs) before reading RSS
            idle_rss = {"server": rss_tree(server.pid), "workers": [rss_mb(w.pid) for w in workers]}
            warmup = make_webhooks(opts.warmup, users, destination, channel_secret, rng, 500_000_000_000_000_000)
            timed = make_webhooks(opts.webhooks, users, destination, channel_secret, rng, 600_000_000_000_000_000)

            reader = InboxReader(base, token, int(channel["id"]))
            try:
                if warmup:
                    log(f"{target.db}/{target.worker}: warming up with {len(warmup)} webhooks")
                    sent = send(url, warmup, opts)
                    if sent.statuses.get(200, 0) != len(warmup):
                        raise SystemExit(f"warm-up webhooks answered {dict(sent.statuses)}; see server.log")
                    if reader.wait_for(len(warmup), opts.timeout, opts.poll, procs) is None:
                        raise SystemExit(f"warm-up messages not visible within {opts.timeout:.0f} s")
                log(f"{target.db}/{target.worker}: sending {len(timed)} webhooks from {opts.concurrency} clients")
                def cpu_now() -> tuple[float, float]:
                    return cpu_tree(server.pid), sum(cpu_seconds(w.pid) for w in workers)

                cpu_start = cpu_now()
                sent = send(url, timed, opts)
                cpu_sent = cpu_now()
                log(f"{target.db}/{target.worker}: accepted in {sent.finished - sent.started:.1f} s "
                    f"{dict(sent.statuses)}; waiting until the API shows them")
                requests_before = reader.requests
                visible_at = reader.wait_for(len(warmup) + sent.statuses.get(200, 0), opts.timeout, opts.poll, procs)
                cpu_end = cpu_now()
                visible = reader.inbound - len(warmup)
                poll_requests = reader.requests - requests_before
            finally:
                reader.close()
            server_tree = rss_tree(server.pid)
            worker_list = [rss_mb(w.pid) for w in workers]
            loaded_rss = {"server": server_tree, "workers": worker_list}
            server_rss = server_tree["self"] + sum(server_tree["children"])
            worker_rss = sum(worker_list) if workers else None
    finally:
        procs.stop()
        if not opts.keep:
            drop_database(target, opts.pg_admin_url)
        elif target.db == "postgres":
            log(f"kept the database {target.pg_name} and {target.data_dir}")

    times = sorted(sent.seconds)
    accepted = sent.statuses.get(200, 0)
    return {
        "db": target.db, "worker": target.worker, "webhooks": len(timed), "concurrency": opts.concurrency,
        "http": (f"wsgi {opts.web_workers}x{opts.threads}" if opts.wsgi else "asgi"), "client": opts.client,
        "workers_count": len(workers), "worker_concurrency": opts.worker_concurrency,
        "rss_idle": idle_rss, "rss_loaded": loaded_rss,
        "accepted": accepted, "statuses": dict(sent.statuses),
        "accept_seconds": sent.finished - sent.started,
        "accepted_per_s": accepted / max(sent.finished - sent.started, 1e-9),
        "processed_per_s": (len(timed) / (visible_at - sent.started)) if visible_at else None,
        "p50": percentile(times, 0.5) * 1000, "p99": percentile(times, 0.99) * 1000, "max": times[-1] * 1000,
        "visible": visible, "visible_seconds": (visible_at - sent.started) if visible_at else None,
        "drain_seconds": (visible_at - sent.finished) if visible_at else None,
        "server_rss": server_rss, "worker_rss": worker_rss, "client_cpu": sent.client_cpu,
        "poll_requests": poll_requests,
        "cpu": {"server_sending": cpu_sent[0] - cpu_start[0], "server_total": cpu_end[0] - cpu_start[0],
                "worker_total": cpu_end[1] - cpu_start[1]}, "line_calls": dict(fake.calls),
    }


# ====================================================================== the table


def cpu_note(r: dict[str, Any]) -> str:
    """CPU ms per webhook, from /proc: where the server's time goes (PostgreSQL's own work not counted)."""
    n = max(1, r["accepted"])
    cpu = r["cpu"]
    if r["worker"] == "embedded":
        return (f"serve CPU {1000 * cpu['server_sending'] / n:.1f} ms/webhook while sending (web and worker), "
                f"{1000 * cpu['server_total'] / n:.1f} ms/webhook in all")
    return (f"web CPU {1000 * cpu['server_sending'] / n:.1f} ms/webhook while sending, "
            f"{1000 * cpu['server_total'] / n:.1f} in all (with the API reads); "
            f"worker CPU {1000 * cpu['worker_total'] / n:.1f} ms/message")


def print_table(rows: list[dict[str, Any]], opts: argparse.Namespace) -> None:
    head = ("db", "worker", "webhooks", "concurrency", "accepted/s", "answer p50 ms", "p99 ms", "max ms",
            "processed/s", "drain s", "server RSS MB")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for r in rows:
        worker = ("in serve" if r["worker"] == "embedded"
                  else f"{r['workers_count']} × worker ×{opts.worker_concurrency} threads")
        if r["http"] != "asgi":
            worker += f"; HTTP {r['http']}"
        processed = f"{r['webhooks'] / r['visible_seconds']:.0f}" if r["visible_seconds"] else "timeout"
        drain = f"{r['drain_seconds']:.1f}" if r["drain_seconds"] is not None else "-"
        rss = f"{r['server_rss']:.0f}" + (f" + {r['worker_rss']:.0f}" if r["worker_rss"] is not None else "")
        cells = (r["db"], worker, f"{r['webhooks']:,}", str(r["concurrency"]),
                 f"{r['accepted'] / r['accept_seconds']:.0f}", f"{r['p50']:.1f}", f"{r['p99']:.1f}",
                 f"{r['max']:.0f}", processed, drain, rss)
        print("| " + " | ".join(cells) + " |")
    print(f"\nMachine: {machine()}. Loopback only: server, {opts.concurrency} {opts.client} clients and a stand-in "
          f"LINE API all on 127.0.0.1, sharing the CPUs.")
    print(f"{opts.users} LINE users, one text message per webhook; {opts.warmup} warm-up webhooks first "
          f"(not counted). processed/s = webhooks ÷ (first POST → all their messages visible through "
          f"GET /api/v1/conversations/<id>/messages, polled every {opts.poll} s after the last answer); "
          f"drain s = last answer → all visible; RSS after the run (web + worker).")
    for r in rows:
        notes = [f"answers {r['statuses']}" if set(r["statuses"]) != {200} else "",
                 f"only {r['visible']:,} visible after {opts.timeout:.0f} s" if r["visible_seconds"] is None else "",
                 cpu_note(r), f"client CPU {r['client_cpu']:.1f} s while sending",
                 f"{r['poll_requests']} API reads to confirm",
                 "LINE API calls: " + (", ".join(f"{k} ×{v}" for k, v in sorted(r["line_calls"].items()))
                                       or "none")]
        print(f"- {r['db']}/{r['worker']}: " + "; ".join(n for n in notes if n))


# ====================================================================== command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both: sqlite,postgres")
    parser.add_argument("--worker", default="embedded",
                        help="embedded (the job worker inside `ruamchat serve`), separate (`serve --no-worker` "
                             "and a `ruamchat worker`) or both: embedded,separate")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="threads of each separate worker")
    parser.add_argument("--workers-count", type=int, default=1, help="separate `ruamchat worker` processes")
    parser.add_argument("--wsgi", action="store_true",
                        help="HTTP from `ruamchat serve --wsgi` (gunicorn; the scaled set-up); implies --worker "
                             "separate")
    parser.add_argument("--web-workers", type=int, default=2, help="with --wsgi: gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="with --wsgi: threads per gunicorn worker")
    parser.add_argument("--client", choices=("httpx", "raw"), default="httpx",
                        help="the webhook sender: httpx.AsyncClient, or a minimal HTTP/1.1 client on asyncio "
                             "streams that needs a tenth of the CPU (leaves the cores to the server)")
    parser.add_argument("--webhooks", type=int, default=2000, help="timed webhooks (one message each)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients sending webhooks")
    parser.add_argument("--users", type=int, default=200, help="distinct LINE users writing")
    parser.add_argument("--warmup", type=int, default=50, help="untimed webhooks first (0 for none)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait until all are visible")
    parser.add_argument("--request-timeout", type=float, default=60, help="seconds per webhook POST")
    parser.add_argument("--poll", type=float, default=0.25, help="seconds between API reads while waiting")
    parser.add_argument("--keep", action="store_true", help="keep the databases and data dirs afterwards")
    parser.add_argument("--data-dir", default="/tmp/ruamchat-bench-line", help="data dirs (and SQLite files) go here")
    parser.add_argument("--pg-admin-url", default=os.environ.get("RUAMCHAT_BENCH_PG_URL", DEFAULT_PG_ADMIN_URL),
                        help="a PostgreSQL superuser URL used to create the benchmark database")
    parser.add_argument("--redis-url", default="",
                        help="RUAMCHAT_REDIS_URL for the server (default none: in-memory channel layer)")
    parser.add_argument("--random-seed", type=int, default=20240601)
    return parser.parse_args(argv)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the run like Ctrl+C does, so the servers and the database are cleaned up."""

    def raise_interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> None:
    opts = parse_args(argv)
    if opts.wsgi:
        opts.worker = "separate"
    rows = []
    with sigterm_as_interrupt():
        for db in (d.strip() for d in opts.db.split(",") if d.strip()):
            if db not in ("sqlite", "postgres"):
                raise SystemExit(f"--db: unknown database {db!r}")
            for worker in (w.strip() for w in opts.worker.split(",") if w.strip()):
                if worker not in ("embedded", "separate"):
                    raise SystemExit(f"--worker: unknown mode {worker!r}")
                rows.append(run_one(make_target(db, worker, opts), opts))
    print_table(rows, opts)
    print(RESULT_PREFIX + json.dumps({"rows": rows, "machine": machine()}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted; the servers are stopped and the database dropped (unless --keep)")
        sys.exit(130)
