"""How fast are the agent's queue page and a conversation page on a big inbox?

Seeds N conversations (with contacts, messages, events, tags) into a database of its own, then times
the real views in-process through Django's test Client and prints one Markdown table:

    python benchmarks/queue_rowss.py --db postgres --sizes 10000,100000 --requests 200
    python benchmarks/queue_rowss.py --db sqlite --sizes 10000
    python benchmarks/queue_rowss.py --db postgres --sizes 1000000 --keep   # seeding ~2.5 min

Goal (PostgreSQL): queue page p95 <= 25 ms at 1M conversations and at most 1.5x its time at 10k.

The script runs itself in stages, each in a fresh process, because Django binds the database URL at
start-up and because the measured process should only hold what a server would hold:
``--stage seed`` fills the database, ``--stage measure`` times the pages; ``main`` creates the
databases, runs ``ruamchat migrate`` and prints the table. PostgreSQL comes from
``scripts/services start``. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DEFAULT_PG_ADMIN_URL = "postgres://ruamchat@127.0.0.1:55432/ruamchat"
RESULT_PREFIX = "BENCH-RESULT "

DAY = 86400.0
HISTORY_DAYS = 730  # created_at spread over two years
CHUNK = 20_000  # conversations generated and written per batch
BIG_TABLES = (
    "contacts_contact",
    "contacts_identity",
    "inbox_conversation",
    "inbox_message",
    "inbox_event",
    "inbox_conversation_tags",
)

CUSTOMER_TEXTS = (
    "สวัสดีครับ สั่งของไปเมื่อวาน ยังไม่ได้รับเลยครับ",
    "อยากทราบว่าสินค้ารุ่นนี้มีสีดำไหมคะ",
    "ชำระเงินแล้วแต่สถานะยังไม่อัปเดตค่ะ",
    "ขอเปลี่ยนไซซ์ได้ไหมครับ ใส่ไม่พอดี",
    "แอปเข้าสู่ระบบไม่ได้ ขึ้นข้อความผิดพลาดตลอด",
    "ต้องการขอคืนเงินค่ะ ได้รับสินค้าชำรุด",
    "Hello, where is my order? It has been a week.",
    "ร้านเปิดกี่โมงครับ",
    "ขอบคุณมากค่ะ",
    "ยังรออยู่นะครับ",
)
AGENT_TEXTS = (
    "สวัสดีค่ะ ยินดีให้บริการค่ะ ขอเลขที่คำสั่งซื้อด้วยนะคะ",
    "ตรวจสอบให้แล้วครับ พัสดุจะถึงภายในพรุ่งนี้ครับ",
    "ขออภัยในความไม่สะดวกค่ะ ทางเราจะดำเนินการคืนเงินภายใน 7 วันทำการ",
    "รบกวนลองออกจากระบบแล้วเข้าใหม่อีกครั้งนะครับ",
    "มีสีดำค่ะ สั่งได้เลยที่หน้าร้านออนไลน์",
    "Thank you, we are checking this for you.",
)
FIRST_NAMES = ("สมชาย", "สมหญิง", "วิชัย", "มาลี", "ประเสริฐ", "นภา", "อนุชา", "กาญจนา", "Somchai", "Anna", "", "")
LAST_NAMES = ("ใจดี", "รักไทย", "ศรีสุข", "ทองดี", "Smith", "")
TAGS = (("vip", "#d97706"), ("refund", "#dc2626"), ("delivery", "#2563eb"), ("bug", "#7c3aed"),
        ("complaint", "#be123c"), ("line", "#16a34a"))
SUPPORT_CATEGORIES = ("technical", "return", "exchange", "refund", "order_tracking", "payment")


# ====================================================================== orchestrator (no Django here)


@dataclass
class Target:
    db: str  # postgres | sqlite
    n: int
    data_dir: Path
    database_url: str
    pg_name: str = ""

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="ruamchat.settings",
            RUAMCHAT_DATA_DIR=str(self.data_dir),
            RUAMCHAT_DATABASE_URL=self.database_url,
            RUAMCHAT_ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
            RUAMCHAT_REDIS_URL="",
            RUAMCHAT_WORKER_IN_PROCESS="0",
            RUAMCHAT_DEBUG="0",
        )
        return env


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def pg_admin(url: str) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True)


def existing_conversations(target: Target, admin_url: str) -> int | None:
    """How many conversations the target database already holds; None when it has no schema."""
    if target.db == "sqlite":
        path = target.data_dir / "bench.sqlite3"
        if not path.exists():
            return None
        with sqlite3.connect(path) as db:
            try:
                return int(db.execute("SELECT count(*) FROM inbox_conversation").fetchone()[0])
            except sqlite3.OperationalError:
                return None
    import psycopg

    with pg_admin(admin_url) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target.pg_name]).fetchone() is None:
            return None
    try:
        with psycopg.connect(target.database_url) as db:
            return int(db.execute("SELECT count(*) FROM inbox_conversation").fetchone()[0])
    except psycopg.Error:
        return None


def reset_database(target: Target, admin_url: str) -> None:
    if target.db == "sqlite":
        shutil.rmtree(target.data_dir, ignore_errors=True)
        target.data_dir.mkdir(parents=True)
        return
    target.data_dir.mkdir(parents=True, exist_ok=True)
    with pg_admin(admin_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{target.pg_name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{target.pg_name}"')


def drop_database(target: Target, admin_url: str) -> None:
    if target.db == "sqlite":
        shutil.rmtree(target.data_dir, ignore_errors=True)
        return
    with pg_admin(admin_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{target.pg_name}" WITH (FORCE)')


def run_stage(target: Target, stage: str, args: Sequence[str]) -> dict[str, Any]:
    """Run this script's ``stage`` in a fresh process; it prints its result as one JSON line."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--stage", stage, *args]
    proc = subprocess.run(cmd, env=target.env(), cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"stage {stage} failed for {target.db} N={target.n} (exit {proc.returncode})")
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return dict(json.loads(line[len(RESULT_PREFIX):]))
    raise SystemExit(f"stage {stage} printed no result:\n{proc.stdout[-2000:]}")


