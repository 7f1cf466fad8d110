"""The global search at scale: indexing a big inbox's messages, and how fast an agent's search answers.

    python benchmarks/global_search.py                       # SQLite, 200,000 messages
    python benchmarks/global_search.py --postgres            # PostgreSQL, 1,000,000 messages
    python benchmarks/global_search.py --messages 20000      # a smoke run

Goal (issue 11): fast enough to type into, p95 <= 100 ms per search, as a supervisor and as an agent.

The database is made in a child process (Django reads its URL once): SQLite in a temp dir, or a fresh
``ruamchat_bench_search`` on the PostgreSQL of ``scripts/services`` (``RUAMCHAT_TEST_POSTGRES_URL``); dropped at
the end unless ``--keep``. Set-up (timed, not a goal):

- four teams, an agent in the first only, a supervisor; five channels, each answered by one team;
- N/8 contacts with Thai or English names (PyThaiNLP-style Thai first and last names, some nicknames on their
  channel identity), 45% with an email address, 50% with a phone number written in one of four ways;
- N/8 conversations (one per contact), spread over the channels;
- N messages, ~8 per conversation: 70% Thai, 30% English, written from the knowledge-base benchmark's words
  (the shop's words, then the most frequent words of the Thai National Corpus, drawn ~ 1/rank; Thai words run
  together as Thai is written), 1 to 3 sentences; some with an order number or a phone number; 3% private notes.
  Rows are ``bulk_create``d in transactions of 5,000; message ids grow with time, as in a real inbox.

Timed:
- **index**: ``search.actions.rebuild_all(processes=2)`` over everything (``ruamchat rebuild_search
  --processes 2``: every message analysed - newmm, stemming, tone folding - and written in batches of 500), the
  index's size; then the background job's ``catch_up()`` with nothing new (its cost every 5 s), after 1,000 new
  messages, and over a backlog of 20,000 new messages (one process: the job's rate).
- **search**: ``search.selectors.search(user, q, limit=20)`` - what the page and the as-you-type fragment call -
  for ~200 queries of the kinds agents type (Thai words, two Thai words, Thai typed without tone marks, English
  words and unfinished English words, customers' names, phone numbers in any format, email addresses, #numbers),
  as the supervisor (sees everything) and as the agent (one team of four: the permission check filters), after a
  warm-up pass over other queries of the same kinds; then ``GET /search/results/?q=..&compact=1`` (the top bar's
  fragment, rendered) for 50 of them through Django's test client.
Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

try:
    from benchmarks.common import RESULT_PREFIX, machine, run_child, start_django
    from benchmarks.kb_search import (
        ENGLISH_DOMAIN,
        ENGLISH_FUNCTION,
        ENGLISH_GENERAL,
        THAI_DOMAIN,
        THAI_FUNCTION,
        TONE_MARKS,
        Writer,
        Zipf,
        thai_vocabulary,
    )
except ImportError:  # run as a script from benchmarks/
    from common import RESULT_PREFIX, machine, run_child, start_django  # type: ignore[no-redef]
    from kb_search import (  # type: ignore[no-redef]
        ENGLISH_DOMAIN,
        ENGLISH_FUNCTION,
        ENGLISH_GENERAL,
        THAI_DOMAIN,
        THAI_FUNCTION,
        TONE_MARKS,
        Writer,
        Zipf,
        thai_vocabulary,
    )

ROOT = Path(__file__).resolve().parent.parent
PG_DATABASE = "ruamchat_bench_search"
GOAL_P95_MS = 100.0
PER_CONVERSATION = 8
BATCH = 5000
BACKLOG = 20_000

TEAMS = ("ฝ่ายบริการลูกค้า", "ทีมแชท LINE", "ฝ่ายซัพพอร์ตเทคนิค", "ทีมคืนสินค้าและเคลม")
#: (kind, name, team index)
CHANNELS = (("website", "เว็บไซต์ชวนช้อป", 0), ("line", "LINE @chuanshop", 1), ("messenger", "Facebook ชวนช้อป", 0),
            ("email", "support@chuanshop.example", 2), ("line", "LINE @chuanshop.mall", 3))
THAI_FIRST = ("สมชาย", "สมหญิง", "วิชัย", "มาลี", "ประเสริฐ", "นภา", "อนุชา", "กาญจนา", "ปิยะ", "ธนากร", "วรรณา",
              "สุนิสา", "อรุณ", "จันทร์เพ็ญ", "ชัยวัฒน์", "พรทิพย์", "ณัฐพล", "ศิริพร", "กิตติ", "รัตนา", "ธีรพงษ์",
              "เพ็ญศรี", "สุรชัย", "อัญชลี", "วีระ", "ปราณี", "บุญชัย", "ลำดวน", "เกศินี", "ภูมิ")
THAI_LAST = ("ใจดี", "รักไทย", "ศรีสุข", "ทองดี", "มั่นคง", "แสงทอง", "บุญมา", "วงศ์สวัสดิ์", "สุขสมบูรณ์",
             "เจริญผล", "พึ่งบุญ", "ทรัพย์มาก", "ศรีวงศ์", "แก้วมณี", "ชัยมงคล", "อินทร์แก้ว", "ปัญญาดี", "สายทอง")
ENGLISH_FIRST = ("John", "Mary", "David", "Sarah", "Michael", "Emma", "James", "Olivia", "Daniel", "Sophie", "Ken",
                 "Lisa", "Tom", "Anna", "Peter", "Grace")
ENGLISH_LAST = ("Smith", "Tan", "Brown", "Lee", "Wong", "Miller", "Chen", "Taylor", "Garcia", "Nguyen", "Walker")
NICKNAMES = ("Ploy", "Bee", "Mint", "Bank", "Ton", "Fern", "Golf", "Nok", "Pim", "Beam", "Aom", "Ice", "Oil", "Noon")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


# -- in the child (Django set up) ---------------------------------------------------------------------------

def phone_text(number: int, style: int) -> str:
    digits = f"08{number:08d}"
    return (digits, f"{digits[:3]}-{digits[3:6]}-{digits[6:]}", f"+66 {digits[1:3]} {digits[3:6]} {digits[6:]}",
            f"{digits[:3]} {digits[3:6]} {digits[6:]}")[style]


class People:
    """Names, emails and phones of the generated contacts, remembered for the queries."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names: list[str] = []
        self.phones: list[str] = []
        self.emails: list[str] = []

    def make(self, n: int) -> dict[str, Any]:
        rng = self.rng
        english = rng.random() < 0.2
        first = rng.choice(ENGLISH_FIRST if english else THAI_FIRST)
        last = rng.choice(ENGLISH_LAST if english else THAI_LAST)
        name = f"{first} {last}"
        email = f"{rng.choice(NICKNAMES).lower()}.{n}@example.com" if rng.random() < 0.45 else ""
        phone = phone_text(rng.randrange(10 ** 8), rng.randrange(4)) if rng.random() < 0.5 else ""
        if len(self.names) < 500:
            self.names.append(name)
        if phone and len(self.phones) < 500:
            self.phones.append(phone)
        if email and len(self.emails) < 500:
            self.emails.append(email)
        return {"name": name, "email": email, "phone": phone,
                "nickname": rng.choice(NICKNAMES) if rng.random() < 0.3 else name}


