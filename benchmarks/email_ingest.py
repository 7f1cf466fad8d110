"""How fast is mail read: the parser alone over the test corpus, and IMAP fetch-to-inbox against Dovecot.

    python benchmarks/email_ingest.py                       # parse + IMAP on SQLite
    python benchmarks/email_ingest.py --db sqlite,postgres --mails 1000 --rounds 20

1. Parse throughput: every file of tests/fixtures/email (the real-world corpus) parsed ``--rounds`` times
   in this process (messages per second, MB per second, p50 / p95 per message).
2. IMAP fetch-to-inbox: ``--mails`` corpus mails (each with its own Message-ID) are APPENDed to a fresh
   Dovecot mailbox; then the clock runs while ruamchat fetches them by UID (raw mail stored) and the
   job worker parses them into conversations, until every one is a message in the inbox.

Dovecot comes from ``scripts/services start dovecot`` (PostgreSQL from ``scripts/services start``);
everything runs on 127.0.0.1. Prints one Markdown table per part. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "email"
PG_ADMIN_URL = os.environ.get("RUAMCHAT_TEST_POSTGRES_URL", "postgres://ruamchat@127.0.0.1:55432/ruamchat")
PG_DATABASE = "ruamchat_bench_email"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def corpus() -> list[tuple[str, bytes]]:
    files = sorted(CORPUS.glob("*.eml"))
    if not files:
        sys.exit(f"no .eml files in {CORPUS}")
    return [(f.name, f.read_bytes()) for f in files]


def bench_parse(rounds: int) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from ruamchat.connectors.email.parser import parse

    mails = corpus()
    for _name, raw in mails:  # warm up (imports, regex compilation)
        parse(raw)
    times: list[float] = []
    started = time.perf_counter()
    for _ in range(rounds):
        for _name, raw in mails:
            t0 = time.perf_counter()
            parse(raw)
            times.append(time.perf_counter() - t0)
    total = time.perf_counter() - started
    size = sum(len(raw) for _n, raw in mails) * rounds
    times.sort()
    print("\n### Parse throughput (one process, one core)\n")
    print("| corpus files | rounds | messages | messages/s | MB/s | p50 ms | p95 ms | max ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {len(mails)} | {rounds} | {len(times)} | {len(times) / total:,.0f} | {size / total / 1e6:.1f} "
          f"| {statistics.median(times) * 1000:.2f} | {times[int(len(times) * 0.95)] * 1000:.2f} "
          f"| {times[-1] * 1000:.2f} |")


def _with_unique_id(raw: bytes, n: int) -> bytes:
    """The same mail with a Message-ID of its own (mails without one get one)."""
    mid = f"<bench-{n}-{os.getpid()}@bench.ruamchat>".encode()
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = raw.partition(b"\n\n")
    lines = [ln for ln in re.split(rb"\r?\n(?![ \t])", head) if not ln.lower().startswith(b"message-id:")]
    return b"\r\n".join([*lines, b"Message-ID: " + mid]) + (sep or b"\r\n\r\n") + body


def bench_imap(db: str, count: int) -> dict[str, float]:
    """Runs in a child process per database (Django is set up once per process)."""
    import subprocess

    result = subprocess.run([sys.executable, __file__, "--child-imap", db, "--mails", str(count)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"IMAP benchmark on {db} failed")
    sys.stderr.write(result.stderr)
    values = dict(line.split("=", 1) for line in result.stdout.split() if "=" in line)
    return {k: float(v) for k, v in values.items()}


def child_imap(db: str, count: int) -> None:
    data_dir = tempfile.mkdtemp(prefix="ruamchat-bench-email-")
    os.environ["RUAMCHAT_DATA_DIR"] = data_dir
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{PG_DATABASE}"')
        os.environ["RUAMCHAT_DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DATABASE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ruamchat.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from ruamchat.connectors.actions import create_channel
    from ruamchat.connectors.email.imap import fetch_new
    from ruamchat.inbox.models import Message
    from ruamchat.jobs.queue import run_until_empty
    from tests.mailservers import resolve_dovecot

    dovecot = resolve_dovecot(os.environ)
    user, password = dovecot.new_mailbox(name="bench")
    mails = [raw for _n, raw in corpus() if b"delivery-status" not in raw]  # bounces become no message
    log(f"{db}: appending {count} mails to {user}")
    with dovecot.connect(user, password) as client:
        for n in range(count):
            client.append("INBOX", _with_unique_id(mails[n % len(mails)], n))
    channel = create_channel(actor=None, kind="email", name="bench", config={
        "address": "support@shop.test", "imap_host": dovecot.host, "imap_port": dovecot.port,
        "imap_security": "none", "imap_user": user, "smtp_host": "127.0.0.1"}, secrets={"imap_password": password})
    started = time.perf_counter()
    report = fetch_new(channel, owner="bench")
    fetched = time.perf_counter()
    run_until_empty("bench", limit=count * 3)
    done = time.perf_counter()
    stored = Message.objects.filter(channel=channel).count()
    log(f"{db}: fetched {report.fetched}, error {report.error!r}, messages {stored}")
    print(f"mails={count} fetched={report.fetched} messages={stored} fetch_s={fetched - started:.3f} "
          f"total_s={done - started:.3f}")
    if db == "postgres":
        from django.db import connections

        connections.close_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--mails", type=int, default=500)
    parser.add_argument("--db", default="sqlite", help="comma-separated: sqlite, postgres")
    parser.add_argument("--skip-imap", action="store_true")
    parser.add_argument("--child-imap", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_imap:
        child_imap(args.child_imap, args.mails)
        return
    bench_parse(args.rounds)
    if args.skip_imap:
        return
    rows = [(db, bench_imap(db, args.mails)) for db in args.db.split(",")]
    print("\n### IMAP fetch-to-inbox (Dovecot on loopback, one worker thread)\n")
    print("| database | mails | fetched/s (raw stored) | in the inbox/s (parsed, threaded) | total s |")
    print("|---|---:|---:|---:|---:|")
    for db, r in rows:
        print(f"| {db} | {int(r['mails'])} | {r['fetched'] / r['fetch_s']:,.0f} | "
              f"{r['messages'] / r['total_s']:,.0f} | {r['total_s']:.1f} |")


if __name__ == "__main__":
    main()
