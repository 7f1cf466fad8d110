"""Run ruamchat's scaled set-up for real, as separate processes, for the cluster tests (and anyone else).

Everything listens on 127.0.0.1 on free ports; every process gets its own log file, is stopped at the end
(SIGTERM, then SIGKILL) and has its log tail shown when a test fails (tests/cluster/conftest.py).

The pieces:

- ``Services``: the PostgreSQL admin URL and the Redis URL of ``scripts/services`` (``services_from_env``).
- ``Database``: a database of its own on a PostgreSQL server: made empty or cloned from a migrated template
  (``CREATE DATABASE … TEMPLATE``, much quicker than migrating; ``load_from`` copies one to another server),
  queried with psycopg, dropped at the end.
- ``PrivatePostgres``: a PostgreSQL server of the test's own (``scripts/services`` with a directory and a
  port of its own), which a test may stop and start without disturbing anyone else.
- ``Cluster``: the shared environment of one set-up (data dir, database, Redis with a channel prefix of its
  own, secret key, a ``FakeLineApi`` the processes call instead of LINE, short job leases) and the processes
  started in it: ``serve_asgi`` (``ruamchat serve --no-worker``: HTTP and websockets), ``serve_wsgi``
  (``ruamchat serve --wsgi``: plain HTTP), ``worker`` (``ruamchat worker``), ``nginx`` (deploy/nginx/
  ruamchat.conf in front of them); ``run`` for one-off commands (migrate, createadmin, token create);
  ``wait`` to poll a condition while checking that no process died.
- ``Api``: the REST API with a token (teams, LINE channels, replies).
- Webhooks: ``text_webhook`` builds a signed LINE text-message webhook; ``WebhookSender`` posts many at once
  (optionally paced, optionally redelivering like a provider when answered 503 or not at all, honouring
  Retry-After), in the foreground or in a background thread; ``ReplySender`` posts agent replies likewise.
- What happened: in the database (``count_incoming``, ``incoming_message_ids``, ``outgoing_statuses``,
  ``jobs_by_status``, ``job_holders``) and at the fake provider (``push_requests_by_text``,
  ``pushes_by_retry_key``, ``delivered_texts``).
- ``scale``: load sizes times RUAMCHAT_CLUSTER_SCALE, to try a heavy test out quickly.

In pytest, tests/cluster/conftest.py has the fixtures: ``cluster`` (a Cluster on a fresh copy of a database
migrated once per session, shared PostgreSQL and Redis, no processes yet), ``line`` (its FakeLineApi),
``cluster_services``, ``migrated_template``, and ``register(request, cluster)`` for a Cluster made by hand.

A minimal set-up by hand::

    services = services_from_env()
    with FakeLineApi(access_token=LINE_ACCESS_TOKEN) as line, Database.create(services.pg_admin_url) as db:
        cluster = Cluster(tmp_path, database=db, redis_url=services.redis_url, line=line)
        try:
            cluster.migrate()
            token = cluster.create_admin("admin", "a-long-password-1")
            web = cluster.serve_wsgi("web")
            cluster.worker("worker")
            api = Api(web.url, token)
            channel = api.create_line_channel(api.create_team("Service")["id"])
            hook = text_webhook(channel, line_user_id(), "สวัสดีค่ะ", "1")
            WebhookSender([channel.hook_url(web.url)], [hook]).run()
        finally:
            cluster.close()
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import httpx

from tests.fakes.line_api import FakeLineApi, webhook_headers

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
RUAMCHAT = str(VENV_BIN / "ruamchat")
NGINX = os.environ.get("RUAMCHAT_NGINX", "/usr/sbin/nginx")
NGINX_SITE = ROOT / "deploy" / "nginx" / "ruamchat.conf"
SERVICES_SCRIPT = ROOT / "scripts" / "services"
#: the access token of the LINE channels the helpers make; a FakeLineApi must be made with it
LINE_ACCESS_TOKEN = "cluster-line-access-token"
START_HINT = "start them with `bash scripts/services start postgres redis` and `eval \"$(bash scripts/services env)\"`"


class ClusterError(AssertionError):
    """Something in the set-up did not work (a process died, a wait timed out, a command failed)."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scale(count: int, minimum: int = 1) -> int:
    """``count`` times RUAMCHAT_CLUSTER_SCALE (default 1: the sizes the issue asks for). A smaller scale is for
    trying a test out quickly while changing it; the test stage runs the full sizes."""
    factor = float(os.environ.get("RUAMCHAT_CLUSTER_SCALE") or 1)
    return max(minimum, round(count * factor))


# ====================================================================== PostgreSQL and Redis


@dataclass(frozen=True)
class Services:
    pg_admin_url: str  # a superuser on the server that databases are made on
    redis_url: str


