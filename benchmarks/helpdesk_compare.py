"""ruamchat beside django-helpdesk: creating tickets and listing them, in the same run, on the same machine.

    python benchmarks/helpdesk_compare.py                       # sizes 1k, 10k, 100k; ~9 min (more if shared)
    python benchmarks/helpdesk_compare.py --quick               # sizes 1k, 10k
    python benchmarks/helpdesk_compare.py --sizes 1000 --creates 300 --keep

django-helpdesk is installed from PyPI into a virtual environment of its own (<data-dir>/helpdesk-venv, made
once and reused while its marker says it is complete), with a minimal Django project (benchmarks/helpdesk/:
the apps and settings its installation notes ask for, its REST API on, token or session auth) on a PostgreSQL
database of its own, served by gunicorn (2 gthread workers). ruamchat runs in its scaled mode on a database of
its own: `ruamchat serve --wsgi --workers 2` (or, until that exists, `ruamchat serve --no-worker --workers 2`)
plus `ruamchat worker --concurrency 2`. Both use the scripts/services PostgreSQL and are reached over real
HTTP on 127.0.0.1 by the same httpx clients.

1. Creating tickets: django-helpdesk answers POST /helpdesk/api/tickets/ once the ticket (its "Ticket Opened"
   follow-up and its mails, rendered but not sent) is stored. ruamchat has no "create conversation" API: a
   customer's ticket arrives as a channel webhook, so N signed LINE webhooks from N new LINE users are sent (a
   stand-in LINE API answers the profile look-ups) and counted both when answered (accepted/s) and when all N
   conversations are visible through GET /api/v1/conversations (created/s). The unit compared: a new
   customer ticket with its first message.
2. Listing them at each size: both databases are seeded in bulk (django-helpdesk through its ORM with
   bulk_create, in a child process run with ITS venv's Python: benchmarks/helpdesk/hd_seed.py; ruamchat with
   benchmarks/queue_pages.py's seeder), then, signed in over HTTP after a warm-up, the staff list page and its
   data request and the list APIs are timed (p50/p95).

Prints one Markdown table (ratio > 1: ruamchat better), the versions, the machine line, and a line
``BENCH-RESULT {"rows": [...]}`` for the suite. Databases are dropped at the end unless --keep.
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
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

try:
    from benchmarks import common, queue_pages
    from benchmarks.line_webhooks import (
        CUSTOMER_TEXTS,
        DISPLAY_NAMES,
        FakeLine,
        free_port,
        line_user_id,
        sigterm_as_interrupt,
        ulid,
    )
except ImportError:  # run as a script from benchmarks/
    import common  # type: ignore[no-redef]
    import queue_pages  # type: ignore[no-redef]
    from line_webhooks import (  # type: ignore[no-redef]
        CUSTOMER_TEXTS,
        DISPLAY_NAMES,
        FakeLine,
        free_port,
        line_user_id,
        sigterm_as_interrupt,
        ulid,
    )

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
PROJECT_DIR = HERE / "helpdesk"  # hd_settings.py, hd_urls.py, hd_wsgi.py, hd_seed.py
VENV_BIN = Path(sys.executable).parent
#: what goes into the helpdesk venv; django-helpdesk pinned (the newest release PyPI offers that installs here)
HELPDESK_REQUIREMENTS = ("django-helpdesk==2.6.1", "gunicorn>=23", "psycopg[binary]>=3.2")
VENV_MARKER = ".ruamchat-bench-complete"
HD_DATABASE = "bench_helpdesk"
RC_DATABASE = "bench_helpdesk_rc"
ADMIN = "bench-admin"
SUPERVISOR = "bench-supervisor"  # made by queue_pages' seeder
RESULT_PREFIX = common.RESULT_PREFIX


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ====================================================================== processes and databases


class Processes:
    """The servers of one step; stopped on exit, errors and Ctrl+C alike (each started in its own session)."""

    def __init__(self) -> None:
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str], *, env: dict[str, str], cwd: Path, log_file: Path) -> int:
        with log_file.open("ab") as out:
            proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.started.append((name, proc))
        return proc.pid

    def cpu_seconds(self) -> dict[str, float]:
        """User + system CPU seconds so far of each started process and its workers (its process group)."""
        groups = {proc.pid: name for name, proc in self.started}
        spent = dict.fromkeys(groups.values(), 0.0)
        tick = os.sysconf("SC_CLK_TCK")
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            name = groups.get(int(fields[2]))
            if name is not None:
                spent[name] += (int(fields[11]) + int(fields[12])) / tick
        return spent

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
                    log(f"{name} did not stop in 30 s; killing its process group {proc.pid}")
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)
            # gunicorn/uvicorn workers left behind by a master that died: the group is this run's own
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        self.started.clear()

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def pg_admin(url: str) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True, connect_timeout=10)


def database_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def recreate_database(admin_url: str, name: str) -> None:
    with pg_admin(admin_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def drop_database(admin_url: str, name: str) -> None:
    with pg_admin(admin_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_ready(url: str, procs: Processes, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            procs.check_alive()
            try:
                if client.get(url).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer 200 within {timeout:.0f} s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# ====================================================================== django-helpdesk


@dataclass
class Helpdesk:
    """The helpdesk venv and the project run with it."""

    data_dir: Path
    admin_url: str
    python: Path = field(init=False)
    versions: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.python = self.data_dir / "helpdesk-venv" / "bin" / "python"

    # ---------------------------------------------------------------- the venv

    def ensure_venv(self) -> None:
        venv = self.data_dir / "helpdesk-venv"
        marker = venv / VENV_MARKER
        wanted = "\n".join(HELPDESK_REQUIREMENTS)
        if not (marker.exists() and marker.read_text() == wanted and self.python.exists()):
            shutil.rmtree(venv, ignore_errors=True)
            base = shutil.which("python3") or sys.executable
            log(f"creating {venv} and installing {', '.join(HELPDESK_REQUIREMENTS)} from PyPI")
            subprocess.run([base, "-m", "venv", str(venv)], check=True)
            pip = subprocess.run([str(self.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                                  *HELPDESK_REQUIREMENTS], capture_output=True, text=True, check=False)
            if pip.returncode != 0:
                raise SystemExit(f"pip install failed:\n{pip.stdout[-2000:]}\n{pip.stderr[-3000:]}")
            marker.write_text(wanted)
        else:
            log(f"reusing {venv}")
        freeze = subprocess.run([str(self.python), "-m", "pip", "freeze", "--disable-pip-version-check"],
                                capture_output=True, text=True, check=True).stdout
        for line in freeze.splitlines():
            name, _, version = line.partition("==")
            if name.lower() in ("django-helpdesk", "django", "djangorestframework", "gunicorn", "psycopg"):
                self.versions[name.lower()] = version

    # ---------------------------------------------------------------- running its project

    def env(self, database: str, work_dir: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("RUAMCHAT_", "DJANGO_", "PYTHON", "VIRTUAL_ENV"))}
        env.update(
            PYTHONPATH=str(PROJECT_DIR), DJANGO_SETTINGS_MODULE="hd_settings",
            HDBENCH_DATABASE_URL=database_url(self.admin_url, database), HDBENCH_DATA_DIR=str(work_dir),
            HDBENCH_SECRET_KEY=secrets.token_urlsafe(40), PYTHONUNBUFFERED="1",
        )
        return env

    def run(self, env: dict[str, str], work_dir: Path, *args: str) -> dict[str, Any]:
        """Run the helpdesk venv's Python; returns the ``BENCH-RESULT`` JSON it printed ({} if none)."""
        proc = subprocess.run([str(self.python), *args], env=env, cwd=work_dir, capture_output=True,
                              text=True, check=False, timeout=1800)
        if proc.returncode != 0:
            raise SystemExit(f"helpdesk {' '.join(args)} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        found = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
        return dict(json.loads(found[-1][len(RESULT_PREFIX):])) if found else {}

    def prepare(self, database: str, work_dir: Path, size: int, opts: argparse.Namespace) -> dict[str, Any]:
        """A migrated database with a queue, agents, a superuser and its token, and ``size`` seeded tickets
        (reused as it is with --keep when it already holds them). Returns setup + seed information."""
        work_dir.mkdir(parents=True, exist_ok=True)
        info_file = work_dir / "setup.json"
        seed_script = str(PROJECT_DIR / "hd_seed.py")
        if opts.keep and info_file.exists():
            info = json.loads(info_file.read_text())
            env = {**self.env(database, work_dir), "HDBENCH_ADMIN_PASSWORD": info["password"]}
            try:
                have = self.run(env, work_dir, seed_script, "count").get("tickets")
            except SystemExit:
                have = None
            if have == size:
                log(f"helpdesk N={size}: reusing the seeded database {database} (--keep)")
                return {**info, "reused": True}
        recreate_database(self.admin_url, database)
        password = secrets.token_urlsafe(18)
        env = {**self.env(database, work_dir), "HDBENCH_ADMIN_PASSWORD": password}
        log(f"helpdesk N={size}: migrating {database}")
        self.run(env, work_dir, "-m", "django", "migrate", "-v0")
        info = {**self.run(env, work_dir, seed_script, "setup"), "password": password}
        if size:
            log(f"helpdesk N={size}: seeding {size:,} tickets with bulk_create")
            info["seed"] = self.run(env, work_dir, seed_script, "seed", str(size), str(opts.random_seed))
        info_file.write_text(json.dumps(info))
        return {**info, "reused": False}

    def serve(self, procs: Processes, database: str, work_dir: Path, opts: argparse.Namespace) -> str:
        port = free_port()
        gunicorn = self.python.parent / "gunicorn"
        argv = [str(gunicorn), "hd_wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                "--worker-class", "gthread", "--threads", str(opts.threads), "--timeout", "600",
                "--no-control-socket", "--log-level", "warning"]
        procs.start("helpdesk gunicorn", argv, env=self.env(database, work_dir), cwd=work_dir,
                    log_file=work_dir / "gunicorn.log")
        base = f"http://127.0.0.1:{port}"
        wait_ready(f"{base}/helpdesk/login/", procs)
        return base


# ====================================================================== ruamchat


@dataclass
class Ruamchat:
    admin_url: str
    redis_url: str
    serve_mode: str = ""
    serve_args: list[str] = field(default_factory=list)

    def env(self, database: str, work_dir: Path, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="ruamchat.settings", RUAMCHAT_DATA_DIR=str(work_dir),
            RUAMCHAT_DATABASE_URL=database_url(self.admin_url, database),
            RUAMCHAT_ALLOWED_HOSTS="127.0.0.1,localhost,testserver", RUAMCHAT_DEBUG="0",
            RUAMCHAT_WORKER_IN_PROCESS="0", RUAMCHAT_LOG_LEVEL="warning", RUAMCHAT_REDIS_URL=self.redis_url,
            RUAMCHAT_OUTBOUND_ALLOW="127.0.0.1",  # the stand-in LINE API runs on loopback
            **extra,
        )
        return env

    def command(self, env: dict[str, str], *args: str) -> str:
        proc = subprocess.run([str(VENV_BIN / "ruamchat"), *args], env=env, cwd=ROOT, text=True,
                              capture_output=True, timeout=600, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"ruamchat {args[0]} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        return proc.stdout

    def choose_serve_mode(self, env: dict[str, str], opts: argparse.Namespace) -> None:
        """`serve --wsgi --workers 2` (gunicorn) where this ruamchat has it, else `serve --no-worker --workers 2`."""
        helptext = self.command(env, "serve", "--help")
        if "--wsgi" in helptext:
            self.serve_args = ["serve", "--wsgi", "--workers", "2"]
            if "--threads" in helptext:
                self.serve_args += ["--threads", str(opts.threads)]
        else:
            self.serve_args = ["serve", "--no-worker", "--workers", "2"]
        self.serve_mode = (f"`ruamchat {' '.join(self.serve_args)}` + "
                           f"`ruamchat worker --concurrency {opts.worker_concurrency}`")

    def serve(self, procs: Processes, env: dict[str, str], work_dir: Path, opts: argparse.Namespace, *,
              worker: bool = True) -> str:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**env, "RUAMCHAT_PUBLIC_URL": base}
        ruamchat = str(VENV_BIN / "ruamchat")
        procs.start("ruamchat server", [ruamchat, *self.serve_args, "--host", "127.0.0.1", "--port", str(port)],
                    env=env, cwd=ROOT, log_file=work_dir / "server.log")
        if worker:
            procs.start("ruamchat worker", [ruamchat, "worker", "--concurrency", str(opts.worker_concurrency)],
                        env=env, cwd=ROOT, log_file=work_dir / "worker.log")
        wait_ready(f"{base}/login/", procs)
        return base


# ====================================================================== HTTP load and timing


@dataclass
class Posted:
    seconds: list[float]
    statuses: Counter[int]
    started: float  # monotonic, first request
    finished: float  # monotonic, last answer


async def post_all(url: str, bodies: list[tuple[bytes, dict[str, str]]], concurrency: int,
                   headers: dict[str, str] | None = None) -> Posted:
    """POST every body (with its own headers) from ``concurrency`` clients sharing one connection pool."""
    seconds: list[float] = []
    statuses: Counter[int] = Counter()
    position = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=120, headers=headers) as client:

        async def one_client() -> None:
            nonlocal position
            while position < len(bodies):
                body, body_headers = bodies[position]
                position += 1
                started = time.perf_counter()
                try:
                    status = (await client.post(url, content=body, headers=body_headers)).status_code
                except httpx.HTTPError:
                    status = 0
                seconds.append(time.perf_counter() - started)
                statuses[status] += 1

        started = time.monotonic()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        finished = time.monotonic()
    return Posted(seconds, statuses, started, finished)