def migrate(target: Target) -> None:
    subprocess.run([str(VENV_BIN / "ruamchat"), "migrate", "-v0"], env=target.env(), cwd=ROOT, check=True)


def prepare(target: Target, opts: argparse.Namespace) -> dict[str, Any]:
    """Create, migrate and seed the target database (or reuse it with --keep). Returns the seed result."""
    have = existing_conversations(target, opts.pg_admin_url) if opts.keep else None
    if have == target.n:
        # Migrate anyway, so an index added since the seeding is there (and measured).
        log(f"{target.db} N={target.n}: reusing the seeded database (--keep), migrating")
        migrate(target)
        info_file = target.data_dir / "seed.json"
        info = json.loads(info_file.read_text()) if info_file.exists() else {}
        return {**info, "reused": True}
    if have is not None:
        log(f"{target.db} N={target.n}: found {have} conversations, seeding again")
    reset_database(target, opts.pg_admin_url)
    log(f"{target.db} N={target.n}: migrating")
    migrate(target)
    info = run_stage(target, "seed", ["--sizes", str(target.n), "--messages", str(opts.messages),
                                      "--random-seed", str(opts.random_seed)])
    (target.data_dir / "seed.json").write_text(json.dumps(info))
    return {**info, "reused": False}


def make_target(db: str, n: int, opts: argparse.Namespace) -> Target:
    data_dir = Path(opts.data_dir) / f"{db}-{n}"
    if db == "sqlite":
        return Target(db, n, data_dir, f"sqlite:///{data_dir / 'bench.sqlite3'}")
    name = f"ruamchat_bench_{n}"
    base = opts.pg_admin_url.rsplit("/", 1)[0]
    return Target(db, n, data_dir, f"{base}/{name}", pg_name=name)


