"""How soon does an agent's browser hear of a customer's LINE message, with 200 agents connected?

Starts the scaled set-up on loopback (PostgreSQL + Redis; ``ruamchat serve --wsgi`` for the webhooks and the
API, one or two ASGI ``ruamchat serve --no-worker`` for the websockets, two ``ruamchat worker``), 200 agents of
the LINE channel's team, each logged in (a server-side session) with a websocket on ``/ws/agent/``; then sends
signed LINE webhooks at a steady rate (default 100/s for 30 s), one text message each, and measures for every
message: time the agent sockets received its ``message.created`` event − time its webhook POST started.
Prints one Markdown table and a ``BENCH-RESULT`` line:

    python benchmarks/realtime_latency.py                          # 200 agents, 100 messages/s, 30 s
    python benchmarks/realtime_latency.py --agents 50 --seconds 10 --asgi 1

Goal (issue 12): p99 ≤ 200 ms at 100 messages/s with 200 agents connected.

The sockets are read by ``--receivers`` child processes (a minimal websocket client on asyncio streams: a
tenth of the ``websockets`` package's CPU per frame, since 200 sockets × 100 messages/s × 2 events is 40,000
frames a second that the client must not queue up itself). Times are ``time.monotonic()``, one clock for all
processes on Linux. PostgreSQL and Redis come from ``scripts/services start postgres redis``. See
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import multiprocessing as mp
import os
import queue as queue_module
import random
import re
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

try:
    from benchmarks import line_webhooks as lw
    from benchmarks.common import RESULT_PREFIX, machine
except ImportError:  # run as a script from benchmarks/
    import line_webhooks as lw  # type: ignore[no-redef]
    from common import RESULT_PREFIX, machine  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
PG_DATABASE = "ruamchat_bench_realtime"
GOAL_P99_MS = 200.0
MESSAGE_ID = re.compile(rb'"message_id":\s*(\d+)')


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ====================================================================== the agents (a Django child process)


def create_agents(team_id: int, count: int) -> dict[str, Any]:
    """``count`` agents in the team, each with a session: what a browser would hold after logging in."""
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from ruamchat.accounts.actions import create_agent
    from ruamchat.accounts.models import Team

    team = Team.objects.get(pk=team_id)
    cookies = []
    for n in range(count):
        profile = create_agent(actor=None, username=f"bench-agent-{n:03d}", password=None,
                               display_name=f"เจ้าหน้าที่ {n:03d}", teams=[team])
        client = Client()
        client.force_login(profile.user)
        cookies.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    return {"cookie_name": settings.SESSION_COOKIE_NAME, "sessions": cookies}


# ====================================================================== the agents' sockets (receiver processes)


def _mask(payload: bytes) -> bytes:
    key = os.urandom(4)
    return key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def _client_frame(opcode: int, payload: bytes) -> bytes:
    assert len(payload) < 126
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + _mask(payload)


@dataclass
class SocketLog:
    arrivals: dict[int, float] = field(default_factory=dict)  # message id -> monotonic time of message.created
    frames: int = 0
    ready: bool = False
    closed: str = ""


async def agent_socket(port: int, cookie: str, origin: str, record: SocketLog, ready: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /ws/agent/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Origin: {origin}\r\nCookie: {cookie}\r\n\r\n").encode())
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        record.closed = head.split(b"\r\n", 1)[0].decode("latin-1")
        ready.set()
        return
    buf = bytearray()
    try:
        while True:
            data = await reader.read(262144)
            if not data:
                record.closed = record.closed or "closed by the server"
                return
            now = time.monotonic()
            buf += data
            pos = 0
            while len(buf) - pos >= 2:
                b0, b1 = buf[pos], buf[pos + 1]
                length, header = b1 & 0x7F, 2
                if length == 126:
                    if len(buf) - pos < 4:
                        break
                    length, header = int.from_bytes(buf[pos + 2:pos + 4], "big"), 4
                elif length == 127:
                    if len(buf) - pos < 10:
                        break
                    length, header = int.from_bytes(buf[pos + 2:pos + 10], "big"), 10
                if len(buf) - pos < header + length:
                    break
                payload = bytes(buf[pos + header:pos + header + length])
                pos += header + length
                opcode = b0 & 0x0F
                record.frames += 1
                if opcode in (0, 1):
                    if b'"message.created"' in payload:
                        found = MESSAGE_ID.search(payload)
                        if found:
                            record.arrivals.setdefault(int(found.group(1)), now)
                    elif not record.ready and b'"ready"' in payload:
                        record.ready = True
                        ready.set()
                elif opcode == 9:  # ping: answer, or the server closes the socket
                    writer.write(_client_frame(0xA, payload))
                elif opcode == 8:
                    record.closed = f"close frame {payload[:2].hex()}"
                    return
            del buf[:pos]
    finally:
        ready.set()
        writer.close()


def receiver(sockets: list[tuple[int, str]], origin: str, connected: Any, arrivals: Any, stop: Any,
             results: Any) -> None:
    """A child process: open ``sockets`` (port, cookie header), count arrivals, hand the logs back at ``stop``."""

    async def main() -> None:
        records = [SocketLog() for _ in sockets]
        tasks = []
        for (port, cookie), record in zip(sockets, records, strict=True):
            ready = asyncio.Event()
            tasks.append(asyncio.create_task(agent_socket(port, cookie, origin, record, ready)))
            await asyncio.wait_for(ready.wait(), 60)  # one at a time: 200 logins at once are not the test
            with connected.get_lock():
                connected.value += 1 if record.ready else 0
        while not stop.is_set():
            arrivals.value = sum(len(r.arrivals) for r in records)
            await asyncio.sleep(0.1)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        results.put([{"arrivals": r.arrivals, "frames": r.frames, "ready": r.ready, "closed": r.closed}
                     for r in records])

    asyncio.run(main())


# ====================================================================== webhooks at a steady rate


@dataclass
class Posted:
    line_id: str
    started: float  # monotonic
    seconds: float = 0.0
    status: int = 0


def make_hooks(count: int, users: list[str], destination: str, secret: str, rng: random.Random,
               first_id: int, tag: str) -> list[tuple[str, lw.Webhook]]:
    """Signed bodies, one text message each with a unique marker (``[tag-n]``) and LINE message id."""
    out = []
    now_ms = int(time.time() * 1000)
    for i in range(count):
        line_id = str(first_id + i)
        text = rng.choice(lw.CUSTOMER_TEXTS).format(n=rng.randint(10_000_000, 99_999_999)) + f" [{tag}-{i}]"
        event = {
            "type": "message", "mode": "active", "timestamp": now_ms + i,
            "message": {"type": "text", "id": line_id, "quoteToken": secrets.token_urlsafe(48), "text": text},
            "webhookEventId": lw.ulid(rng, now_ms + i), "deliveryContext": {"isRedelivery": False},
            "source": {"type": "user", "userId": rng.choice(users)}, "replyToken": secrets.token_hex(16),
        }
        body = json.dumps({"destination": destination, "events": [event]}, ensure_ascii=False,
                          separators=(",", ":")).encode()
        signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        out.append((line_id, lw.Webhook(body, signature)))
    return out


async def send_steady(url: str, hooks: list[tuple[str, lw.Webhook]], rate: float, timeout: float) -> list[Posted]:
    """POST each webhook at its scheduled time (start + i / rate), whatever the earlier answers do."""
    pool: asyncio.Queue[lw.RawConnection] = asyncio.Queue()
    made = 0
    posted: list[Posted] = []

    async def one(line_id: str, hook: lw.Webhook) -> None:
        nonlocal made
        if pool.empty() and made < 64:
            made += 1
            pool.put_nowait(lw.RawConnection(url, timeout))
        connection = await pool.get()
        record = Posted(line_id, time.monotonic())
        posted.append(record)
        record.status = await connection.post(hook.body, {
            "Content-Type": "application/json; charset=utf-8", "X-Line-Signature": hook.signature,
            "User-Agent": "LineBotWebhook/2.0"})
        record.seconds = time.monotonic() - record.started
        pool.put_nowait(connection)

    tasks = []
    start = time.monotonic() + 0.05
    for i, (line_id, hook) in enumerate(hooks):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(line_id, hook)))
    await asyncio.gather(*tasks)
    while not pool.empty():
        await pool.get_nowait().close()
    return posted


# ====================================================================== one run


def pct(values: list[float], q: float) -> float:
    return lw.percentile(sorted(values), q)


def run(opts: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(opts.random_seed)
    users = [lw.line_user_id(rng) for _ in range(opts.users)]
    names = {u: rng.choice(lw.DISPLAY_NAMES) for u in users}
    destination, channel_secret = lw.line_user_id(rng), secrets.token_hex(16)
    data_dir = Path(opts.data_dir)
    base_url = opts.pg_admin_url.rsplit("/", 1)[0]
    target = lw.Target("postgres", "separate", data_dir, f"{base_url}/{PG_DATABASE}", pg_name=PG_DATABASE,
                       extra_env={"RUAMCHAT_REDIS_URL": opts.redis_url,
                                  "RUAMCHAT_CHANNEL_PREFIX": f"rcbench{secrets.token_hex(3)}"})
    procs = lw.Processes()
    lw.reset_database(target, opts.pg_admin_url)
    ctx = mp.get_context("spawn")
    receivers: list[Any] = []
    stop = ctx.Event()
    try:
        with lw.FakeLine(names) as fake:
            log("migrating")
            lw.ruamchat(target, "migrate", "-v0")
            lw.ruamchat(target, "createadmin", "--username", lw.ADMIN_USERNAME, "--password",
                        secrets.token_urlsafe(18))
            token = lw.ruamchat(target, "token", "create", "--user", lw.ADMIN_USERNAME, "--name", "bench").strip()
            http_port = lw.free_port()
            ws_ports = [lw.free_port() for _ in range(opts.asgi)]
            base = f"http://127.0.0.1:{http_port}"
            env = {**target.env(), "RUAMCHAT_LINE_API_URL": fake.url, "RUAMCHAT_LINE_DATA_URL": fake.url,
                   "RUAMCHAT_PUBLIC_URL": base, "RUAMCHAT_WORKER_IN_PROCESS": "0"}
            web = procs.start("wsgi", target, ["serve", "--wsgi", "--host", "127.0.0.1", "--port", str(http_port),
                                               "--workers", str(opts.web_workers), "--threads", str(opts.threads)],
                              env)
            asgi = [procs.start(f"asgi{n + 1}", target, ["serve", "--no-worker", "--host", "127.0.0.1",
                                                         "--port", str(port)], env)
                    for n, port in enumerate(ws_ports)]
            workers = [procs.start(f"worker{n + 1}", target, ["worker", "--concurrency", str(opts.worker_concurrency)],
                                   env) for n in range(opts.workers_count)]
            lw.wait_ready(base, procs, timeout=90)
            for port in ws_ports:
                lw.wait_ready(f"http://127.0.0.1:{port}", procs, timeout=90)
            with httpx.Client(base_url=f"{base}/api/v1", timeout=30,
                              headers={"Authorization": f"Bearer {token}"}) as api:
                team = lw.api_post(api, "/teams", {"name": "ฝ่ายบริการลูกค้า", "kind": "service"})
                channel = lw.api_post(api, "/channels", {
                    "kind": "line", "name": "LINE OA ร้านรวมแชท", "default_team_id": team["id"],
                    "config": {"line_channel_id": str(rng.randint(1_000_000_000, 2_999_999_999))},
                    "secrets": {"channel_secret": channel_secret, "access_token": secrets.token_urlsafe(128)},
                })
            url = base + (urlsplit(channel.get("webhook_url") or "").path or f"/hooks/line/{channel['key']}/")
            asgi_idle = {p.pid: lw.rss_mb(p.pid) for p in asgi}

            log(f"creating {opts.agents} agents with sessions")
            agents = django_child(target, ["--stage", "agents", "--team", str(team["id"]),
                                           "--agents", str(opts.agents)])
            sockets = [(ws_ports[n % len(ws_ports)], f"{agents['cookie_name']}={cookie}")
                       for n, cookie in enumerate(agents["sessions"])]
            connected, results = ctx.Value("l", 0), ctx.Queue()
            arrivals = []
            for n in range(opts.receivers):
                count = ctx.Value("l", 0)
                arrivals.append(count)
                proc = ctx.Process(target=receiver, args=(sockets[n::opts.receivers], base, connected, count, stop,
                                                          results), daemon=True)
                proc.start()
                receivers.append(proc)
            deadline = time.monotonic() + 120
            while connected.value < len(sockets):
                procs.check_alive()
                if time.monotonic() > deadline or any(not r.is_alive() for r in receivers):
                    raise SystemExit(f"only {connected.value} of {len(sockets)} agent sockets connected")
                time.sleep(0.2)
            log(f"{len(sockets)} agent sockets connected to {len(ws_ports)} ASGI server(s)")

            warm = make_hooks(opts.warmup, users, destination, channel_secret, rng, 700_000_000_000_000_000, "warm")
            timed = make_hooks(int(opts.rate * opts.seconds), users, destination, channel_secret, rng,
                               800_000_000_000_000_000, "rt")
            if warm:
                log(f"warming up: {len(warm)} webhooks at {opts.rate:.0f}/s")
                asyncio.run(send_steady(url, warm, opts.rate, opts.request_timeout))
                wait_arrivals(arrivals, len(warm) * len(sockets), 60, procs)
            before = sum(a.value for a in arrivals)
            cpu_before = cpu_of(web, asgi, workers)
            log(f"sending {len(timed)} webhooks at {opts.rate:.0f}/s")
            posted = asyncio.run(send_steady(url, timed, opts.rate, opts.request_timeout))
            send_seconds = max(p.started for p in posted) - min(p.started for p in posted)
            complete = wait_arrivals(arrivals, before + len(timed) * len(sockets), opts.timeout, procs)
            cpu_after = cpu_of(web, asgi, workers)
            asgi_loaded = {p.pid: lw.rss_mb(p.pid) for p in asgi}
            stop.set()
            logs: list[dict[str, Any]] = []
            for _ in receivers:
                logs += results.get(timeout=120)
            ids = message_ids(target.database_url, [p.line_id for p in posted])
    finally:
        stop.set()
        for proc in receivers:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
        procs.stop()
        if not opts.keep:
            lw.drop_database(target, opts.pg_admin_url)
        else:
            log(f"kept the database {PG_DATABASE} and {data_dir}")

    started_at = {ids[p.line_id]: p.started for p in posted if p.line_id in ids}
    first, last, every = [], [], []
    missing = 0
    for message_id, t0 in started_at.items():
        times = [log_["arrivals"][message_id] - t0 for log_ in logs if message_id in log_["arrivals"]]
        missing += len(logs) - len(times)
        if times:
            first.append(min(times) * 1000)
            last.append(max(times) * 1000)
            every += [t * 1000 for t in times]
    answers = [p.seconds * 1000 for p in posted]
    return {
        "agents": len(logs), "connected": sum(1 for x in logs if x["ready"]), "asgi": opts.asgi,
        "web": f"wsgi {opts.web_workers}x{opts.threads}", "workers": opts.workers_count,
        "rate": opts.rate, "sent": len(posted), "send_seconds": send_seconds,
        "achieved_rate": (len(posted) - 1) / send_seconds if send_seconds else 0.0,
        "statuses": {str(s): sum(1 for p in posted if p.status == s) for s in {p.status for p in posted}},
        "stored": len(started_at), "complete": complete, "missing_deliveries": missing,
        "first_p50": pct(first, 0.5), "first_p99": pct(first, 0.99), "first_max": max(first, default=0.0),
        "all_p50": pct(every, 0.5), "all_p99": pct(every, 0.99), "last_p99": pct(last, 0.99),
        "answer_p50": pct(answers, 0.5), "answer_p99": pct(answers, 0.99),
        "frames": sum(x["frames"] for x in logs), "closed": [x["closed"] for x in logs if x["closed"]][:5],
        "cpu": {k: cpu_after[k] - cpu_before[k] for k in cpu_after},
        "asgi_rss_idle": list(asgi_idle.values()), "asgi_rss_loaded": list(asgi_loaded.values()),
    }


def cpu_of(web: Any, asgi: list[Any], workers: list[Any]) -> dict[str, float]:
    return {"wsgi": lw.cpu_tree(web.pid), "asgi": sum(lw.cpu_seconds(p.pid) for p in asgi),
            "workers": sum(lw.cpu_seconds(p.pid) for p in workers)}


def wait_arrivals(arrivals: list[Any], expected: int, timeout: float, procs: lw.Processes,
                  stall: float = 35.0) -> bool:
    """Until the receivers have logged ``expected`` message.created arrivals in all; False at the timeout, or
    when none arrived for ``stall`` seconds (the Redis channel layer drops a message older than its 30 s
    expiry: an event that late never comes)."""
    deadline = time.monotonic() + timeout
    seen, last_change = -1, time.monotonic()
    while (total := sum(a.value for a in arrivals)) < expected:
        procs.check_alive()
        now = time.monotonic()
        if total != seen:
            seen, last_change = total, now
        if now > deadline or now - last_change > stall:
            log(f"gave up waiting: {total} of {expected} arrivals")
            return False
        time.sleep(0.1)
    return True


def message_ids(database_url: str, line_ids: list[str]) -> dict[str, int]:
    """LINE message id -> ruamchat message id (after the run; the events carry ids, never text)."""
    import psycopg

    with psycopg.connect(database_url) as db:
        rows = db.execute("SELECT provider_message_id, id FROM inbox_message WHERE provider_message_id = ANY(%s)",
                          [line_ids]).fetchall()
    return {str(line_id): int(pk) for line_id, pk in rows}


def django_child(target: lw.Target, args: list[str]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], env=target.env(), cwd=ROOT,
                          stdout=subprocess.PIPE, text=True, check=False, timeout=600)
    found = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not found:
        raise SystemExit(f"{args[1]} failed (exit {proc.returncode}): {proc.stdout[-2000:]}")
    return dict(json.loads(found[-1][len(RESULT_PREFIX):]))


# ====================================================================== the table


def print_table(r: dict[str, Any], opts: argparse.Namespace) -> None:
    mark = "✅" if r["complete"] and r["first_p99"] <= GOAL_P99_MS else "❌"
    print("| agents connected | ASGI servers | rate /s (achieved) | messages | first agent p50 ms | first p99 ms "
          "| all agents p50 ms | all p99 ms | last agent p99 ms | webhook answer p99 ms | goal |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    print(f"| {r['connected']} | {r['asgi']} | {r['rate']:.0f} ({r['achieved_rate']:.0f}) | {r['sent']:,} | "
          f"{r['first_p50']:.0f} | {r['first_p99']:.0f} | {r['all_p50']:.0f} | {r['all_p99']:.0f} | "
          f"{r['last_p99']:.0f} | {r['answer_p99']:.0f} | p99 ≤ {GOAL_P99_MS:.0f} ms {mark} |")
    n = max(1, r["sent"])
    cpu = r["cpu"]
    print(f"\nWebhooks: {r['statuses']}; messages stored {r['stored']:,}; deliveries missing "
          f"{r['missing_deliveries']:,}{'' if r['complete'] else ' (timed out waiting)'}; websocket frames "
          f"{r['frames']:,}. CPU ms per message: WSGI {1000 * cpu['wsgi'] / n:.1f}, ASGI (fan-out to "
          f"{r['connected']} sockets) {1000 * cpu['asgi'] / n:.1f}, workers {1000 * cpu['workers'] / n:.1f}. "
          f"ASGI RSS MB idle {', '.join(f'{x:.0f}' for x in r['asgi_rss_idle'])}, with the sockets after the run "
          f"{', '.join(f'{x:.0f}' for x in r['asgi_rss_loaded'])}.")
    if r["closed"]:
        print(f"Sockets closed: {r['closed']}")
    print(f"Machine: {machine()}. Latency = the socket received `message.created` − the webhook POST started; "
          f"first = the first of the agents, all = every agent's socket, last = the last agent's.")


# ====================================================================== command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=200, help="agents connected (each a websocket)")
    parser.add_argument("--rate", type=float, default=100.0, help="webhooks per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to send")
    parser.add_argument("--warmup", type=int, default=50, help="untimed webhooks first")
    parser.add_argument("--users", type=int, default=200, help="distinct LINE users writing")
    parser.add_argument("--asgi", type=int, default=2, help="ASGI `serve --no-worker` processes for the sockets")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes (`serve --wsgi`)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn process")
    parser.add_argument("--workers-count", type=int, default=2, help="`ruamchat worker` processes")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="threads per worker")
    parser.add_argument("--receivers", type=int, default=2, help="client processes reading the agent sockets")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for the last events")
    parser.add_argument("--request-timeout", type=float, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the database and the data dir (with the logs)")
    parser.add_argument("--data-dir", default="/tmp/ruamchat-bench-realtime")
    parser.add_argument("--pg-admin-url", default=os.environ.get("RUAMCHAT_BENCH_PG_URL", lw.DEFAULT_PG_ADMIN_URL))
    parser.add_argument("--redis-url", default=os.environ.get("RUAMCHAT_TEST_REDIS_URL", "redis://127.0.0.1:56379/0"))
    parser.add_argument("--random-seed", type=int, default=20240601)
    parser.add_argument("--stage", choices=("agents",), help=argparse.SUPPRESS)
    parser.add_argument("--team", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    opts = parse_args(argv)
    if opts.stage == "agents":
        print(RESULT_PREFIX + json.dumps(create_agents(opts.team, opts.agents)), flush=True)
        return
    with lw.sigterm_as_interrupt():
        result = run(opts)
    print_table(result, opts)
    print(RESULT_PREFIX + json.dumps({**result, "machine": machine()}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted; the servers are stopped and the database dropped (unless --keep)")
        sys.exit(130)
    except queue_module.Empty:
        raise SystemExit("a receiver did not hand back its log") from None