Steps = list[tuple[str, Callable[[], httpx.Response]]]


@dataclass
class Measure:
    """Steps timed in order as one round (e.g. a page, then its data request), round after round."""

    label: str
    steps: Steps
    times: dict[str, list[float]] = field(default_factory=dict)
    spent: float = 0.0  # seconds of timed rounds so far
    cold: bool = False  # its only sample is its first request: one request took longer than the budget
    timed_out: bool = False  # a request got no answer within --request-timeout (its time counts as that)

    def round(self) -> dict[str, float]:
        took: dict[str, float] = {}
        for name, call in self.steps:
            t = time.perf_counter()
            try:
                response = call()
            except httpx.TimeoutException:
                self.timed_out = True
                response = None
            took[name] = (time.perf_counter() - t) * 1000
            if response is not None:
                check(response, f"{self.label} {name}")
        took["total"] = sum(took.values())
        return took

    def record(self, took: dict[str, float]) -> None:
        for name, value in took.items():
            self.times.setdefault(name, []).append(value)
        self.spent += took["total"] / 1000


def interleaved(measures: list[Measure], opts: argparse.Namespace) -> None:
    """Round-robin over the measures, so that both systems see the same load of a shared machine over time.

    Each gets up to --warmup untimed rounds (stopping after --budget/4 s of them), then timed rounds until
    --requests of them or --budget s spent. A measure whose first warm-up round alone took longer than the
    budget keeps that round as its one sample (marked cold): it is not waiting on caches that a warm-up fills.
    """
    warm = {m.label: 0.0 for m in measures}
    for i in range(opts.warmup):
        for m in measures:
            if m.cold or warm[m.label] > opts.budget / 4:
                continue
            took = m.round()
            warm[m.label] += took["total"] / 1000
            if i == 0 and (took["total"] / 1000 > opts.budget or m.timed_out):
                m.cold = True
                m.record(took)
    while True:
        active = [m for m in measures if not (m.cold or m.timed_out) and len(m.times.get("total", [])) < opts.requests
                  and (m.spent <= opts.budget or not m.times)]
        if not active:
            break
        for m in active:
            m.record(m.round())
    for m in measures:
        summary = ", ".join(f"{name} p50 {percentile(v, 0.5):.1f} ms" for name, v in m.times.items())
        log(f"{m.label}: {len(m.times['total'])} rounds{' (cold)' if m.cold else ''}"
            f"{' (timed out)' if m.timed_out else ''}; {summary}")