def fmt_ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def print_table(rows: list[dict[str, Any]]) -> None:
    head = ("db", "N", "msgs/conv", "seed s", "page", "p50 ms", "p95 ms", "max ms",
            "CPU ms", "queries", "SQL ms", "RSS MB")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for row in rows:
        seed = row["seed"]
        seed_s = f"{seed.get('seconds', 0):.0f}" + (" (kept)" if seed.get("reused") else "")
        for page in row["pages"]:
            cells = (
                row["db"], f"{row['n']:,}", f"{seed.get('messages_per_conversation', 0):.1f}", seed_s,
                page["name"], fmt_ms(page["p50"]), fmt_ms(page["p95"]), fmt_ms(page["max"]),
                fmt_ms(page["cpu_ms"]), str(page["queries"]), fmt_ms(page["sql_ms"]), f"{page['rss_mb']:.0f}",
            )
            print("| " + " | ".join(cells) + " |")
    for row in rows:
        m = row["memory"]
        print(f"\n{row['db']} N={row['n']:,}: RSS {m['start_mb']:.0f} MB after start-up, "
              f"{m['end_mb']:.0f} MB after all requests (peak {m['peak_mb']:.0f} MB); "
              f"mode: {row['mode']}")
        for page in row["pages"]:
            plans = page.get("sql_plans", {})
            if plans.get("slowest") == plans.get("queue"):
                plans.pop("slowest", None)
            for kind, s in plans.items():
                # the primary keys of the joined rows are always there; the queue indexes are the news
                notes = ", ".join(i for i in s["indexes"] if not i.endswith(("_pkey", "_key"))) or "no index"
                notes += ", Sort" if s["sort"] else ""
                notes += f", Seq Scan on {s['seq']}" if s["seq"] else ""
                print(f"  {page['name']}: {kind} query {s['ms']:.2f} ms ({notes})")


def main(opts: argparse.Namespace) -> None:
    sizes = [int(s.replace("_", "")) for s in opts.sizes.split(",") if s.strip()]
    rows = []
    for db in opts.db.split(","):
        for n in sizes:
            target = make_target(db.strip(), n, opts)
            seed = prepare(target, opts)
            log(f"{target.db} N={n}: measuring")
            result = run_stage(target, "measure", [
                "--sizes", str(n), "--requests", str(opts.requests), "--warmup", str(opts.warmup),
                "--random-seed", str(opts.random_seed), "--plans", str(target.data_dir / "plans.txt"),
            ])
            rows.append({"db": target.db, "n": n, "seed": seed, **result})
            log(f"{target.db} N={n}: query plans in {target.data_dir / 'plans.txt'}")
            if not opts.keep:
                drop_database(target, opts.pg_admin_url)
    print_table(rows)
    print(RESULT_PREFIX + json.dumps({"rows": rows}), flush=True)  # for benchmarks/run


# ====================================================================== seeding (Django set up)


@dataclass
class World:
    """The small fixed part of the seeded inbox: teams, agents, the channel, tags."""

    service_team: int
    support_team: int
    channel: int
    agents_of: dict[int, list[int]]  # team id -> user ids
    tag_ids: list[int]
    now: float


@dataclass
class Batch:
    conversations: list[tuple[Any, ...]] = field(default_factory=list)
    messages: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    tags: list[tuple[Any, ...]] = field(default_factory=list)


CONVERSATION_COLUMNS = (
    "id", "channel_id", "contact_id", "identity_id", "team_id", "assignee_id", "status", "priority", "category",
    "subject", "snoozed_until", "waiting_since", "last_message_at", "last_message_preview", "first_reply_at",
    "resolved_at", "reopened_count", "created_at", "updated_at", "triage", "handover", "sla_state",
    "sla_paused_seconds", "sla_flags",
)
MESSAGE_COLUMNS = (
    "id", "conversation_id", "channel_id", "direction", "sender_type", "sender_user_id", "is_private", "text",
    "html", "provider_message_id", "status", "error", "attempts", "metadata", "created_at", "sent_at",
)
EVENT_COLUMNS = ("conversation_id", "kind", "actor_id", "data", "created_at")
CONTACT_COLUMNS = ("id", "name", "email", "phone", "phone_key", "language", "avatar_url", "attributes",
                   "created_at", "last_seen_at")
IDENTITY_COLUMNS = ("id", "contact_id", "channel_id", "external_id", "display_name", "profile", "created_at")