def services_from_env() -> Services:
    """The PostgreSQL and Redis of ``scripts/services`` (RUAMCHAT_TEST_POSTGRES_URL / RUAMCHAT_TEST_REDIS_URL),
    checked to answer. Raises ClusterError saying how to start them."""
    pg = os.environ.get("RUAMCHAT_TEST_POSTGRES_URL", "")
    redis = os.environ.get("RUAMCHAT_TEST_REDIS_URL", "")
    if not pg or not redis:
        raise ClusterError(f"the cluster tests need PostgreSQL and Redis (RUAMCHAT_TEST_POSTGRES_URL and "
                           f"RUAMCHAT_TEST_REDIS_URL unset): {START_HINT}")
    try:
        import psycopg

        with psycopg.connect(pg, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        raise ClusterError(f"PostgreSQL at {pg} does not answer ({exc}): {START_HINT}") from exc
    try:
        import redis as redis_client

        redis_client.Redis.from_url(redis, socket_connect_timeout=5).ping()
    except Exception as exc:
        raise ClusterError(f"Redis at {redis} does not answer ({exc}): {START_HINT}") from exc
    return Services(pg, redis)


class Database:
    """A database of its own on the server of ``admin_url``; ``url`` is what RUAMCHAT_DATABASE_URL gets."""

    def __init__(self, admin_url: str, name: str) -> None:
        self.admin_url = admin_url
        self.name = name
        self.url = admin_url.rsplit("/", 1)[0] + f"/{name}"

    @classmethod
    def create(cls, admin_url: str, *, template: Database | None = None, prefix: str = "rc_cluster") -> Database:
        """A new, empty database (or a copy of ``template``, which nobody may be connected to)."""
        from psycopg import sql

        db = cls(admin_url, f"{prefix}_{uuid.uuid4().hex[:12]}")
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db.name))
        if template is not None:
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(db.name), sql.Identifier(template.name))
        with db._admin() as admin:
            admin.execute(statement)
        return db

    def _admin(self) -> Any:
        import psycopg

        return psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10)

    def drop(self) -> None:
        from psycopg import sql

        with self._admin() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.drop()

    def load_from(self, source: Database) -> None:
        """Copy ``source`` (schema and rows) into this empty database, on whatever server: pg_dump | psql."""
        dump = subprocess.run([_pg_tool("pg_dump"), "--no-owner", "--no-privileges", "-d", source.url],
                              capture_output=True, timeout=300, check=False)
        if dump.returncode != 0:
            raise ClusterError(f"pg_dump {source.name} failed:\n{dump.stderr.decode(errors='replace')[-3000:]}")
        load = subprocess.run([_pg_tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url],
                              input=dump.stdout, capture_output=True, timeout=300, check=False)
        if load.returncode != 0:
            raise ClusterError(f"loading {source.name} into {self.name} failed:\n"
                               f"{load.stderr.decode(errors='replace')[-3000:]}")

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one query, on a connection of its own (so it works again after the server restarted)."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            return list(conn.execute(statement, params).fetchall())

    def scalar(self, statement: str, params: Sequence[Any] = ()) -> Any:
        rows = self.query(statement, params)
        return rows[0][0] if rows else None


def _pg_tool(name: str) -> str:
    """A PostgreSQL client program, preferably of the newest server installed (as scripts/services uses)."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3])
                   if p.parts[-3].isdigit() else 0)
    return str(found[-1]) if found else name


class _PrivateServer:
    """A server of the caller's own, run by ``scripts/services`` with a directory and a port of its own, so it
    can be stopped and started without touching the shared one. The directory is made under /tmp directly:
    PostgreSQL runs as the ``postgres`` user, which cannot enter pytest's private tmp_path."""

    service = ""
    port_variable = ""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix=f"rc-cluster-{self.service}-"))
        self.port = free_port()

    def _services(self, action: str) -> None:
        env = {**os.environ, "RUAMCHAT_SERVICES_DIR": str(self.directory), self.port_variable: str(self.port)}
        done = subprocess.run(["bash", str(SERVICES_SCRIPT), action, self.service], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=180, check=False)
        if done.returncode != 0:
            raise ClusterError(f"scripts/services {action} {self.service} (port {self.port}) failed "
                               f"(exit {done.returncode}):\n{done.stderr[-3000:]}")

    def start(self) -> Self:
        self._services("start")
        return self

    def stop(self) -> None:
        self._services("stop")

    def close(self) -> None:
        """Stop it (if running) and delete its data."""
        try:
            self._services("stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


class PrivatePostgres(_PrivateServer):
    """A PostgreSQL server of the test's own."""

    service = "postgres"
    port_variable = "RUAMCHAT_PG_PORT"

    def __init__(self) -> None:
        super().__init__()
        self.admin_url = f"postgres://ruamchat@127.0.0.1:{self.port}/ruamchat"
        self.log = self.directory / "postgres.log"


class PrivateRedis(_PrivateServer):
    """A Redis server of the test's own (no persistence: a restart forgets everything, as in production
    set-ups without it)."""

    service = "redis"
    port_variable = "RUAMCHAT_REDIS_PORT"

    def __init__(self) -> None:
        super().__init__()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def flush(self) -> None:
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=5, socket_timeout=5)
        try:
            client.flushall()
        finally:
            client.close()

    def log_tail(self, lines: int = 30) -> str:
        return _tail(self.log, lines)