def check(response: httpx.Response, what: str) -> None:
    if response.status_code != 200:
        raise SystemExit(f"{what}: GET {response.request.url} answered {response.status_code}: "
                         f"{response.text[:300]}")
    response.read()


def sign_in(client: httpx.Client, path: str, username: str, password: str, next_path: str) -> None:
    """Sign in through the login form like a browser: its CSRF token, then the POST; expects a redirect."""
    page = client.get(path)
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if page.status_code != 200 or not found:
        raise SystemExit(f"GET {path} answered {page.status_code} without a login form")
    answer = client.post(path, data={"username": username, "password": password, "next": next_path,
                                     "csrfmiddlewaretoken": found.group(1)},
                         headers={"Referer": str(client.base_url) + path})
    if answer.status_code != 302:
        raise SystemExit(f"signing in as {username} at {path} answered {answer.status_code}")


# ====================================================================== 1. creating tickets


def helpdesk_creates(hd: Helpdesk, opts: argparse.Namespace) -> dict[str, Any]:
    work_dir = Path(opts.data_dir) / "helpdesk-create"
    try:
        return measure_helpdesk_creates(hd, work_dir, opts)
    finally:
        if not opts.keep:
            drop_database(hd.admin_url, HD_DATABASE)
            shutil.rmtree(work_dir, ignore_errors=True)