def pick_status(rng: random.Random, position: float) -> str:
    """~5% open, 2% pending, 1% snoozed: mostly among the newest tenth, a few long-running old ones."""
    p_active = 0.72 if position > 0.9 else 0.0089
    r = rng.random()
    if r < p_active:
        r2 = rng.random() * 8
        return "open" if r2 < 5 else "pending" if r2 < 7 else "snoozed"
    return "resolved" if rng.random() < 0.67 else "closed"


def pick_priority(rng: random.Random) -> int:
    r = rng.random()
    return 0 if r < 0.02 else 1 if r < 0.12 else 2 if r < 0.82 else 3


def conversation_batch(rng: random.Random, world: World, first_id: int, count: int, n: int, n_contacts: int,
                       first_message_id: int, avg_messages: int, ts: Callable[[float], Any]) -> Batch:
    """Conversations ``first_id`` .. ``first_id + count - 1`` with their messages, events and tags."""
    batch = Batch()
    mid = first_message_id
    oldest = world.now - HISTORY_DAYS * DAY
    for cid in range(first_id, first_id + count):
        position = cid / n
        status = pick_status(rng, position)
        active = status in ("open", "pending", "snoozed")
        r = rng.random()
        team = world.service_team if r < 0.65 else world.support_team if r < 0.98 else None
        team_agents = world.agents_of[team] if team else world.agents_of[world.service_team]
        if status == "open":
            assignee = None if rng.random() < 0.40 else rng.choice(team_agents)
        else:
            assignee = rng.choice(team_agents) if rng.random() < 0.93 else None
        # Conversations are created in id order over two years; the active ones are recent.
        if active and position > 0.9:
            created = world.now - min(rng.expovariate(1 / (2 * DAY)), 30 * DAY) - 3600
        else:
            created = oldest + position * (HISTORY_DAYS - 7) * DAY + rng.random() * 3600
        contact = rng.randint(1, n_contacts)
        waiting = status == "open" and rng.random() < 0.75
        k = rng.randint(1, 2 * avg_messages - 1)
        if not waiting and status in ("open", "pending"):
            k = max(k, 2)  # someone answered
        directions = ["in" if i % 2 == 0 else "out" for i in range(k)]
        if waiting:
            directions[-1] = "in"
        elif k > 1:
            directions[-1] = "out"
        t = created
        first_reply = waiting_since = None
        replier = assignee or rng.choice(team_agents)
        text = ""
        for i, direction in enumerate(directions):
            if i:
                t += rng.expovariate(1 / 600)
            if direction == "in":
                text = rng.choice(CUSTOMER_TEXTS)
                if waiting_since is None:
                    waiting_since = t
                batch.messages.append((mid, cid, world.channel, "in", "contact", None, False, text, "",
                                       f"web-{mid}", "received", "", 0, "{}", ts(t), None))
            else:
                text = rng.choice(AGENT_TEXTS)
                first_reply = first_reply or t
                waiting_since = None
                batch.messages.append((mid, cid, world.channel, "out", "agent", replier, False, text, "",
                                       None, rng.choice(("delivered", "read")), "", 1, "{}", ts(t), ts(t)))
            mid += 1
        last = t
        if not waiting:
            waiting_since = None
        resolved = last + rng.expovariate(1 / 3600) if status in ("resolved", "closed") else None
        snoozed_until = world.now + rng.uniform(0.5, 3) * DAY if status == "snoozed" else None
        category = rng.choice(SUPPORT_CATEGORIES) if team == world.support_team else ""
        batch.conversations.append((
            cid, world.channel, contact, contact, team, assignee, status, pick_priority(rng), category, "",
            ts(snoozed_until) if snoozed_until else None, ts(waiting_since) if waiting_since else None,
            ts(last), text[:200], ts(first_reply) if first_reply else None, ts(resolved) if resolved else None,
            0, ts(created), ts(resolved or last), "{}", "{}", 9, 0, "{}",
        ))
        batch.events.append((cid, "created", None, json.dumps({"channel": "website", "team_id": team}),
                             ts(created)))
        if assignee:
            batch.events.append((cid, "assigned", assignee, json.dumps({"assignee_id": assignee,
                                                                        "previous_id": None}), ts(created + 60)))
        if resolved:
            batch.events.append((cid, "status_changed", assignee, json.dumps({"old": "open", "new": status}),
                                 ts(resolved)))
        if rng.random() < 0.2:
            batch.tags.append((cid, rng.choice(world.tag_ids)))
    return batch