class Texts:
    """Chat messages in Thai and English from the knowledge-base benchmark's words."""

    def __init__(self, rng: random.Random) -> None:
        self.thai = Zipf(THAI_DOMAIN, thai_vocabulary(), rng)
        self.english = Zipf(ENGLISH_DOMAIN, ENGLISH_GENERAL, rng)
        self.writers = {"th": Writer("th", self.thai, THAI_FUNCTION), "en": Writer("en", self.english,
                                                                                   ENGLISH_FUNCTION)}

    def message(self, rng: random.Random) -> str:
        writer = self.writers["th" if rng.random() < 0.7 else "en"]
        text = " ".join(writer.sentence(rng)[0] for _ in range(rng.choice((1, 1, 1, 2, 2, 3))))
        roll = rng.random()
        if roll < 0.05:
            text += f" ORD-{rng.randint(10000, 99999)}"
        elif roll < 0.07:
            text += " " + phone_text(rng.randrange(10 ** 8), rng.randrange(4))
        return text[:2000]


def shop() -> dict[str, Any]:
    from ruamchat.accounts.actions import create_agent, create_team
    from ruamchat.accounts.models import AgentProfile
    from ruamchat.connectors.actions import create_channel
    from ruamchat.connectors.models import Channel

    teams = [create_team(actor=None, name=name, kind="service") for name in TEAMS]
    agent = create_agent(actor=None, username="bench-agent", password=None, display_name="เอเจนต์",
                         teams=[teams[0]]).user
    supervisor = create_agent(actor=None, username="bench-supervisor", password=None, display_name="หัวหน้าทีม",
                              role=AgentProfile.Role.SUPERVISOR, teams=teams).user
    channels = []
    for kind, name, team in CHANNELS:
        if kind == "website":
            channels.append(create_channel(actor=None, kind=kind, name=name, default_team=teams[team]))
        else:  # no credentials needed: nothing is sent
            channels.append(Channel.objects.create(kind=kind, name=name, default_team=teams[team]))
    return {"teams": teams, "agent": agent, "supervisor": supervisor, "channels": channels}