def measure_helpdesk_creates(hd: Helpdesk, work_dir: Path, opts: argparse.Namespace) -> dict[str, Any]:
    info = hd.prepare(HD_DATABASE, work_dir, 0, argparse.Namespace(**{**vars(opts), "keep": False}))
    rng = random.Random(opts.random_seed)
    with Processes() as procs:
        base = hd.serve(procs, HD_DATABASE, work_dir, opts)
        url = f"{base}/helpdesk/api/tickets/"
        auth = {"Authorization": f"Token {info['token']}", "Content-Type": "application/json"}

        def bodies(count: int, first: int) -> list[tuple[bytes, dict[str, str]]]:
            out: list[tuple[bytes, dict[str, str]]] = []
            for i in range(first, first + count):
                text = rng.choice(CUSTOMER_TEXTS).format(n=rng.randint(10_000_000, 99_999_999))
                out.append((json.dumps({"queue": info["queues"][0], "title": text[:100], "description": text,
                                        "submitter_email": f"customer{i}@example.co.th", "priority": 3},
                                       ensure_ascii=False).encode(), {}))
            return out

        warm, timed = bodies(opts.create_warmup, 0), bodies(opts.creates, opts.create_warmup)
        log(f"helpdesk: warming up with {len(warm)} tickets, then creating {len(timed)} from "
            f"{opts.concurrency} clients")
        warm_sent = asyncio.run(post_all(url, warm, opts.concurrency, auth))
        if warm_sent.statuses.get(201, 0) != len(warm):
            raise SystemExit(f"helpdesk warm-up tickets answered {dict(warm_sent.statuses)}; see gunicorn.log")
        cpu_before, load = procs.cpu_seconds(), [os.getloadavg()[0]]
        sent = asyncio.run(post_all(url, timed, opts.concurrency, auth))
        cpu = {k: v - cpu_before[k] for k, v in procs.cpu_seconds().items()}
        load.append(os.getloadavg()[0])
        procs.check_alive()
    env = hd.env(HD_DATABASE, work_dir)
    stored = hd.run(env, work_dir, str(PROJECT_DIR / "hd_seed.py"), "count")["tickets"] - len(warm)
    log(f"helpdesk: {dict(sent.statuses)} in {sent.finished - sent.started:.1f} s; {stored} stored")
    wall = sent.finished - sent.started
    return {"created": sent.statuses.get(201, 0), "statuses": dict(sent.statuses), "stored": stored,
            "per_second": sent.statuses.get(201, 0) / wall, "p50": percentile(sent.seconds, 0.5) * 1000,
            "p95": percentile(sent.seconds, 0.95) * 1000,
            "cpu_ms": {k: 1000 * v / max(1, len(timed)) for k, v in cpu.items()}, "load": load}


def line_webhooks_for(users: list[str], destination: str, secret: str, rng: random.Random,
                      first_id: int) -> list[tuple[bytes, dict[str, str]]]:
    """One signed webhook per user, one text message each: each opens a new conversation."""
    now_ms = int(time.time() * 1000)
    out = []
    for i, user in enumerate(users):
        text = rng.choice(CUSTOMER_TEXTS).format(n=rng.randint(10_000_000, 99_999_999))
        event = {
            "type": "message", "mode": "active", "timestamp": now_ms + i,
            "message": {"type": "text", "id": str(first_id + i), "quoteToken": secrets.token_urlsafe(48), "text": text},
            "webhookEventId": ulid(rng, now_ms + i), "deliveryContext": {"isRedelivery": False},
            "source": {"type": "user", "userId": user}, "replyToken": secrets.token_hex(16),
        }
        body = json.dumps({"destination": destination, "events": [event]}, ensure_ascii=False,
                          separators=(",", ":")).encode()
        signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        out.append((body, {"content-type": "application/json; charset=utf-8", "x-line-signature": signature,
                           "user-agent": "LineBotWebhook/2.0"}))
    return out