# ====================================================================== processes


def _tail(path: Path, lines: int) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 200 * lines))
            text = fh.read().decode("utf-8", "replace")
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join(text.splitlines()[-lines:])


class Process:
    """One process started by a Cluster: its own session (and process group), output in ``log_path``."""

    def __init__(self, name: str, argv: list[str], popen: subprocess.Popen[bytes], log_path: Path,
                 port: int | None = None) -> None:
        self.name = name
        self.argv = argv
        self.popen = popen
        self.log_path = log_path
        self.port = port
        #: stopped or killed on purpose: its exit is not an error
        self.expected_exit = False

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def url(self) -> str:
        if self.port is None:
            raise ClusterError(f"{self.name} does not listen on a port")
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        return _tail(self.log_path, lines)

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or `kill -9` would: no clean-up at all."""
        self.expected_exit = True
        if self.alive():
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM (a clean stop), then SIGKILL to the whole process group after ``timeout``."""
        self.expected_exit = True
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=30)
        # children it left behind (gunicorn's workers, nginx's) share its process group
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)

    def __repr__(self) -> str:
        return f"<{self.name} pid {self.pid}{f' :{self.port}' if self.port else ''}>"


class Cluster:
    """The shared environment of one scaled set-up and the processes running in it.

    ``database`` must exist (and be migrated, or call ``migrate``); the Cluster does not drop it. ``line`` is
    the FakeLineApi the processes call as the LINE API. Call ``close`` at the end (stops every process)."""

    def __init__(self, workdir: Path, *, database: Database, redis_url: str, line: FakeLineApi,
                 lease_seconds: int = 10, extra_env: dict[str, str] | None = None, name: str = "cluster") -> None:
        self.name = name
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.log_dir = workdir / "logs"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.database = database
        self.line = line
        self.channel_prefix = f"rc-cluster-{uuid.uuid4().hex[:10]}"
        self.processes: list[Process] = []
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("RUAMCHAT_", "DJANGO_"))}
        self.env.update({
            "DJANGO_SETTINGS_MODULE": "ruamchat.settings",
            "PYTHONUNBUFFERED": "1",
            "RUAMCHAT_DATA_DIR": str(self.data_dir),
            "RUAMCHAT_DATABASE_URL": database.url,
            "RUAMCHAT_REDIS_URL": redis_url,
            "RUAMCHAT_CHANNEL_PREFIX": self.channel_prefix,
            "RUAMCHAT_SECRET_KEY": secrets.token_urlsafe(50),
            "RUAMCHAT_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "RUAMCHAT_DEBUG": "0",
            "RUAMCHAT_WORKER_IN_PROCESS": "0",
            "RUAMCHAT_LINE_API_URL": line.api_url,
            "RUAMCHAT_LINE_DATA_URL": line.data_url,
            "RUAMCHAT_OUTBOUND_ALLOW": "127.0.0.1",  # the fake LINE API
            "RUAMCHAT_JOB_LEASE_SECONDS": str(lease_seconds),
            "RUAMCHAT_LOG_LEVEL": "warning",
            **(extra_env or {}),
        })

    # -- one-off commands ------------------------------------------------------------------------------------

    def run(self, *args: str, timeout: float = 300) -> str:
        """``ruamchat <args>`` to completion; its stdout. Raises ClusterError with its output if it fails."""
        done = subprocess.run([RUAMCHAT, *args], env=self.env, cwd=self.workdir, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if done.returncode != 0:
            raise ClusterError(f"ruamchat {' '.join(args)} failed (exit {done.returncode}):\n"
                               f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        return done.stdout

    def migrate(self) -> None:
        self.run("migrate", "--no-input", "-v0", timeout=600)

    def create_admin(self, username: str = "admin", password: str = "cluster-admin-password-9") -> str:
        """An administrator who can sign in with ``password``; returns a new API token of theirs."""
        self.run("createadmin", "--username", username, "--password", password, "--email", f"{username}@example.com")
        return self.run("token", "create", "--user", username, "--name", "cluster-tests").strip()

    # -- long-running processes ------------------------------------------------------------------------------

    def spawn(self, name: str, argv: list[str], *, port: int | None = None) -> Process:
        """Start any command in the cluster's environment, logging to logs/<name>.log."""
        if any(p.name == name for p in self.processes):
            raise ClusterError(f"a process named {name!r} was already started")
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("ab") as log:
            # its own session: a Ctrl+C in the terminal reaches only pytest, which then stops everything in order
            popen = subprocess.Popen(argv, env=self.env, cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        process = Process(name, argv, popen, log_path, port)
        self.processes.append(process)
        return process

    def serve_asgi(self, name: str, *, ready: bool = True) -> Process:
        """``ruamchat serve --no-worker``: HTTP and websockets (uvicorn), no jobs. Returns once /login/ answers
        (at once with ``ready=False``: start several, then ``wait_http`` each)."""
        port = free_port()
        process = self.spawn(name, [RUAMCHAT, "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)],
                             port=port)
        if ready:
            self.wait_http(process)
        return process

    def serve_wsgi(self, name: str, *, workers: int = 1, threads: int = 4, ready: bool = True) -> Process:
        """``ruamchat serve --wsgi``: plain HTTP from gunicorn. Returns once /login/ answers (at once with
        ``ready=False``)."""
        port = free_port()
        process = self.spawn(name, [RUAMCHAT, "serve", "--wsgi", "--host", "127.0.0.1", "--port", str(port),
                                    "--workers", str(workers), "--threads", str(threads)], port=port)
        if ready:
            self.wait_http(process)
        return process

    def worker(self, name: str, *, concurrency: int = 2) -> Process:
        """``ruamchat worker --concurrency N``. Returns at once (a worker has nothing to poll for readiness)."""
        return self.spawn(name, [RUAMCHAT, "worker", "--concurrency", str(concurrency)])

    def nginx(self, name: str, *, http: Sequence[Process], ws: Sequence[Process], ready_timeout: float = 30) -> Nginx:
        """nginx with deploy/nginx/ruamchat.conf: ``http`` processes behind ``/``, ``ws`` behind ``/ws/``."""
        server = Nginx(self.workdir / name, http_upstreams=[f"127.0.0.1:{p.port}" for p in http],
                       ws_upstreams=[f"127.0.0.1:{p.port}" for p in ws])
        server.process = self.spawn(name, server.argv(), port=server.port)
        self.wait_http(server.process, timeout=ready_timeout)
        return server

    def wait_http(self, process: Process, path: str = "/login/", timeout: float = 90) -> None:
        """Poll ``path`` until it answers 200 (the process died or the time ran out: ClusterError)."""
        last = "no answer yet"

        def answers() -> bool:
            nonlocal last
            try:
                response = httpx.get(process.url + path, timeout=5)
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
                return False
            last = f"HTTP {response.status_code}"
            return response.status_code == 200

        self.wait(answers, timeout=timeout, what=f"{process.name} to answer {path}", progress=lambda: last,
                  interval=0.2)

    def check_alive(self) -> None:
        """ClusterError if a process that should be running has exited."""
        for process in self.processes:
            if not process.expected_exit and not process.alive():
                raise ClusterError(f"{process.name} (pid {process.pid}) exited with {process.popen.returncode}:\n"
                                   f"{process.tail(60)}")

    def wait(self, condition: Callable[[], object], *, timeout: float, what: str,
             progress: Callable[[], object] | None = None, interval: float = 0.5) -> None:
        """Poll ``condition`` until true; meanwhile every process must stay up. ``progress`` says how far it got
        (in the error when the time runs out)."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            if condition():
                return
            if time.monotonic() > deadline:
                detail = f" ({progress()})" if progress is not None else ""
                raise ClusterError(f"waited {timeout:.0f} s for {what}{detail}")
            time.sleep(interval)  # polling the condition above, bounded by the deadline

    def logs_report(self, lines: int = 40) -> str:
        """The tail of every process's log, for a failed test's report."""
        parts = []
        for process in self.processes:
            state = "running" if process.alive() else f"exited {process.popen.returncode}"
            parts.append(f"----- {process.name} (pid {process.pid}, {state}): {process.log_path}\n"
                         f"{process.tail(lines)}")
        return "\n".join(parts) or "(no processes)"

    def close(self, timeout: float = 20) -> None:
        """Stop every process, whatever state they are in: SIGTERM to all at once, SIGKILL to what is left after
        ``timeout`` seconds."""
        for process in self.processes:
            process.expected_exit = True
            if process.alive():
                with suppress(ProcessLookupError):
                    process.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes:
            with suppress(Exception):
                process.stop(timeout=max(0.0, deadline - time.monotonic()))


# ====================================================================== nginx with the deploy configuration

_UPSTREAM_START = re.compile(r"^\s*upstream\s+(\S+)\s*\{")
_CHANGE = "# CHANGE:"


def render_site(template: str, *, http_upstreams: Sequence[str], ws_upstreams: Sequence[str], listen: str,
                server_name: str = "127.0.0.1 localhost") -> str:
    """deploy/nginx/ruamchat.conf with only its ``# CHANGE:`` lines replaced: the ``server`` lines of the
    ``ruamchat_http`` and ``ruamchat_ws`` upstreams (one per address given, in the style of the first), the
    ``listen`` and the ``server_name``. A ``# CHANGE:`` line of any other kind is an error, so the file and
    this function cannot drift apart unnoticed."""
    addresses = {"ruamchat_http": list(http_upstreams), "ruamchat_ws": list(ws_upstreams)}
    out: list[str] = []
    upstream: str | None = None
    replaced: set[str] = set()
    for line in template.splitlines():
        start = _UPSTREAM_START.match(line)
        if start:
            upstream = start.group(1)
        elif upstream is not None and line.strip() == "}":
            upstream = None
        code = line.split("#", 1)[0]
        if _CHANGE not in line or not code.strip():  # comments may talk about the marker
            out.append(line)
            continue
        indent = code[: len(code) - len(code.lstrip())]
        if upstream in addresses and re.match(r"\s*server\s", code):
            if upstream not in replaced:
                replaced.add(upstream)
                rest = code.strip().split(None, 2)[2] if len(code.strip().split(None, 2)) > 2 else ";"
                out += [f"{indent}server {address} {rest}".rstrip() for address in addresses[upstream]]
        elif re.match(r"\s*listen\s", code):
            out.append(f"{indent}listen {listen};")
        elif re.match(r"\s*server_name\s", code):
            out.append(f"{indent}server_name {server_name};")
        else:
            raise ClusterError(f"render_site does not know how to change this line: {line.strip()!r}")
    missing = set(addresses) - replaced
    if missing:
        raise ClusterError(f"no `# CHANGE:` server lines in the upstream(s) {sorted(missing)}")
    return "\n".join(out) + "\n"


class Nginx:
    """nginx in the foreground with a prefix, pid file and logs of its own, around the deploy site file.

    The access log (``access_log_lines``) names the upstream that served each request. ``site``: a site
    configuration to use as it is instead of deploy/nginx/ruamchat.conf rendered for the upstreams given."""

    def __init__(self, directory: Path, *, http_upstreams: Sequence[str] = (), ws_upstreams: Sequence[str] = (),
                 site: str | None = None) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.access_log = directory / "access.log"
        self.process: Process | None = None
        directory.mkdir(parents=True, exist_ok=True)
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (directory / temp).mkdir(exist_ok=True)
        if site is None:
            site = render_site(NGINX_SITE.read_text(), http_upstreams=http_upstreams, ws_upstreams=ws_upstreams,
                               listen=f"127.0.0.1:{self.port}")
        (directory / "ruamchat.conf").write_text(site)
        # As root nginx would hand its workers to "nobody", who cannot enter the test's private directories.
        user = "user root root;\n" if os.geteuid() == 0 else ""
        (directory / "nginx.conf").write_text(
            f"{user}daemon off;\n"
            "worker_processes 1;\n"
            f"pid {directory}/nginx.pid;\n"
            f"error_log {directory}/error.log notice;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            "    default_type application/octet-stream;\n"
            "    log_format upstreams '$request_method $uri $status upstream=$upstream_addr "
            "xff=\"$proxy_add_x_forwarded_for\"';\n"
            f"    access_log {self.access_log} upstreams;\n"
            f"    client_body_temp_path {directory / 'body'};\n"
            f"    proxy_temp_path {directory / 'proxy'};\n"
            f"    fastcgi_temp_path {directory / 'fastcgi'};\n"
            f"    uwsgi_temp_path {directory / 'uwsgi'};\n"
            f"    scgi_temp_path {directory / 'scgi'};\n"
            f"    include {directory}/ruamchat.conf;\n"
            "}\n"
        )

    def argv(self) -> list[str]:
        return [NGINX, "-p", f"{self.directory}/", "-c", str(self.directory / "nginx.conf"),
                "-e", str(self.directory / "error.log")]

    def test_config(self) -> None:
        """``nginx -t`` on the rendered configuration."""
        done = subprocess.run([*self.argv(), "-t"], capture_output=True, text=True, timeout=30, check=False)
        if done.returncode != 0:
            raise ClusterError(f"nginx -t failed:\n{done.stderr}")

    def access_log_lines(self) -> list[str]:
        try:
            return self.access_log.read_text().splitlines()
        except FileNotFoundError:
            return []


# ====================================================================== the REST API


@dataclass(frozen=True)
class LineChannel:
    id: int
    key: str
    secret: str  # the channel secret webhooks are signed with
    destination: str  # the bot's user id, as LINE puts it in every webhook

    @property
    def hook_path(self) -> str:
        return f"/hooks/line/{self.key}/"

    def hook_url(self, base: str) -> str:
        return base + self.hook_path


class Api:
    """The REST API (/api/v1) of one server, with a token."""

    def __init__(self, base: str, token: str, timeout: float = 60) -> None:
        self.base = base
        self.client = httpx.Client(base_url=f"{base}/api/v1", timeout=timeout,
                                   headers={"Authorization": f"Bearer {token}"})

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def post(self, path: str, payload: dict[str, Any], expect: int = 201) -> dict[str, Any]:
        response = self.client.post(path, json=payload)
        if response.status_code != expect:
            raise ClusterError(f"POST {path} answered {response.status_code}: {response.text[:2000]}")
        return dict(response.json())

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params)
        if response.status_code != 200:
            raise ClusterError(f"GET {path} answered {response.status_code}: {response.text[:2000]}")
        return response.json()

    def create_team(self, name: str = "ฝ่ายบริการลูกค้า", kind: str = "service") -> dict[str, Any]:
        return self.post("/teams", {"name": name, "kind": kind})

    def create_line_channel(self, team_id: int, *, name: str = "LINE OA ร้านรวมแชท",
                            access_token: str = LINE_ACCESS_TOKEN) -> LineChannel:
        secret = secrets.token_hex(16)
        made = self.post("/channels", {
            "kind": "line", "name": name, "default_team_id": team_id,
            "config": {"line_channel_id": str(random.randint(1_000_000_000, 2_999_999_999))},
            "secrets": {"channel_secret": secret, "access_token": access_token},
        })
        return LineChannel(int(made["id"]), str(made["key"]), secret, line_user_id())

    def reply(self, conversation_id: int, text: str) -> dict[str, Any]:
        return self.post(f"/conversations/{conversation_id}/messages", {"text": text})

    def conversation_ids(self, channel_id: int) -> list[int]:
        ids: list[int] = []
        offset: int | None = 0
        while offset is not None:
            page = self.get("/conversations", queue="all", status="any", channel=channel_id, limit=200,
                            offset=offset)
            ids += [int(item["id"]) for item in page["items"]]
            offset = page["next_offset"]
        return ids

    def messages(self, conversation_id: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        after: int | None = 0
        while after is not None:
            page = self.get(f"/conversations/{conversation_id}/messages", after_id=after, limit=500)
            found += page["items"]
            after = page["next_after_id"]
        return found


# ====================================================================== LINE webhooks


def line_user_id(rng: random.Random | None = None) -> str:
    """An id shaped like LINE's: U and 32 hex digits."""
    pick = rng or random.Random()
    return "U" + "".join(pick.choice("0123456789abcdef") for _ in range(32))


_event_ids = itertools.count(int(time.time() * 1000))


@dataclass(frozen=True)
class Webhook:
    """One signed webhook body with one text message in it."""

    body: bytes
    headers: dict[str, str]
    message_id: str  # LINE's message id: ruamchat's provider_message_id of the stored message
    event_id: str
    user_id: str
    text: str


def text_webhook(channel: LineChannel, user_id: str, text: str, message_id: str, *,
                 reply_token: str | None = None) -> Webhook:
    """A signed webhook like LINE sends for a customer's text message (one event, a fresh webhookEventId)."""
    now_ms = int(time.time() * 1000)
    event_id = f"01CLUSTER{next(_event_ids):017d}"
    event = {
        "type": "message",
        "message": {"type": "text", "id": message_id, "quoteToken": secrets.token_urlsafe(24), "text": text},
        "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": False},
        "timestamp": now_ms,
        "source": {"type": "user", "userId": user_id},
        "replyToken": reply_token or secrets.token_hex(16),
        "mode": "active",
    }
    body = json.dumps({"destination": channel.destination, "events": [event]}, ensure_ascii=False,
                      separators=(",", ":")).encode()
    return Webhook(body, webhook_headers(body, channel.secret), message_id, event_id, user_id, text)


CUSTOMER_TEXTS = (
    "สวัสดีครับ สั่งของไปเมื่อวาน ยังไม่ได้รับเลยครับ",
    "อยากทราบว่าสินค้ารุ่นนี้มีสีดำไหมคะ",
    "ชำระเงินแล้วแต่สถานะยังไม่อัปเดตค่ะ",
    "ขอเปลี่ยนไซซ์ได้ไหมครับ ใส่ไม่พอดี",
    "ร้านเปิดกี่โมงครับ วันอาทิตย์เปิดไหม",
    "เลขพัสดุ TH{n} ตรวจสอบให้หน่อยได้ไหมคะ",
    "คำสั่งซื้อ #{n} ยังไม่จัดส่งเลยครับ",
    "Hello, do you ship to Singapore?",
)


def many_text_webhooks(channel: LineChannel, users: Sequence[str], count: int, *, first_message_id: int,
                       rng: random.Random | None = None) -> list[Webhook]:
    """``count`` webhooks from ``users`` (in turn), message ids counting up from ``first_message_id``; every
    text ends with its message id, so each is told apart wherever it shows."""
    pick = rng or random.Random()
    hooks = []
    for i in range(count):
        message_id = str(first_message_id + i)
        text = pick.choice(CUSTOMER_TEXTS).format(n=pick.randint(10_000_000, 99_999_999)) + f" ({message_id})"
        hooks.append(text_webhook(channel, users[i % len(users)], text, message_id))
    return hooks


def post_webhook(url: str, hook: Webhook, timeout: float = 30) -> httpx.Response:
    """One webhook, posted once."""
    return httpx.post(url, content=hook.body, headers=hook.headers, timeout=timeout)


# ====================================================================== many requests at once


@dataclass
class SendLog:
    """What a sender saw: every answer's status (0 = no answer: refused, reset, timed out)."""

    statuses: Counter[int] = field(default_factory=Counter)
    #: 503 answers without a Retry-After header
    missing_retry_after: int = 0
    #: transport errors by kind
    errors: Counter[str] = field(default_factory=Counter)


class _Background:
    """Runs ``self._main()`` (a coroutine) in the foreground (``run``) or in a thread (``start``/``join``)."""

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.finished = threading.Event()

    async def _main(self) -> None:
        raise NotImplementedError

    def _run_loop(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # handed to join()
            self.error = exc
        finally:
            self.finished.set()

    def run(self) -> None:
        self._run_loop()
        if self.error is not None:
            raise self.error

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run_loop, name=type(self).__name__, daemon=True)
        self.thread.start()

    def join(self, timeout: float) -> None:
        """Wait for the background run to end (ClusterError after ``timeout``), re-raising its error."""
        if self.thread is None:
            raise ClusterError("not started")
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise ClusterError(f"{type(self).__name__} still running after {timeout:.0f} s")
        if self.error is not None:
            raise self.error


class WebhookSender(_Background):
    """Posts webhooks from ``concurrency`` clients, spread over ``urls`` (one per web process, or a proxy).

    ``rate``: at most that many first deliveries per second (None: as fast as answered). ``redeliver``: behave
    like a provider — a webhook answered 5xx or not at all is sent again later (after its Retry-After, at most
    ``max_wait`` seconds; the same body, so the same webhookEventId) until it is answered 200 or ``give_up_after``
    seconds have passed; other answers are final. Without ``redeliver`` every webhook is sent once.

    Live counters (safe to read from another thread): ``accepted`` (answered 200), ``finished`` (final answer
    had), ``log``; at the end ``final[i]`` is the last status of ``hooks[i]``."""

    def __init__(self, urls: Sequence[str], hooks: Sequence[Webhook], *, concurrency: int = 8, timeout: float = 60,
                 rate: float | None = None, redeliver: bool = False, max_wait: float = 10,
                 give_up_after: float = 600) -> None:
        super().__init__()
        self.urls = list(urls)
        self.hooks = list(hooks)
        self.concurrency = concurrency
        self.timeout = timeout
        self.rate = rate
        self.redeliver = redeliver
        self.max_wait = max_wait
        self.give_up_after = give_up_after
        self.accepted = 0
        self.finished_count = 0
        self.final: list[int | None] = [None] * len(self.hooks)
        self.log = SendLog()

    async def _main(self) -> None:
        queue: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
        for i in range(len(self.hooks)):
            queue.put_nowait((i, 0))
        started = time.monotonic()
        deadline = started + self.give_up_after
        later: set[asyncio.Task[None]] = set()

        async def send_later(item: tuple[int, int], delay: float) -> None:
            await asyncio.sleep(delay)  # the provider's back-off before a redelivery
            queue.put_nowait(item)

        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=self.timeout) as client:

            async def one_client() -> None:
                while self.finished_count < len(self.hooks) and time.monotonic() < deadline:
                    try:
                        i, attempt = await asyncio.wait_for(queue.get(), timeout=0.5)
                    except TimeoutError:
                        continue
                    if attempt == 0 and self.rate:
                        # pacing: the i-th webhook goes out no sooner than i / rate seconds after the start
                        await asyncio.sleep(max(0.0, started + i / self.rate - time.monotonic()))
                    hook = self.hooks[i]
                    url = self.urls[(i + attempt) % len(self.urls)]
                    retry_after: float | None = None
                    try:
                        response = await client.post(url, content=hook.body, headers=hook.headers)
                        status = response.status_code
                        if status == 503:
                            header = response.headers.get("Retry-After")
                            if header is None or not header.strip().isdigit():
                                self.log.missing_retry_after += 1
                            else:
                                retry_after = float(header)
                    except httpx.HTTPError as exc:
                        status = 0
                        self.log.errors[type(exc).__name__] += 1
                    self.log.statuses[status] += 1
                    if self.redeliver and (status == 0 or status >= 500) and time.monotonic() < deadline:
                        wait = min(self.max_wait, retry_after if retry_after is not None else 1.0)
                        task = asyncio.create_task(send_later((i, attempt + 1), wait))
                        later.add(task)
                        task.add_done_callback(later.discard)
                        continue
                    self.final[i] = status
                    self.finished_count += 1
                    if status == 200:
                        self.accepted += 1

            await asyncio.gather(*(one_client() for _ in range(self.concurrency)))
            for task in list(later):
                task.cancel()

    @property
    def finished_all(self) -> bool:
        return self.finished_count == len(self.hooks)


class ReplySender(_Background):
    """Posts agent replies (conversation id, text) through the REST API from ``concurrency`` clients, spread over
    ``bases`` (the servers' base URLs), each once. ``results[i]`` is (status, message id or None)."""

    def __init__(self, bases: Sequence[str], token: str, replies: Sequence[tuple[int, str]], *,
                 concurrency: int = 4, timeout: float = 60) -> None:
        super().__init__()
        self.bases = list(bases)
        self.token = token
        self.replies = list(replies)
        self.concurrency = concurrency
        self.timeout = timeout
        self.results: list[tuple[int, int | None] | None] = [None] * len(self.replies)
        self.created = 0
        self.log = SendLog()

    async def _main(self) -> None:
        todo = iter(range(len(self.replies)))
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(limits=limits, timeout=self.timeout, headers=headers) as client:

            async def one_client() -> None:
                for i in todo:
                    conversation_id, text = self.replies[i]
                    url = f"{self.bases[i % len(self.bases)]}/api/v1/conversations/{conversation_id}/messages"
                    message_id = None
                    try:
                        response = await client.post(url, json={"text": text})
                        status = response.status_code
                        if status == 201:
                            message_id = int(response.json()["id"])
                            self.created += 1
                    except httpx.HTTPError as exc:
                        status = 0
                        self.log.errors[type(exc).__name__] += 1
                    self.log.statuses[status] += 1
                    self.results[i] = (status, message_id)

            await asyncio.gather(*(one_client() for _ in range(self.concurrency)))


# ====================================================================== reading the fake provider


def pushes_by_retry_key(line: FakeLineApi) -> Counter[str]:
    """How many push requests the fake LINE API received per X-Line-Retry-Key (whatever it answered)."""
    return Counter(call.headers.get("x-line-retry-key", "") for call in line.calls_to("/v2/bot/message/push"))


def push_requests_by_text(line: FakeLineApi) -> Counter[str]:
    """How many push requests carried each text (whatever the fake answered)."""
    counts: Counter[str] = Counter()
    for call in line.calls_to("/v2/bot/message/push"):
        for message in (call.json or {}).get("messages", []):
            if message.get("type") == "text":
                counts[message["text"]] += 1
    return counts


def delivered_texts(line: FakeLineApi) -> Counter[str]:
    """How many times each text reached a customer (reply or push actually delivered)."""
    deliveries = list(line.delivered)
    return Counter(text for delivery in deliveries for text in delivery.texts)


# ====================================================================== reading the database


def incoming_message_ids(db: Database, channel_id: int) -> Counter[str]:
    """The provider ids of the customers' messages stored for a channel, with how often each is stored."""
    rows = db.query("SELECT provider_message_id, count(*) FROM inbox_message WHERE channel_id = %s "
                    "AND direction = 'in' GROUP BY provider_message_id", (channel_id,))
    return Counter({str(pid): int(n) for pid, n in rows})


def count_incoming(db: Database, channel_id: int) -> int:
    """How many customers' messages are stored for a channel (a cheap progress figure)."""
    return int(db.scalar("SELECT count(*) FROM inbox_message WHERE channel_id = %s AND direction = 'in'",
                         (channel_id,)))


def outgoing_statuses(db: Database, text_like: str) -> Counter[str]:
    """How many outgoing messages whose text matches the LIKE pattern are in each status."""
    rows = db.query("SELECT status, count(*) FROM inbox_message WHERE direction = 'out' AND text LIKE %s "
                    "GROUP BY status", (text_like,))
    return Counter({str(status): int(n) for status, n in rows})


def jobs_by_status(db: Database) -> Counter[tuple[str, str]]:
    """(job name, status) -> how many jobs."""
    rows = db.query("SELECT name, status, count(*) FROM jobs_job GROUP BY name, status")
    return Counter({(str(name), str(status)): int(n) for name, status, n in rows})


def job_holders(db: Database, name: str, status: str = "done") -> Counter[int]:
    """Which worker processes (by pid) ran the ``name`` jobs now in ``status``: ``locked_by`` is host:pid:thread."""
    rows = db.query("SELECT locked_by, count(*) FROM jobs_job WHERE name = %s AND status = %s GROUP BY locked_by",
                    (name, status))
    holders: Counter[int] = Counter()
    for locked_by, n in rows:
        parts = str(locked_by).split(":")
        if len(parts) >= 2 and parts[1].isdigit():
            holders[int(parts[1])] += int(n)
    return holders


@contextmanager
def timed(label: str) -> Iterator[None]:
    """Print how long a step took (shown with ``pytest -s`` or in a failed test's captured output)."""
    started = time.monotonic()
    try:
        yield
    finally:
        print(f"[cluster] {label}: {time.monotonic() - started:.1f} s", flush=True)

