"""Routing and SLA at scale: with N open conversations (default 100k), how long one SLA sweep takes and how
long routing a new customer message takes (triage + rules + automatic assignment + SLA clocks).

    python benchmarks/routing_sla.py --db sqlite,postgres --open 100000 --messages 300

Each database runs in a child process with a database of its own (SQLite in a temp dir; a fresh
``ruamchat_bench_routing`` on the test PostgreSQL from ``scripts/services start``). Set-up (not timed):
two teams with business calendars (Mon–Fri 09–18 + Thai holidays; 24×7), SLA policies per priority,
eight routing rules, a support team assigning round-robin among 10 online agents, and N open conversations
bulk-inserted with their SLA clocks, of which ``--due`` (default 1%) have their next SLA moment now.

Timed:
- **sweep**: one ``sla.sweep()`` pass — the periodic job — over the due conversations (announcements,
  escalation), and a second pass when nothing is due (the cost of looking when there is nothing to do);
- **route**: ``receive_message`` of a new customer's first message (Thai and English texts), p50/p95 of the
  whole call and of ``route_new_conversation`` inside it.
Prints one Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("RUAMCHAT_TEST_POSTGRES_URL", "postgres://ruamchat@127.0.0.1:55432/ruamchat")
PG_DATABASE = "ruamchat_bench_routing"
TEXTS = [
    "สั่งของไปสองอาทิตย์แล้วยังไม่ได้รับเลยค่ะ", "ขอคืนเงินค่ะ สินค้าไม่ตรงปก", "ปลั๊กมีควันออกมา อันตรายมาก",
    "ขอบคุณมากค่ะ ได้รับแล้ว", "โดนตัดเงินซ้ำสองรอบค่ะ", "เข้าสู่ระบบไม่ได้ ลืมรหัสผ่าน",
    "Where is my order? It has been 10 days.", "I was charged twice for the same order",
    "สอบถามเวลาเปิดร้านค่ะ", "ขอเปลี่ยนไซส์เสื้อได้ไหมคะ", "The kettle arrived broken",
]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def child(db: str, open_count: int, messages: int, due_share: float) -> None:
    os.environ["RUAMCHAT_DATA_DIR"] = tempfile.mkdtemp(prefix="ruamchat-bench-routing-")
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{PG_DATABASE}"')
        os.environ["RUAMCHAT_DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DATABASE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ruamchat.settings")
    import django

    django.setup()
    from datetime import time as dtime
    from datetime import timedelta

    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from ruamchat.accounts.actions import create_agent, create_team
    from ruamchat.accounts.models import AgentProfile
    from ruamchat.connectors.actions import create_channel
    from ruamchat.connectors.base import InboundMessage
    from ruamchat.contacts.models import Contact
    from ruamchat.inbox import actions as inbox
    from ruamchat.inbox.models import Conversation
    from ruamchat.routing import actions as routing
    from ruamchat.routing.actions import create_rule
    from ruamchat.sla import actions as sla
    from ruamchat.sla.models import Calendar, OpeningPeriod, SlaPolicy

    service = create_team(actor=None, name="service", kind="service")
    support = create_team(actor=None, name="support", kind="support", assignment="round_robin")
    office = Calendar.objects.create(name="office", holiday_country="TH", is_default=True)
    for day in range(5):
        OpeningPeriod.objects.create(calendar=office, weekday=day, opens=dtime(9), closes=dtime(18))
    always = Calendar.objects.create(name="24x7", holiday_country="")
    for day in range(7):
        OpeningPeriod.objects.create(calendar=always, weekday=day, opens=dtime(0), closes=dtime(0))
    always.teams.add(support)
    for team in (service, support):
        for priority, (first, res) in enumerate([(15, 240), (60, 480), (120, 1440), (240, 2880)]):
            SlaPolicy.objects.create(team=team, priority=priority, first_response_minutes=first,
                                     next_response_minutes=first, resolution_minutes=res, escalate_priority=True)
    rules = [
        ([{"field": "triage_team", "op": "is", "value": "support"}], [{"type": "set_team", "value": support.pk}]),
        ([{"field": "triage_priority", "op": "is", "value": 0}], [{"type": "add_tag", "value": "urgent"}]),
        ([{"field": "text", "op": "contains_word", "value": "คืนเงิน"}], [{"type": "add_tag", "value": "refund"}]),
        ([{"field": "text", "op": "matches_regex", "value": r"ORD-\d+"}], [{"type": "set_category",
                                                                            "value": "order_status"}]),
        ([{"field": "language", "op": "is", "value": "en"}], [{"type": "add_tag", "value": "english"}]),
        ([{"field": "channel_kind", "op": "is", "value": "email"}], [{"type": "set_priority", "value": 2}]),
        ([{"field": "tag", "op": "has", "value": "vip"}], [{"type": "set_priority", "value": 1}]),
        ([{"field": "business_hours", "op": "outside"}], [{"type": "add_tag", "value": "after-hours"}]),
    ]
    for n, (conditions, acts) in enumerate(rules):
        create_rule(actor=None, name=f"rule {n}", conditions=conditions, actions=acts)
    agents = [create_agent(actor=None, username=f"a{n}", password="bench-password-1", display_name=f"A{n}",
                           teams=[support], capacity=100000).user for n in range(10)]
    AgentProfile.objects.filter(user__in=agents).update(presence="online", last_seen_at=timezone.now())
    channel = create_channel(actor=None, kind="website", name="web", default_team=service)
    contact = Contact.objects.create(name="bench")

    log(f"{db}: inserting {open_count} open conversations")
    now = timezone.now()
    due = int(open_count * due_share)
    batch = []
    for n in range(open_count):
        created = now - timedelta(minutes=n % 600)
        check = now - timedelta(seconds=1) if n < due else now + timedelta(minutes=5 + n % 1000)
        batch.append(Conversation(
            channel=channel, contact=contact, team=support if n % 2 else service, status="open", priority=n % 4,
            waiting_since=created, last_message_at=created, sla_state=2, sla_check_at=check,
            sla_due_at=check + timedelta(minutes=10), first_response_due_at=check + timedelta(minutes=10)))
        if len(batch) == 5000:
            Conversation.objects.bulk_create(batch)
            batch = []
    if batch:
        Conversation.objects.bulk_create(batch)
    Conversation.objects.update(created_at=now - timedelta(hours=3))
    if db == "postgres":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    started = time.perf_counter()
    swept = sla.sweep()
    while swept and swept % sla.SWEEP_BATCH == 0 and (more := sla.sweep()):
        swept += more
    sweep_s = time.perf_counter() - started
    started = time.perf_counter()
    idle = sla.sweep()
    idle_s = time.perf_counter() - started

    route_times: list[float] = []
    original = routing.route_new_conversation

    def timed(conversation: Conversation, message: object) -> None:
        t0 = time.perf_counter()
        original(conversation, message)  # type: ignore[arg-type]
        route_times.append(time.perf_counter() - t0)

    routing.route_new_conversation = timed  # type: ignore[assignment]
    receive_times: list[float] = []
    for n in range(messages + 20):
        inbound = InboundMessage(external_user_id=f"bench-{n}", provider_message_id=f"bm-{n}",
                                 text=TEXTS[n % len(TEXTS)] + (f" ORD-{n}" if n % 5 == 0 else ""))
        t0 = time.perf_counter()
        with transaction.atomic():
            inbox.receive_message(channel=channel, inbound=inbound)
        receive_times.append(time.perf_counter() - t0)
    warm = 20  # the first messages build the triage engine and the calendar caches
    receive_times, route_times = receive_times[warm:], route_times[warm:]
    print(f"open={open_count} due={due} swept={swept} sweep_s={sweep_s:.3f} idle_swept={idle} idle_s={idle_s:.4f} "
          f"receive_p50={statistics.median(receive_times) * 1000:.2f} receive_p95={pct(receive_times, .95) * 1000:.2f} "
          f"route_p50={statistics.median(route_times) * 1000:.2f} route_p95={pct(route_times, .95) * 1000:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--due", type=float, default=0.01, help="share of open conversations due at the sweep")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.open, args.messages, args.due)
        return
    rows = []
    for db in args.db.split(","):
        result = subprocess.run([sys.executable, __file__, "--child", db, "--open", str(args.open), "--messages",
                                 str(args.messages), "--due", str(args.due)], capture_output=True, text=True,
                                check=False)
        sys.stderr.write(result.stderr[-3000:])
        if result.returncode != 0:
            raise SystemExit(f"{db} failed")
        rows.append((db, dict(kv.split("=", 1) for kv in result.stdout.split() if "=" in kv)))
    print("\n| database | open conversations | due at the sweep | sweep s (due ones) | sweep s (none due) "
          "| new message p50 ms | p95 ms | of which routing p50 ms | p95 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for db, r in rows:
        print(f"| {db} | {int(r['open']):,} | {int(r['swept']):,} | {float(r['sweep_s']):.2f} | "
              f"{float(r['idle_s']):.4f} | {r['receive_p50']} | {r['receive_p95']} | {r['route_p50']} | "
              f"{r['route_p95']} |")


if __name__ == "__main__":
    main()