def ruamchat_creates(rc: Ruamchat, opts: argparse.Namespace) -> dict[str, Any]:
    work_dir = Path(opts.data_dir) / "ruamchat-create"
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    rng = random.Random(opts.random_seed)
    users = [line_user_id(rng) for _ in range(opts.create_warmup + opts.creates)]
    names = {u: rng.choice(DISPLAY_NAMES) for u in users}
    destination, channel_secret = line_user_id(rng), secrets.token_hex(16)
    recreate_database(rc.admin_url, RC_DATABASE)
    try:
        with FakeLine(names) as fake, Processes() as procs:
            env = rc.env(RC_DATABASE, work_dir, RUAMCHAT_LINE_API_URL=fake.url, RUAMCHAT_LINE_DATA_URL=fake.url)
            log("ruamchat: migrating")
            rc.command(env, "migrate", "-v0")
            rc.command(env, "createadmin", "--username", ADMIN, "--password", secrets.token_urlsafe(18))
            token = rc.command(env, "token", "create", "--user", ADMIN, "--name", "bench").strip()
            base = rc.serve(procs, env, work_dir, opts)
            with httpx.Client(base_url=f"{base}/api/v1", timeout=60,
                              headers={"Authorization": f"Bearer {token}"}) as api:
                team = created(api.post("/teams", json={"name": "ฝ่ายบริการลูกค้า", "kind": "service"}))
                channel = created(api.post("/channels", json={
                    "kind": "line", "name": "LINE OA", "default_team_id": team["id"],
                    "config": {"line_channel_id": str(rng.randint(1_000_000_000, 2_999_999_999))},
                    "secrets": {"channel_secret": channel_secret, "access_token": secrets.token_urlsafe(128)},
                }))
                url = base + (urlsplit(channel.get("webhook_url") or "").path or f"/hooks/line/{channel['key']}/")

                def visible() -> int:
                    page = api.get("/conversations", params={"queue": "all", "status": "any",
                                                             "channel": channel["id"], "limit": 1})
                    page.raise_for_status()
                    return int(page.json()["count"])

                def wait_visible(expected: int) -> float | None:
                    deadline = time.monotonic() + opts.timeout
                    while time.monotonic() < deadline:
                        procs.check_alive()
                        if visible() >= expected:
                            return time.monotonic()
                        time.sleep(opts.poll)
                    return None

                warm = line_webhooks_for(users[:opts.create_warmup], destination, channel_secret, rng, 10**17)
                timed = line_webhooks_for(users[opts.create_warmup:], destination, channel_secret, rng, 2 * 10**17)
                log(f"ruamchat: warming up with {len(warm)} webhooks, then {len(timed)} new customers' webhooks "
                    f"from {opts.concurrency} clients")
                warm_sent = asyncio.run(post_all(url, warm, opts.concurrency))
                if warm_sent.statuses.get(200, 0) != len(warm) or wait_visible(len(warm)) is None:
                    raise SystemExit(f"ruamchat warm-up webhooks answered {dict(warm_sent.statuses)} or were not "
                                     "all visible; see server.log/worker.log")
                cpu_before, load = procs.cpu_seconds(), [os.getloadavg()[0]]
                sent = asyncio.run(post_all(url, timed, opts.concurrency))
                visible_at = wait_visible(len(warm) + sent.statuses.get(200, 0))
                cpu = {k: v - cpu_before[k] for k, v in procs.cpu_seconds().items()}
                load.append(os.getloadavg()[0])
                shown = visible() - len(warm)
    finally:
        if not opts.keep:
            drop_database(rc.admin_url, RC_DATABASE)
            shutil.rmtree(work_dir, ignore_errors=True)
    accepted = sent.statuses.get(200, 0)
    log(f"ruamchat: {dict(sent.statuses)} in {sent.finished - sent.started:.1f} s; {shown} conversations visible "
        f"after {(visible_at or time.monotonic()) - sent.started:.1f} s")
    return {"accepted": accepted, "statuses": dict(sent.statuses), "visible": shown,
            "per_second": accepted / (sent.finished - sent.started),
            "created_per_second": (shown / (visible_at - sent.started)) if visible_at else None,
            "p50": percentile(sent.seconds, 0.5) * 1000, "p95": percentile(sent.seconds, 0.95) * 1000,
            "line_calls": sum(fake.calls.values()),
            "cpu_ms": {k: 1000 * v / max(1, len(timed)) for k, v in cpu.items()}, "load": load}