def history(messages: int, rng: random.Random, texts: Texts, people: People, setting: dict[str, Any],
            start: int = 0) -> dict[str, int]:
    """Contacts, one conversation each, and ``messages`` messages, in transactions of ``BATCH`` messages."""
    from django.db import transaction

    from ruamchat.contacts.models import Contact, Identity
    from ruamchat.contacts.phones import phone_key
    from ruamchat.inbox.models import Conversation, Message

    channels, agent_ids = setting["channels"], [setting["agent"].pk, setting["supervisor"].pk]
    written = {"contacts": 0, "conversations": 0, "messages": 0}
    n = start
    while written["messages"] < messages:
        size = min(BATCH, messages - written["messages"])
        count = max(1, size // PER_CONVERSATION)
        with transaction.atomic():
            made = [people.make(n + i) for i in range(count)]
            contacts = Contact.objects.bulk_create([
                Contact(name=p["name"], email=p["email"], phone=p["phone"], phone_key=phone_key(p["phone"]))
                for p in made])
            where = [channels[rng.randrange(len(channels))] for _ in contacts]
            Identity.objects.bulk_create([
                Identity(contact=c, channel=ch, external_id=f"bench-{n + i}", display_name=p["nickname"])
                for i, (c, ch, p) in enumerate(zip(contacts, where, made, strict=True))])
            conversations = Conversation.objects.bulk_create([
                Conversation(channel=ch, contact=c, team_id=ch.default_team_id, status="resolved")
                for c, ch in zip(contacts, where, strict=True)])
            rows = []
            for i in range(size):
                conversation = conversations[i % count]
                private = rng.random() < 0.03
                customer = not private and i % 2 == 0
                rows.append(Message(
                    conversation=conversation, channel_id=conversation.channel_id,
                    direction="in" if customer else "out", sender_type="contact" if customer else "agent",
                    sender_user_id=None if customer else rng.choice(agent_ids), is_private=private,
                    text=texts.message(rng), status="received" if customer else "sent"))
            Message.objects.bulk_create(rows, batch_size=1000)
        n += count
        written["contacts"] += count
        written["conversations"] += count
        written["messages"] += size
        if written["messages"] % 100_000 < BATCH:
            log(f"written {written['messages']:,} messages")
    return written


def index_size() -> dict[str, int]:
    from django.db import connection

    sizes: dict[str, int] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE search_messagedocument")
            for table in ("search_messagedocument", "search_contactdocument"):
                cursor.execute("SELECT pg_total_relation_size(%s)", [table])
                sizes[table] = int(cursor.fetchone()[0])
        else:
            try:
                cursor.execute("SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE 'search%' GROUP BY name")
                for name, size in cursor.fetchall():
                    sizes[name] = int(size)
            except Exception:  # SQLite built without dbstat
                sizes["(dbstat not available)"] = 0
    return sizes


def make_queries(rng: random.Random, texts: Texts, people: People, conversation_ids: Sequence[int],
                 count: int) -> list[tuple[str, str]]:
    """(kind, query) pairs in the proportions agents type them."""
    out: list[tuple[str, str]] = []
    shares = (("thai word", 0.25), ("two thai words", 0.12), ("thai, no tone marks", 0.08),
              ("english word", 0.12), ("english, still typing", 0.05), ("name", 0.14), ("phone", 0.08),
              ("email", 0.06), ("#number", 0.1))
    for kind, share in shares:
        for _ in range(max(1, round(count * share))):
            if kind == "thai word":
                query = texts.thai.draw(rng, 1)[0]
            elif kind == "two thai words":
                query = " ".join(texts.thai.distinct(rng, 2))
            elif kind == "thai, no tone marks":
                query = next(w for w in iter(lambda: texts.thai.draw(rng, 1)[0], None)
                             if w.translate(TONE_MARKS) != w).translate(TONE_MARKS)
            elif kind == "english word":
                query = texts.english.draw(rng, 1)[0]
            elif kind == "english, still typing":
                word = next(w for w in iter(lambda: texts.english.draw(rng, 1)[0], None) if len(w) >= 6)
                query = word[:rng.randint(3, len(word) - 2)]
            elif kind == "name":
                name = rng.choice(people.names)
                query = name if rng.random() < 0.3 else rng.choice(name.split())
            elif kind == "phone":
                digits = "".join(ch for ch in rng.choice(people.phones) if ch.isdigit())
                digits = "0" + digits[2:] if digits.startswith("66") else digits
                query = phone_text(int(digits[2:]), rng.randrange(4))
            elif kind == "email":
                query = rng.choice(people.emails)
            else:
                query = f"#{rng.choice(conversation_ids)}" if rng.random() < 0.7 else str(rng.choice(conversation_ids))
            out.append((kind, query))
    rng.shuffle(out)
    return out


def time_searches(user: Any, queries: Sequence[tuple[str, str]]) -> dict[str, Any]:
    from ruamchat.search.selectors import search

    by_kind: dict[str, list[float]] = defaultdict(list)
    found: dict[str, int] = defaultdict(int)
    times = []
    for kind, query in queries:
        started = time.perf_counter()
        results = search(user, query, limit=20)
        elapsed = (time.perf_counter() - started) * 1000
        times.append(elapsed)
        by_kind[kind].append(elapsed)
        found[kind] += int(not results.empty)
    slowest = sorted(zip(times, (q for _k, q in queries), strict=True), reverse=True)[:5]
    return {"p50": pct(times, 0.5), "p95": pct(times, 0.95), "max": max(times), "n": len(times),
            "kinds": {kind: {"p50": pct(v, 0.5), "p95": pct(v, 0.95), "n": len(v), "found": found[kind]}
                      for kind, v in by_kind.items()},
            "slowest": [(round(ms, 1), q) for ms, q in slowest]}


def timed_once(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def child(opts: argparse.Namespace) -> None:
    data_dir = start_django(opts.db, database=PG_DATABASE, prefix="ruamchat-bench-search")
    from django.db import connection
    from django.test import Client

    from ruamchat.inbox.models import Conversation
    from ruamchat.search import actions
    from ruamchat.search.models import MessageDocument
    from ruamchat.search.terms import analyzer

    rng = random.Random(opts.seed)
    analyzer()  # the dictionaries load once per process
    texts = Texts(rng)
    people = People(rng)
    setting = shop()
    log(f"writing {opts.messages:,} messages")
    written, write_seconds = timed_once(lambda: history(opts.messages, rng, texts, people, setting))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"written in {write_seconds:.0f} s; indexing with {opts.processes} processes")
    first, index_seconds = timed_once(lambda: actions.rebuild_all(processes=opts.processes, progress=log))
    sizes = index_size()
    log(f"indexed {first.messages:,} messages in {index_seconds:.0f} s")
    idle, idle_seconds = timed_once(actions.catch_up)
    history(1000, rng, texts, people, setting, start=10 ** 7)
    fresh, fresh_seconds = timed_once(actions.catch_up)
    history(BACKLOG, rng, texts, people, setting, start=2 * 10 ** 7)
    backlog, backlog_seconds = timed_once(lambda: actions.catch_up(seconds=10 ** 9))
    log(f"catch-up: {backlog.messages:,} new messages in {backlog_seconds:.0f} s")

    conversation_ids = list(Conversation.objects.order_by("?").values_list("id", flat=True)[:500])
    warmup = make_queries(random.Random(opts.seed + 1), texts, people, conversation_ids, 60)
    queries = make_queries(random.Random(opts.seed + 2), texts, people, conversation_ids, opts.queries)
    results = {}
    for who in ("supervisor", "agent"):
        user = setting[who]
        time_searches(user, warmup)
        results[who] = time_searches(user, queries)
        log(f"{who}: p50 {results[who]['p50']:.1f} ms, p95 {results[who]['p95']:.1f} ms")
    client = Client()
    client.force_login(setting["agent"])
    page_times = []
    for _kind, query in queries[:50]:
        started = time.perf_counter()
        response = client.get("/search/results/", {"q": query, "compact": "1"}, headers={"HX-Request": "true"})
        page_times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    documents = MessageDocument.objects.count()
    print(RESULT_PREFIX + json.dumps({
        "data_dir": data_dir, "written": written, "write_seconds": write_seconds, "documents": documents,
        "index_seconds": index_seconds, "indexed": first.messages, "contacts_indexed": first.contacts,
        "idle_seconds": idle_seconds, "idle": idle.messages, "fresh_seconds": fresh_seconds, "fresh": fresh.messages,
        "backlog_seconds": backlog_seconds, "backlog": backlog.messages, "processes": opts.processes,
        "sizes": sizes, "search": results,
        "page": {"p50": pct(page_times, 0.5), "p95": pct(page_times, 0.95), "n": len(page_times)},
    }, ensure_ascii=False), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite (default 1,000,000)")
    parser.add_argument("--messages", type=int, help="default 200,000 (SQLite), 1,000,000 (PostgreSQL)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--processes", type=int, default=2, help="processes analysing text in the first index")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="keep the database and the data dir")
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.messages is None:
        args.messages = 1_000_000 if args.postgres else 200_000
    if args.db:
        child(args)
        return
    db = "postgres" if args.postgres else "sqlite"
    command = [sys.executable, __file__, "--db", db, "--messages", str(args.messages), "--queries",
               str(args.queries), "--seed", str(args.seed), "--processes", str(args.processes)]
    run, wall = run_child(command, db=db, database=PG_DATABASE, keep=args.keep, log=log)

    written = run["written"]
    print(f"\n{db}: {written['messages']:,} messages in {written['conversations']:,} conversations of "
          f"{written['contacts']:,} contacts (written in {run['write_seconds']:.0f} s)\n")
    print("| step | time | |")
    print("|---|---:|---|")
    print(f"| index everything: `rebuild_all(processes={run['processes']})` | {run['index_seconds']:.1f} s | "
          f"{run['indexed']:,} messages ({run['indexed'] / max(run['index_seconds'], 0.001):,.0f}/s), "
          f"{run['contacts_indexed']:,} contacts |")
    print(f"| catch-up, nothing new (every 5 s) | {run['idle_seconds'] * 1000:.0f} ms | |")
    print(f"| catch-up after 1,000 new messages | {run['fresh_seconds'] * 1000:.0f} ms | {run['fresh']:,} indexed |")
    print(f"| catch-up of a backlog of {BACKLOG:,} messages (one process) | {run['backlog_seconds']:.1f} s | "
          f"{run['backlog']:,} indexed ({run['backlog'] / max(run['backlog_seconds'], 0.001):,.0f}/s); "
          f"{run['documents']:,} documents in the end |")
    size = sum(run["sizes"].values())
    print(f"| index size | {size / 2 ** 20:,.0f} MiB | " + ", ".join(
        f"{name} {value / 2 ** 20:,.1f}" for name, value in sorted(run["sizes"].items())) + " |")
    print(f"\nSearches (`selectors.search(user, q, limit=20)`), goal p95 ≤ {GOAL_P95_MS:.0f} ms:\n")
    print("| as | queries | p50 ms | p95 ms | max ms | |")
    print("|---|---:|---:|---:|---:|---|")
    for who, row in run["search"].items():
        mark = "✅" if row["p95"] <= GOAL_P95_MS else "❌"
        print(f"| {who} | {row['n']} | {row['p50']:.1f} | {row['p95']:.1f} | {row['max']:.1f} | {mark} |")
    page = run["page"]
    print(f"| agent, `GET /search/results/?compact=1` (rendered) | {page['n']} | {page['p50']:.1f} | "
          f"{page['p95']:.1f} | | |")
    print("\nBy kind of query (supervisor / agent; found: queries with any result):\n")
    print("| kind | queries | p50 ms | p95 ms | found |")
    print("|---|---:|---:|---:|---:|")
    supervisor, agent = run["search"]["supervisor"]["kinds"], run["search"]["agent"]["kinds"]
    for kind in supervisor:
        s, a = supervisor[kind], agent[kind]
        print(f"| {kind} | {s['n']} | {s['p50']:.1f} / {a['p50']:.1f} | {s['p95']:.1f} / {a['p95']:.1f} | "
              f"{s['found']} / {a['found']} |")
    for who in ("supervisor", "agent"):
        print(f"\nSlowest as {who}: " + ", ".join(f"{q!r} {ms} ms" for ms, q in run["search"][who]["slowest"]))
    print(f"\nWhole run {wall:.0f} s. Machine: {machine()}.")


if __name__ == "__main__":
    main()
