"""How many agent replies a second do two workers send to LINE?

Creates N agent replies (default 5,000) through the inbox action ``send_reply`` (each stored pending together
with its ``inbox.deliver_message`` job, as the inbox form and the API do), spread over the conversations of
``--conversations`` LINE customers, with no worker running; then starts ``--workers-count`` (default 2)
``ruamchat worker`` processes against a stand-in LINE Messaging API on loopback (tests/fakes/line_api.py: checks
the token and the body, honours X-Line-Retry-Key, records what reached each chat) and times

    sends/s = N ÷ (the first push reaching the stand-in → the last message marked sent)

Prints one Markdown table and a ``BENCH-RESULT`` line:

    python benchmarks/outbound_sends.py                       # PostgreSQL, 5,000 replies, two workers
    python benchmarks/outbound_sends.py --replies 1000 --worker-concurrency 4

Also checks that every reply reached its chat exactly once. PostgreSQL comes from ``scripts/services start``.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.fakes

try:
    from benchmarks import line_webhooks as lw
    from benchmarks.common import RESULT_PREFIX, machine
except ImportError:  # run as a script from benchmarks/
    import line_webhooks as lw  # type: ignore[no-redef]
    from common import RESULT_PREFIX, machine  # type: ignore[no-redef]

from tests.fakes.line_api import FakeLineApi  # noqa: E402

PG_DATABASE = "ruamchat_bench_outbound"
ACCESS_TOKEN = "bench-line-access-token"
REPLIES = ("ขอบคุณที่ติดต่อมาค่ะ กำลังตรวจสอบให้นะคะ", "พัสดุจัดส่งแล้วครับ เลขพัสดุ TH{n}", "รับทราบค่ะ 🙏",
           "สินค้ารุ่นนี้มีสีดำค่ะ ราคา {n} บาท", "Thank you, your order #{n} is on its way.")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class TimedLineApi(FakeLineApi):
    """The stand-in, noting when the first push arrived (wall clock, as PostgreSQL's ``sent_at``)."""

    first_push: float | None = None

    def _push(self, request: Any) -> Any:
        if self.first_push is None:
            self.first_push = time.time()
        return super()._push(request)


# ====================================================================== the set-up (a Django child process)


def setup(users: list[str], replies: int, seed: int) -> dict[str, Any]:
    import django

    django.setup()
    from ruamchat.accounts.actions import create_agent, create_team
    from ruamchat.connectors.actions import create_channel
    from ruamchat.connectors.base import InboundMessage
    from ruamchat.inbox.actions import receive_message, send_reply
    from ruamchat.jobs import queue
    from ruamchat.jobs.models import Job

    rng = random.Random(seed)
    team = create_team(actor=None, name="ฝ่ายบริการลูกค้า", kind="service")
    agent = create_agent(actor=None, username="bench-agent", password=None, display_name="น้องแชท",
                         teams=[team]).user
    channel = create_channel(actor=None, kind="line", name="LINE OA ร้านรวมแชท", default_team=team,
                             config={"line_channel_id": "1234567890"},
                             secrets={"channel_secret": secrets.token_hex(16), "access_token": ACCESS_TOKEN})
    conversations = []
    for n, user in enumerate(users):
        message = receive_message(channel=channel, inbound=InboundMessage(
            external_user_id=user, provider_message_id=str(900_000_000_000_000_000 + n),
            text="สวัสดีค่ะ สอบถามสถานะคำสั่งซื้อหน่อยค่ะ"))
        conversations.append(message.conversation)
    ran = queue.run_until_empty(limit=100_000)  # what the customers' messages queued: profiles, routing
    left = Job.objects.filter(status=Job.Status.QUEUED).count()
    started = time.perf_counter()
    for i in range(replies):
        send_reply(conversation=conversations[i % len(conversations)], actor=agent,
                   text=rng.choice(REPLIES).format(n=rng.randint(10_000_000, 99_999_999)))
    create_seconds = time.perf_counter() - started
    return {"replies": replies, "create_seconds": create_seconds, "setup_jobs_run": ran, "setup_jobs_left": left}


# ====================================================================== the run


def run(opts: argparse.Namespace) -> dict[str, Any]:
    import psycopg

    rng = random.Random(opts.random_seed)
    users = [lw.line_user_id(rng) for _ in range(opts.conversations)]
    base_url = opts.pg_admin_url.rsplit("/", 1)[0]
    target = lw.Target("postgres", "separate", Path(opts.data_dir), f"{base_url}/{PG_DATABASE}",
                       pg_name=PG_DATABASE, extra_env={"RUAMCHAT_REDIS_URL": opts.redis_url})
    procs = lw.Processes()
    lw.reset_database(target, opts.pg_admin_url)
    try:
        fake = TimedLineApi(access_token=ACCESS_TOKEN)
        with fake:
            for user in users:
                fake.add_profile(user, rng.choice(lw.DISPLAY_NAMES))
            env = {**target.env(), "RUAMCHAT_LINE_API_URL": fake.api_url, "RUAMCHAT_LINE_DATA_URL": fake.data_url,
                   "RUAMCHAT_WORKER_IN_PROCESS": "0"}
            log("migrating")
            lw.ruamchat(target, "migrate", "-v0")
            log(f"creating {opts.replies:,} replies in {len(users)} conversations (send_reply, no worker running)")
            proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--stage", "setup", "--replies",
                                   str(opts.replies), "--users", ",".join(users), "--random-seed",
                                   str(opts.random_seed)], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True,
                                  check=False, timeout=1800)
            found = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
            if proc.returncode != 0 or not found:
                raise SystemExit(f"set-up failed (exit {proc.returncode}): {proc.stdout[-2000:]}")
            made = json.loads(found[-1][len(RESULT_PREFIX):])
            log(f"{made['replies']:,} replies in {made['create_seconds']:.1f} s; starting "
                f"{opts.workers_count} workers")
            pushes_before = len(fake.calls_to("/v2/bot/message/push"))
            workers = [procs.start(f"worker{n + 1}", target, ["worker", "--concurrency",
                                                               str(opts.worker_concurrency)], env)
                       for n in range(opts.workers_count)]
            deadline = time.monotonic() + opts.timeout
            sql = ("SELECT count(*) FILTER (WHERE status IN ('sent', 'delivered', 'read')), "
                   "count(*) FILTER (WHERE status = 'failed'), max(sent_at) FROM inbox_message "
                   "WHERE direction = 'out'")
            cpu_at_first: float | None = None  # the workers' CPU when the first reply was sent (after start-up)
            with psycopg.connect(target.database_url, autocommit=True) as db:
                while True:
                    procs.check_alive()
                    sent, failed, last_sent = db.execute(sql).fetchone()  # type: ignore[misc]
                    if cpu_at_first is None and sent:
                        cpu_at_first = sum(lw.cpu_seconds(w.pid) for w in workers)
                    if sent + failed >= opts.replies or time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
            cpu = sum(lw.cpu_seconds(w.pid) for w in workers) - (cpu_at_first or 0.0)
            rss = [lw.rss_mb(w.pid) for w in workers]
            pushes = fake.calls_to("/v2/bot/message/push")[pushes_before:]
            deliveries = Counter(d.retry_key for d in fake.delivered if d.via == "push")
            first_push = fake.first_push
    finally:
        procs.stop()
        if not opts.keep:
            lw.drop_database(target, opts.pg_admin_url)
        else:
            log(f"kept the database {PG_DATABASE} and {opts.data_dir}")
    seconds = (last_sent.timestamp() - first_push) if (last_sent and first_push) else None
    return {
        "replies": opts.replies, "conversations": len(users), "workers": opts.workers_count,
        "worker_concurrency": opts.worker_concurrency, "sent": sent, "failed": failed,
        "complete": sent + failed >= opts.replies, "seconds": seconds,
        "sends_per_s": (sent / seconds) if seconds else None,
        "create_seconds": made["create_seconds"], "setup_jobs_left": made["setup_jobs_left"],
        "push_requests": len(pushes), "push_statuses": dict(Counter(c.status for c in pushes)),
        "delivered": sum(deliveries.values()), "duplicates": sum(n - 1 for n in deliveries.values() if n > 1),
        "worker_cpu_ms_per_send": 1000 * cpu / max(sent, 1), "worker_rss": rss,
    }