def contact_rows(rng: random.Random, count: int, channel: int, now: float,
                 ts: Callable[[float], Any]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    contacts, identities = [], []
    for cid in range(1, count + 1):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}".strip()
        email = f"customer{cid}@example.co.th" if rng.random() < 0.5 else ""
        phone = f"08{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.5 else ""
        created = ts(now - rng.random() * HISTORY_DAYS * DAY)
        phone_key = f"+66{phone[1:]}" if phone else ""  # E.164, as contacts.phones.phone_key stores it
        contacts.append((cid, name, email, phone, phone_key, "th", "", "{}", created, None))
        identities.append((cid, cid, channel, f"visitor-{cid:09d}", name, "{}", created))
    return contacts, identities


class BulkWriter:
    """Bulk rows into one table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, vendor: str, raw: Any) -> None:
        self.vendor = vendor
        self.raw = raw

    def ts(self, epoch: float) -> Any:
        moment = datetime.fromtimestamp(epoch, UTC)
        # Django's SQLite backend stores naive UTC text; psycopg adapts aware datetimes itself.
        return moment if self.vendor == "postgresql" else moment.replace(tzinfo=None).isoformat(" ")

    def write(self, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
        cols = ", ".join(columns)
        if self.vendor == "postgresql":
            with self.raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            # table and columns are this module's constants, never input
            self.raw.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608


def make_world(now: float) -> World:
    """Teams, agents, a website channel and tags through the ORM (small, so speed does not matter)."""
    from django.contrib.auth.models import User

    from ruamchat.accounts.models import AgentProfile, Team
    from ruamchat.connectors.models import Channel
    from ruamchat.inbox.models import Tag

    service = Team.objects.create(name="Service", kind=Team.Kind.SERVICE)
    support = Team.objects.create(name="Support", kind=Team.Kind.SUPPORT)
    channel = Channel.objects.create(kind="website", name="Website", default_team=service)
    agents_of: dict[int, list[int]] = {service.pk: [], support.pk: []}
    people = [(f"bench-agent-{i:02d}", "agent") for i in range(1, 21)]
    people += [("bench-supervisor", "supervisor"), ("bench-admin", "admin")]
    for username, role in people:
        user = User(username=username, first_name=username.split("-")[-1].title())
        user.set_unusable_password()
        user.save()
        profile = AgentProfile.objects.create(user=user, role=role, display_name=username, language="th")
        if role != "agent":
            continue
        number = int(username.rsplit("-", 1)[1])
        # 01-14 service (01 and 02 also support), 15-20 support
        teams = [service] if number <= 14 else [support]
        if number <= 2:
            teams.append(support)
        profile.teams.set(teams)
        for team in teams:
            agents_of[team.pk].append(user.pk)
    tags = [Tag.objects.create(name=name, color=color).pk for name, color in TAGS]
    return World(service.pk, support.pk, channel.pk, agents_of, tags, now)


def pg_secondary_indexes(cursor: Any) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        [list(BIG_TABLES)],
    )
    return list(cursor.fetchall())


def seed(n: int, avg_messages: int, random_seed: int) -> dict[str, Any]:
    """Fill the freshly migrated database with ``n`` conversations.

    Seeding bypasses the inbox actions on purpose: they write one row at a time with events and
    realtime publishing, which would take hours for a million conversations. The rows are built to
    look like what the actions leave behind (same columns, statuses, timestamps, event shapes).
    """
    import django

    django.setup()
    from django.db import connection, transaction

    started = time.monotonic()
    rng = random.Random(random_seed)
    now = time.time()
    world = make_world(now)
    connection.ensure_connection()
    vendor = connection.vendor
    raw = connection.connection
    writer = BulkWriter(vendor, raw)
    dropped: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            # Loading first and indexing afterwards is several times faster than maintaining the indexes
            # row by row; FK triggers are skipped because the rows are consistent by construction.
            dropped = pg_secondary_indexes(cursor)
            for name, _definition in dropped:
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute("SET session_replication_role = replica")
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
            cursor.execute("PRAGMA synchronous = OFF")
    n_contacts = max(1, n // 2)
    counts = {"conversations": 0, "messages": 0, "events": 0, "contacts": n_contacts}
    with transaction.atomic():
        contacts, identities = contact_rows(rng, n_contacts, world.channel, now, writer.ts)
        writer.write("contacts_contact", CONTACT_COLUMNS, contacts)
        writer.write("contacts_identity", IDENTITY_COLUMNS, identities)
    del contacts, identities
    message_id = 1
    for first in range(1, n + 1, CHUNK):
        count = min(CHUNK, n - first + 1)
        batch = conversation_batch(rng, world, first, count, n, n_contacts, message_id, avg_messages, writer.ts)
        with transaction.atomic():
            writer.write("inbox_conversation", CONVERSATION_COLUMNS, batch.conversations)
            writer.write("inbox_message", MESSAGE_COLUMNS, batch.messages)
            writer.write("inbox_event", EVENT_COLUMNS, batch.events)
            writer.write("inbox_conversation_tags", ("conversation_id", "tag_id"), batch.tags)
        message_id += len(batch.messages)
        counts["conversations"] += count
        counts["messages"] += len(batch.messages)
        counts["events"] += len(batch.events)
        if (first // CHUNK) % 10 == 0:
            log(f"seeded {counts['conversations']:,}/{n:,} conversations ({time.monotonic() - started:.0f} s)")
    loaded = time.monotonic()
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for name, definition in dropped:
                log(f"creating index {name}")
                cursor.execute(definition)
            for table in ("contacts_contact", "contacts_identity", "inbox_conversation", "inbox_message"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                               f"(SELECT max(id) FROM {table}))")
            # VACUUM sets the visibility map so counts can be index-only scans, as on a live database
            # where autovacuum has run; ANALYZE gives the planner the real distribution.
            for table in BIG_TABLES:
                cursor.execute(f"VACUUM (ANALYZE) {table}")
        else:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("ANALYZE")
    return {
        "seconds": time.monotonic() - started,
        "load_seconds": loaded - started,
        "messages_per_conversation": counts["messages"] / max(1, n),
        **counts,
    }


# ====================================================================== measuring (Django set up)


def rss_mb() -> float:
    return proc_status_kb("VmRSS") / 1024


def peak_rss_mb() -> float:
    return proc_status_kb("VmHWM") / 1024


def proc_status_kb(key: str) -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    import resource

    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


@dataclass
class Page:
    name: str
    call: Callable[[int], Any]  # argument: request number (to vary the conversation)


def plan_summary(vendor: str, plan: str) -> dict[str, Any]:
    if vendor == "postgresql":
        indexes = re.findall(r"(?:Index Scan|Index Only Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)", plan)
        seq = re.findall(r"Seq Scan on (\w+)", plan)
        found = re.search(r"Execution Time: ([\d.]+) ms", plan)
        return {"indexes": sorted(set(indexes)), "sort": bool(re.search(r"\bSort\b", plan)),
                "seq": ",".join(sorted(set(seq))), "ms": float(found.group(1)) if found else 0.0}
    indexes = re.findall(r"USING (?:COVERING )?INDEX (\w+)", plan)
    seq = re.findall(r"SCAN (\w+)$", plan, re.MULTILINE)
    return {"indexes": sorted(set(indexes)), "sort": "TEMP B-TREE" in plan,
            "seq": ",".join(sorted(set(seq))), "ms": 0.0}


def explain_queries(queries: list[dict[str, Any]], plans_file: Any, page_name: str) -> dict[str, Any]:
    """EXPLAIN (ANALYZE) every query of one request that reads conversations or messages.

    Returns the summaries of the slowest of them and of the queue list query (the one with ORDER BY
    priority ... LIMIT), which is the one the queue indexes are for.
    """
    from django.db import connection

    found: dict[str, Any] = {}
    vendor = connection.vendor
    for query in queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT") or not re.search(r"inbox_(conversation|message)", sql):
            continue
        with connection.cursor() as cursor:
            if vendor == "postgresql":
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            else:
                started = time.perf_counter()
                cursor.execute(sql)
                cursor.fetchall()
                elapsed = (time.perf_counter() - started) * 1000
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                plan = "\n".join(str(row[-1]) for row in cursor.fetchall()) + f"\nRun time: {elapsed:.3f} ms"
        summary = plan_summary(vendor, plan)
        if vendor != "postgresql":
            summary["ms"] = elapsed
        plans_file.write(f"### {page_name}\n{sql}\n{plan}\n\n")
        if "slowest" not in found or summary["ms"] > found["slowest"]["ms"]:
            found["slowest"] = summary
        if re.search(r'FROM "inbox_conversation".*ORDER BY "inbox_conversation"."priority".*LIMIT', sql):
            found.setdefault("queue", summary)
    return found


def measure(n: int, requests: int, warmup: int, random_seed: int, plans_path: str) -> dict[str, Any]:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.template import Context, Template
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ruamchat.accounts.models import Team
    from ruamchat.accounts.selectors import all_teams, profile_for, teams_for
    from ruamchat.inbox import selectors
    from ruamchat.inbox.models import Conversation

    rss_start = rss_mb()
    rng = random.Random(random_seed)
    agent = User.objects.get(username="bench-agent-01")
    supervisor = User.objects.get(username="bench-supervisor")
    service = Team.objects.get(name="Service")
    clients: dict[str, Client] = {}
    for user in (agent, supervisor):
        clients[user.username] = Client()
        clients[user.username].force_login(user)
    as_agent, as_supervisor = clients[agent.username], clients[supervisor.username]
    calls = requests + warmup + 5  # timed, warm-up, and the ones whose queries are counted
    random_ids = [rng.randint(1, n) for _ in range(calls)]
    open_ids = list(Conversation.objects.filter(status="open", team=service).values_list("id", flat=True)[:5000])
    open_ids = [rng.choice(open_ids) for _ in range(calls)] if open_ids else random_ids
    queues = [("Mine", "mine", agent), ("Unassigned", "unassigned", agent),
              ("team Service", f"team:{service.pk}", agent), ("All (supervisor)", "all", supervisor)]

    real_queue = as_agent.get("/inbox/").status_code == 200
    list_url = next((url for url in ("/inbox/list", "/inbox/list/")
                     if as_agent.get(url, {"queue": "mine"}, headers={"HX-Request": "true"}).status_code == 200),
                    None)
    real_conversation = as_supervisor.get(f"/inbox/c/{random_ids[0]}/").status_code == 200
    pages: list[Page] = []

    def get(client: Client, url: str, data: dict[str, str] | None = None,
            headers: dict[str, str] | None = None) -> Any:
        response = client.get(url, data, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} {data or ''} answered {response.status_code}")
        response.content  # noqa: B018 - rendered fully, as a server would send it
        return response

    row_template = Template(
        "{% for c in rows %}<li>{{ c.contact.display_name }} {{ c.last_message_preview }} {{ c.get_status_display }}"
        " {{ c.get_priority_display }} {{ c.waiting_since|timesince }} {{ c.assignee }} {{ c.team }}"
        " {% for t in c.tags.all %}{{ t.name }}{% endfor %}</li>{% endfor %}{{ counts }}"
    )

    def queue_by_selectors(user: Any, queue: str) -> str:
        rows = selectors.queue_rows(user, selectors.QueueFilter(queue=queue))
        teams = list(all_teams() if profile_for(user).sees_everything else teams_for(user))
        counts = selectors.queue_counts(user, teams)
        return row_template.render(Context({"rows": rows, "counts": counts}))

    def conversation_by_selectors(user: Any, conversation_id: int) -> None:
        conversation = selectors.get_conversation(user, conversation_id)
        if conversation is None:
            raise SystemExit(f"conversation {conversation_id} not visible")
        list(selectors.messages_of(conversation))
        selectors.contact_history(conversation)
        list(selectors.timeline_of(conversation))
        list(selectors.earlier_conversations(conversation))

    for label, queue, user in queues:
        client = clients[user.username]
        if real_queue:
            pages.append(Page(f"queue page {label}", lambda i, c=client, q=queue: get(c, "/inbox/", {"queue": q})))
        else:
            pages.append(Page(f"queue {label} (selectors)", lambda i, u=user, q=queue: queue_by_selectors(u, q)))
    if list_url:
        for label, queue, user in queues:
            client = clients[user.username]
            pages.append(Page(f"queue list {label}", lambda i, c=client, q=queue: get(
                c, list_url, {"queue": q}, headers={"HX-Request": "true"})))
    if real_conversation:
        pages.append(Page("conversation (random)", lambda i: get(as_supervisor, f"/inbox/c/{random_ids[i]}/")))
        pages.append(Page("conversation (open, agent)", lambda i: get(as_agent, f"/inbox/c/{open_ids[i]}/")))
    else:
        pages.append(Page("conversation (random, selectors)",
                          lambda i: conversation_by_selectors(supervisor, random_ids[i])))
        pages.append(Page("conversation (open, agent, selectors)",
                          lambda i: conversation_by_selectors(agent, open_ids[i])))

    spent: list[float] = []

    def timed(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        # CaptureQueriesContext rounds each query to 1 ms; this keeps the sum exact.
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent.append(time.perf_counter() - started)

    results = []
    with open(plans_path, "w") as plans:
        for page in pages:
            for i in range(warmup):
                page.call(requests + i)
            times, cpu = [], []
            for i in range(requests):
                started, started_cpu = time.perf_counter(), time.process_time()
                page.call(i)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
            times.sort()
            cpu.sort()
            query_counts, sql_ms, captured = [], [], []
            for i in range(5):
                spent.clear()
                with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(timed):
                    page.call(i)
                query_counts.append(len(ctx.captured_queries))
                sql_ms.append(sum(spent) * 1000)
                captured = captured or list(ctx.captured_queries)
            results.append({
                "name": page.name, "p50": percentile(times, 0.5), "p95": percentile(times, 0.95),
                "max": times[-1], "queries": max(query_counts), "rss_mb": rss_mb(),
                "sql_ms": sorted(sql_ms)[len(sql_ms) // 2], "cpu_ms": percentile(cpu, 0.5),
                "sql_plans": explain_queries(captured, plans, page.name),
            })
            log(f"{page.name}: p50 {results[-1]['p50']:.1f} ms, p95 {results[-1]['p95']:.1f} ms")
    mode = "real views" if real_queue and real_conversation else (
        f"queue via {'/inbox/' if real_queue else 'selectors'}, "
        f"conversation via {'/inbox/c/<id>/' if real_conversation else 'selectors'}"
    )
    return {
        "pages": results,
        "mode": mode,
        "memory": {"start_mb": rss_start, "end_mb": rss_mb(), "peak_mb": peak_rss_mb()},
    }


# ====================================================================== command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="postgres", help="postgres, sqlite or both: postgres,sqlite")
    parser.add_argument("--sizes", default="100000", help="conversation counts, comma-separated (up to 1000000)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per page first")
    parser.add_argument("--messages", type=int, default=4, help="average messages per conversation")
    parser.add_argument("--keep", action="store_true",
                        help="keep the seeded databases and reuse one that already has N conversations")
    parser.add_argument("--data-dir", default="/tmp/ruamchat-bench", help="data dirs (and SQLite files) go here")
    parser.add_argument("--pg-admin-url", default=os.environ.get("RUAMCHAT_BENCH_PG_URL", DEFAULT_PG_ADMIN_URL),
                        help="a PostgreSQL superuser URL used to create the benchmark databases")
    parser.add_argument("--random-seed", type=int, default=20240601)
    parser.add_argument("--stage", choices=("seed", "measure"), help=argparse.SUPPRESS)
    parser.add_argument("--plans", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run(argv: list[str] | None = None) -> None:
    opts = parse_args(argv)
    if opts.stage is None:
        main(opts)
        return
    sys.path.insert(0, str(ROOT / "src"))
    n = int(opts.sizes)
    if opts.stage == "seed":
        result = seed(n, opts.messages, opts.random_seed)
    else:
        result = measure(n, opts.requests, opts.warmup, opts.random_seed, opts.plans)
    print(RESULT_PREFIX + json.dumps(result), flush=True)


if __name__ == "__main__":
    run()