def created(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 201:
        raise SystemExit(f"POST {response.request.url} answered {response.status_code}: {response.text[:500]}")
    return dict(response.json())


# ====================================================================== 2. listing them


def list_both(hd: Helpdesk, rc: Ruamchat, size: int,
              opts: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    """Seed both to ``size`` tickets, serve both, and time their lists with interleaved requests."""
    hd_db, hd_dir = f"{HD_DATABASE}_{size}", Path(opts.data_dir) / f"helpdesk-{size}"
    rc_db, rc_dir = f"{RC_DATABASE}_{size}", Path(opts.data_dir) / f"ruamchat-{size}"
    target = queue_pages.Target("postgres", size, rc_dir, database_url(rc.admin_url, rc_db), pg_name=rc_db)
    try:
        info = hd.prepare(hd_db, hd_dir, size, opts)
        log(f"ruamchat N={size}: preparing {rc_db} with benchmarks/queue_pages.py's seeder")
        seed = queue_pages.prepare(target, argparse.Namespace(keep=opts.keep, pg_admin_url=rc.admin_url, messages=4,
                                                              random_seed=opts.random_seed))
        rc_env = rc.env(rc_db, rc_dir)
        password = secrets.token_urlsafe(18)
        rc.command(rc_env, "shell", "-c", "from django.contrib.auth.models import User; "
                   f"u = User.objects.get(username={SUPERVISOR!r}); u.set_password({password!r}); u.save()")
        token = rc.command(rc_env, "token", "create", "--user", SUPERVISOR, "--name", "bench-list").strip()
        with Processes() as procs, httpx.Client(timeout=opts.request_timeout) as hd_ui, \
                httpx.Client(timeout=opts.request_timeout) as rc_ui:
            hd_ui.base_url = hd.serve(procs, hd_db, hd_dir, opts)
            # No job worker while listing: nothing here needs one, and its periodic jobs would first index the
            # bulk-seeded messages for search, taking the CPUs from both servers.
            rc_ui.base_url = rc.serve(procs, rc_env, rc_dir, opts, worker=False)
            hd_api = {"Authorization": f"Token {info['token']}"}
            rc_api = {"Authorization": f"Bearer {token}"}
            sign_in(hd_ui, "/helpdesk/login/", ADMIN, info["password"], "/helpdesk/tickets/")
            sign_in(rc_ui, "/login/", SUPERVISOR, password, "/inbox/")
            page = hd_ui.get("/helpdesk/tickets/")
            found = re.search(r'"(/helpdesk/datatables_ticket_list/[A-Za-z0-9+/=]+)"', page.text)
            if page.status_code != 200 or not found:
                raise SystemExit(f"helpdesk ticket list answered {page.status_code} without its data URL")
            data_url = found.group(1)
            # The first page as its table asks for it, sorted by "created", newest first.
            data_params = {"draw": "1", "start": "0", "length": "25", "order[0][column]": "5",
                           "order[0][dir]": "desc", "search[value]": ""}
            first = hd_ui.get(data_url, params=data_params).json()
            htmx = {"HX-Request": "true"}
            rc_params = {"queue": "all", "status": "any", "limit": "25"}
            measures = [
                Measure(f"helpdesk N={size} list page + data", [
                    ("page", lambda: hd_ui.get("/helpdesk/tickets/")),
                    ("data", lambda: hd_ui.get(data_url, params=data_params))]),
                Measure(f"ruamchat N={size} queue page + list", [
                    ("page", lambda: rc_ui.get("/inbox/", params={"queue": "all"})),
                    ("data", lambda: rc_ui.get("/inbox/list", params={"queue": "all"}, headers=htmx))]),
                Measure(f"helpdesk N={size} API list", [
                    ("api", lambda: hd_ui.get("/helpdesk/api/tickets/", headers=hd_api))]),
                Measure(f"ruamchat N={size} API list", [
                    ("api", lambda: rc_ui.get("/api/v1/conversations", params=rc_params, headers=rc_api))]),
            ]
            interleaved(measures, opts)
            counts = {status: rc_ui.get("/api/v1/conversations", headers=rc_api,
                                        params={**rc_params, "status": status, "limit": "1"}).json()["count"]
                      for status in ("open", "any")}
            procs.check_alive()
    finally:
        if not opts.keep:
            drop_database(hd.admin_url, hd_db)
            queue_pages.drop_database(target, rc.admin_url)
            shutil.rmtree(hd_dir, ignore_errors=True)
            shutil.rmtree(rc_dir, ignore_errors=True)
    hd_ui_m, rc_ui_m, hd_api_m, rc_api_m = measures
    def result(ui: Measure, api: Measure) -> dict[str, Any]:
        return {"ui": ui.times, "api": api.times, "cold": {"ui": ui.cold, "api": api.cold},
                "timed_out": {"ui": ui.timed_out, "api": api.timed_out}}

    return ({**result(hd_ui_m, hd_api_m), "listed": first.get("recordsFiltered"), "total": first.get("recordsTotal"),
             "seed": info.get("seed")},
            {**result(rc_ui_m, rc_api_m), "listed": counts["open"], "total": counts["any"], "seed": seed})


# ====================================================================== the table


def ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def ratio(value: float | None) -> str:
    return "-" if value is None else (f"{value:.2f}" if value < 10 else f"{value:,.0f}")


def div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def build_rows(creates: dict[str, Any] | None, lists: list[tuple[int, dict[str, Any], dict[str, Any]]],
               opts: argparse.Namespace) -> tuple[list[list[str]], list[dict[str, Any]]]:
    """Markdown rows and machine-readable rows (one per metric)."""
    table: list[list[str]] = []
    data: list[dict[str, Any]] = []
    if creates:
        hd, rc = creates["helpdesk"], creates["ruamchat"]
        n = opts.creates
        for work, unit, hd_value, rc_value in (
            ("create: answered per second (helpdesk: POST /api/tickets/ → 201; ruamchat: signed LINE webhook "
             "of a new customer → 200)", "/s", hd["per_second"], rc["per_second"]),
            ("create: created per second (stored; ruamchat: the conversation visible in GET /api/v1/conversations)",
             "/s", hd["per_second"], rc["created_per_second"]),
        ):
            r = div(rc_value, hd_value)
            table.append([work, f"{n:,}", f"{hd_value:,.0f} {unit}",
                          f"{rc_value:,.0f} {unit}" if rc_value else "timeout", ratio(r)])
            data.append({"work": work, "size": n, "unit": unit, "helpdesk": hd_value, "ruamchat": rc_value,
                         "ratio": r})
        r50, r95 = div(hd["p50"], rc["p50"]), div(hd["p95"], rc["p95"])
        work = f"create: time to answer one request, p50 / p95 ms ({opts.concurrency} concurrent clients)"
        table.append([work, f"{n:,}", f"{ms(hd['p50'])} / {ms(hd['p95'])}", f"{ms(rc['p50'])} / {ms(rc['p95'])}",
                      f"{ratio(r50)} / {ratio(r95)}"])
        for q, r in (("p50", r50), ("p95", r95)):
            data.append({"work": f"create: answer {q} ms", "size": n, "unit": "ms", "helpdesk": hd[q],
                         "ruamchat": rc[q], "ratio": r})
    works = (
        ("page", "ticket list page, HTML (helpdesk /helpdesk/tickets/; ruamchat /inbox/?queue=all as a supervisor)"),
        ("data", "first page of the list's rows (helpdesk: the page's datatables JSON, newest first; "
                 "ruamchat: the htmx list /inbox/list?queue=all)"),
        ("total", "what the agent waits for: page, then its data request (round of the two above)"),
        ("api", "list API, first page of 25, all statuses (helpdesk /api/tickets/ with a token; ruamchat "
                "GET /api/v1/conversations?status=any&limit=25 with a token)"),
    )
    for key, work in works:
        for size, hd, rc in lists:
            group = "api" if key == "api" else "ui"
            hd_v, rc_v = hd[group][key], rc[group][key]
            h50, h95, c50, c95 = (percentile(hd_v, 0.5), percentile(hd_v, 0.95), percentile(rc_v, 0.5),
                                  percentile(rc_v, 0.95))
            r50, r95 = div(h50, c50), div(h95, c95)
            cells = []
            for side, values, v50, v95 in ((hd, hd_v, h50, h95), (rc, rc_v, c50, c95)):
                if side["timed_out"][group]:
                    cells.append(f"> {ms(v95)} (no answer within {opts.request_timeout:.0f} s)")
                    continue
                few = f" (n={len(values)})" if len(values) < 10 else ""
                cells.append(f"{ms(v50)} / {ms(v95)}" + (" (n=1, no warm-up)" if side["cold"][group] else few))
            # a timed-out time is a lower bound, and so is the ratio it makes (an upper one for ruamchat's)
            bound = ">" if hd["timed_out"][group] else "<" if rc["timed_out"][group] else ""
            table.append([work, f"{size:,}", *cells, f"{bound}{ratio(r50)} / {bound}{ratio(r95)}"])
            for q, h, c, r in (("p50", h50, c50, r50), ("p95", h95, c95, r95)):
                data.append({"work": f"{key}: {work}", "size": size, "unit": f"{q} ms", "helpdesk": h,
                             "ruamchat": c, "ratio": r, "requests": {"helpdesk": len(hd_v), "ruamchat": len(rc_v)},
                             "timed_out": {"helpdesk": hd["timed_out"][group], "ruamchat": rc["timed_out"][group]}})
    return table, data


def print_report(creates: dict[str, Any] | None, lists: list[tuple[int, dict[str, Any], dict[str, Any]]],
                 hd: Helpdesk, rc: Ruamchat, opts: argparse.Namespace, wall: float) -> None:
    table, data = build_rows(creates, lists, opts)
    head = ("work", "size", "django-helpdesk", "ruamchat", "ratio")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for row in table:
        print("| " + " | ".join(row) + " |")
    print("\nratio: helpdesk ÷ ruamchat for times, ruamchat ÷ helpdesk for rates, so > 1 means ruamchat is better "
          "(times: p50 / p95 ratios).")
    print("The compared unit when creating: a new customer ticket with its first message (django-helpdesk: a ticket "
          "with its \"Ticket Opened\" follow-up, mails rendered but not sent; ruamchat: a new contact and "
          "conversation with the message, processed by the job worker after the 200 answer).")
    if creates:
        hd_c, rc_c = creates["helpdesk"], creates["ruamchat"]
        print(f"Creates: helpdesk answered {hd_c['statuses']}, {hd_c['stored']:,} tickets stored; ruamchat "
              f"answered {rc_c['statuses']}, {rc_c['visible']:,} conversations visible, {rc_c['line_calls']:,} "
              f"calls to the stand-in LINE API (profile look-ups); {opts.create_warmup} warm-up requests each "
              f"first (not counted).")
        cpu = "; ".join(f"{name} {value:.0f}" for side in (hd_c, rc_c) for name, value in side["cpu_ms"].items())
        print(f"CPU ms per created ticket, all processes of each (PostgreSQL's own work not counted): {cpu}. "
              f"Creates run one system after the other; 1-min load average before → after: helpdesk "
              f"{hd_c['load'][0]:.1f} → {hd_c['load'][1]:.1f}, ruamchat {rc_c['load'][0]:.1f} → {rc_c['load'][1]:.1f}.")
    for size, hd_l, rc_l in lists:
        seed = hd_l.get("seed") or {}
        print(f"N={size:,}: helpdesk lists {hd_l['listed']:,} open/reopened of {hd_l['total']:,} tickets"
              + (f" ({seed.get('followups', 0):,} follow-ups, seeded in {seed.get('seconds', 0):.0f} s)" if seed
                 else " (kept database)")
              + f"; ruamchat lists {rc_l['listed']:,} open of {rc_l['total']:,} conversations "
              f"({rc_l['seed'].get('messages', 0):,} messages, seeded in {rc_l['seed'].get('seconds', 0):.0f} s"
              + (", kept" if rc_l["seed"].get("reused") else "") + ").")
    print(f"Listing: both servers up at once, each signed in over HTTP; sequential requests, the rounds of the four "
          f"measures interleaved (so both see the same load of a shared machine); {opts.warmup} warm-up rounds, "
          f"then up to {opts.requests} rounds or {opts.budget:.0f} s per measure (n= shows fewer than 10 rounds). "
          f"Both run 2 server processes on the same PostgreSQL, conn_max_age 0 on both.")
    v = hd.versions
    pg = ""
    try:
        with pg_admin(opts.pg_admin_url) as admin:
            pg = str(admin.execute("SHOW server_version").fetchone()[0])
    except Exception:  # only a label
        pg = "?"
    from importlib.metadata import version

    print(f"Versions: django-helpdesk {v.get('django-helpdesk', '?')} (Django {v.get('django', '?')}, "
          f"djangorestframework {v.get('djangorestframework', '?')}, gunicorn {v.get('gunicorn', '?')} "
          f"--workers 2 --worker-class gthread --threads {opts.threads}); ruamchat {version('ruamchat')} "
          f"(Django {version('django')}) as {rc.serve_mode}; PostgreSQL {pg}.")
    print(f"Machine: {common.machine()}. Wall time {wall / 60:.1f} min.")
    print(RESULT_PREFIX + json.dumps({"benchmark": "helpdesk_compare", "rows": data,
                                      "versions": {**v, "ruamchat": version("ruamchat")},
                                      "serve_mode": rc.serve_mode}, ensure_ascii=False))


# ====================================================================== command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="ticket counts to list at, comma-separated")
    parser.add_argument("--quick", action="store_true", help="sizes 1000,10000")
    parser.add_argument("--creates", type=int, default=1000, help="tickets created through each system (0: skip)")
    parser.add_argument("--create-warmup", type=int, default=20, help="untimed creates first")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients when creating")
    parser.add_argument("--requests", type=int, default=50, help="timed rounds per list measure (at most)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed rounds per list measure first")
    parser.add_argument("--budget", type=float, default=20, help="seconds per list measure, after which it stops")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="threads of the ruamchat worker")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait until created tickets show")
    parser.add_argument("--request-timeout", type=float, default=120,
                        help="seconds a list request may take; one that takes longer counts as that, and its "
                             "measure stops")
    parser.add_argument("--poll", type=float, default=0.25, help="seconds between API reads while waiting")
    parser.add_argument("--keep", action="store_true",
                        help="keep the databases (and reuse seeded ones that hold N tickets on the next run)")
    parser.add_argument("--data-dir", default="/tmp/ruamchat-bench-helpdesk",
                        help="the helpdesk venv, work dirs and logs go here")
    parser.add_argument("--pg-admin-url", default=os.environ.get("RUAMCHAT_BENCH_PG_URL", common.PG_ADMIN_URL),
                        help="a PostgreSQL superuser URL used to create the benchmark databases")
    parser.add_argument("--redis-url", default="", help="RUAMCHAT_REDIS_URL for ruamchat (default none)")
    parser.add_argument("--random-seed", type=int, default=20240601)
    opts = parser.parse_args(argv)
    if opts.quick:
        opts.sizes = "1000,10000"
    return opts


def main(argv: list[str] | None = None) -> None:
    opts = parse_args(argv)
    started = time.monotonic()
    sizes = [int(s.replace("_", "")) for s in opts.sizes.split(",") if s.strip()]
    data_dir = Path(opts.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    hd = Helpdesk(data_dir, opts.pg_admin_url)
    rc = Ruamchat(opts.pg_admin_url, opts.redis_url)
    with sigterm_as_interrupt():
        hd.ensure_venv()
        probe = data_dir / "ruamchat-probe"
        probe.mkdir(exist_ok=True)
        rc.choose_serve_mode(rc.env(RC_DATABASE, probe), opts)
        shutil.rmtree(probe, ignore_errors=True)
        log(f"ruamchat runs as {rc.serve_mode}")
        creates = None
        if opts.creates:
            creates = {"helpdesk": helpdesk_creates(hd, opts), "ruamchat": ruamchat_creates(rc, opts)}
        lists = [(size, *list_both(hd, rc, size, opts)) for size in sizes]
    print_report(creates, lists, hd, rc, opts, time.monotonic() - started)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted; the servers are stopped (databases are dropped at the end of each step unless --keep)")
        sys.exit(130)