def print_table(r: dict[str, Any]) -> None:
    print("| replies | conversations | workers | sent | failed | seconds | sends/s | delivered to LINE | duplicates "
          "| worker CPU ms/send | worker RSS MB |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
    seconds = f"{r['seconds']:.1f}" if r["seconds"] else "-"
    rate = f"{r['sends_per_s']:.0f}" if r["sends_per_s"] else "-"
    print(f"| {r['replies']:,} | {r['conversations']} | {r['workers']} × {r['worker_concurrency']} threads | "
          f"{r['sent']:,} | {r['failed']:,} | {seconds} | {rate} | {r['delivered']:,} | {r['duplicates']} | "
          f"{r['worker_cpu_ms_per_send']:.1f} | {', '.join(f'{x:.0f}' for x in r['worker_rss'])} |")
    print(f"\nsends/s = sent ÷ (first push at the stand-in LINE API → the last `sent_at`). Creating the replies "
          f"(send_reply, one process, not timed above): {r['replies'] / r['create_seconds']:.0f}/s. Push answers "
          f"{r['push_statuses']}; {r['setup_jobs_left']} set-up jobs were left queued. Machine: {machine()}.")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replies", type=int, default=5000, help="agent replies to send")
    parser.add_argument("--conversations", type=int, default=500, help="LINE customers they go to")
    parser.add_argument("--workers-count", type=int, default=2, help="`ruamchat worker` processes")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="threads per worker")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for all to be sent")
    parser.add_argument("--keep", action="store_true", help="keep the database and the data dir (worker logs)")
    parser.add_argument("--data-dir", default="/tmp/ruamchat-bench-outbound")
    parser.add_argument("--pg-admin-url", default=os.environ.get("RUAMCHAT_BENCH_PG_URL", lw.DEFAULT_PG_ADMIN_URL))
    parser.add_argument("--redis-url", default="", help="RUAMCHAT_REDIS_URL for the workers (default none)")
    parser.add_argument("--random-seed", type=int, default=20240601)
    parser.add_argument("--stage", choices=("setup",), help=argparse.SUPPRESS)
    parser.add_argument("--users", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    opts = parse_args(argv)
    if opts.stage == "setup":
        result = setup(opts.users.split(","), opts.replies, opts.random_seed)
        print(RESULT_PREFIX + json.dumps(result), flush=True)
        return
    with lw.sigterm_as_interrupt():
        result = run(opts)
    print_table(result)
    print(RESULT_PREFIX + json.dumps({**result, "machine": machine()}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted; the workers are stopped and the database dropped (unless --keep)")
        sys.exit(130)
