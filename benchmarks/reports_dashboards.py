"""The reports at scale: a year of a big shop's conversations, the one-off backfill of the report tables, each
dashboard for 30 days and for a year, the dashboard page, the conversation export, and the minute's catch-up.

    python benchmarks/reports_dashboards.py                        # PostgreSQL, 1,000,000 conversations, 365 days
    python benchmarks/reports_dashboards.py --quick                # PostgreSQL, 20,000 (a smoke run)
    python benchmarks/reports_dashboards.py --sqlite               # SQLite, 100,000
    python benchmarks/reports_dashboards.py --sqlite --quick

Goal: every dashboard answers in p95 <= 500 ms, for 30 days and for a year.

The database is made in a child process (Django reads its URL once, at start-up): a fresh
``ruamchat_bench_reports`` on the PostgreSQL of ``scripts/services`` (``RUAMCHAT_TEST_POSTGRES_URL``), or
SQLite in a temp dir; dropped at the end unless ``--keep``. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import Any

try:
    from benchmarks.common import RESULT_PREFIX, machine, run_child, start_django
except ImportError:  # run as a script from benchmarks/
    from common import RESULT_PREFIX, machine, run_child, start_django  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
PG_DATABASE = "ruamchat_bench_reports"
GOAL_MS = 500.0
EXPORT_ROWS = 100_000
NEW_CONVERSATIONS = 1000

#: (name, kind): two teams of each kind
TEAMS = (("ฝ่ายบริการลูกค้า", "service"), ("ทีมแชท LINE", "service"), ("ฝ่ายซัพพอร์ตเทคนิค", "support"),
         ("ทีมคืนสินค้าและเคลม", "support"))
AGENTS = 32
#: (kind, name, default team index)
CHANNELS = (("line", "LINE @chuanshop", 1), ("website", "เว็บไซต์ชวนช้อป", 0), ("messenger", "Facebook ชวนช้อป", 0),
            ("email", "support@chuanshop.example", 2), ("line", "LINE @chuanshop.mall", 1))


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


# -- in the child (Django set up) ---------------------------------------------------------------------------

def shop() -> None:
    """A big shop like the demo's: office hours Mon–Sat 09:00–18:00, SLA targets per team and priority, four
    teams (Support assigns automatically), 32 agents and a supervisor, five channels."""
    from datetime import time as wall

    from ruamchat.accounts.actions import create_agent, create_team
    from ruamchat.accounts.models import AgentProfile
    from ruamchat.connectors.actions import create_channel
    from ruamchat.connectors.models import Channel
    from ruamchat.sla.models import Calendar, OpeningPeriod, SlaPolicy

    teams = [create_team(actor=None, name=name, kind=kind, assignment="least_busy" if kind == "support" else "manual")
             for name, kind in TEAMS]
    office = Calendar.objects.create(name="เวลาทำการ จันทร์–เสาร์", time_zone="Asia/Bangkok", holiday_country="TH",
                                     is_default=True)
    for day in range(6):
        OpeningPeriod.objects.create(calendar=office, weekday=day, opens=wall(9), closes=wall(18))
    for team in teams:
        for priority, first, resolution in ((0, 15, 240), (1, 60, 480), (None, 120, 1440)):
            SlaPolicy.objects.create(team=team, priority=priority, first_response_minutes=first,
                                     next_response_minutes=first, resolution_minutes=resolution,
                                     escalate_priority=priority is None)
    for n in range(AGENTS):
        create_agent(actor=None, username=f"bench-agent-{n:02d}", password=None, display_name=f"เอเจนต์ {n:02d}",
                     teams=[teams[n % len(teams)]])
    create_agent(actor=None, username="bench-supervisor", password=None, display_name="หัวหน้าทีม",
                 role=AgentProfile.Role.SUPERVISOR, teams=teams)
    for kind, name, team in CHANNELS:
        if kind == "website":
            create_channel(actor=None, kind=kind, name=name, default_team=teams[team])
        else:  # LINE, Messenger and email want credentials through the action; nothing is sent here
            Channel.objects.create(kind=kind, name=name, default_team=teams[team])


def set_work_mem(value: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SET work_mem = '{value}'" if value else "RESET work_mem")


def reused() -> dict[str, Any]:
    """The counts of the history already in the database; the report tables emptied for the backfill."""
    from django.db import connection
    from django.db.models import Count, Q

    from ruamchat.bot.models import BotConversation
    from ruamchat.contacts.models import Contact
    from ruamchat.inbox.models import Conversation, Event, Message
    from ruamchat.reports.models import ConversationFact, DailyStat, ReportState
    from ruamchat.surveys.models import Invitation, Response

    with connection.cursor() as cursor:
        for model in (ConversationFact, DailyStat, ReportState):
            cursor.execute(f'TRUNCATE "{model._meta.db_table}"' if connection.vendor == "postgresql"
                           else f'DELETE FROM "{model._meta.db_table}"')  # noqa: S608
    active = Conversation.objects.aggregate(n=Count("pk", filter=Q(status__in=("open", "pending", "snoozed"))))
    return {"conversations": Conversation.objects.count(), "messages": Message.objects.count(),
            "events": Event.objects.count(), "contacts": Contact.objects.count(),
            "bot_conversations": BotConversation.objects.count(), "invitations": Invitation.objects.count(),
            "responses": Response.objects.count(), "active": active["n"]}


def vacuum() -> float:
    from django.db import connection

    started = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return time.perf_counter() - started


class Queries:
    """Counts the SQL queries run inside ``with connection.execute_wrapper(counter)`` (without keeping them:
    the backfill's inserts are megabytes of SQL)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.n += 1
        return execute(sql, params, many, context)


def once(name: str, call: Callable[[], Any], rows: list[dict[str, Any]], note: str = "") -> Any:
    from django.db import connection

    counter = Queries()
    t0 = time.perf_counter()
    try:
        with connection.execute_wrapper(counter):
            result = call()
    except Exception as error:  # recorded in the table; the other measures go on
        log(f"{name}: failed: {error!r}")
        rows.append({"name": name, "p50": 0, "p95": 0, "runs": 0, "queries": counter.n, "goal": "",
                     "note": f"failed: {error!r}"[:200]})
        return None
    ms = (time.perf_counter() - t0) * 1000
    rows.append({"name": name, "p50": ms, "p95": ms, "runs": 1, "queries": counter.n, "goal": "", "note": note})
    log(f"{name}: {ms / 1000:.1f} s")
    return result


def timed(name: str, call: Callable[[], Any], rows: list[dict[str, Any]], opts: argparse.Namespace,
          goal: float | None = None) -> dict[str, Any]:
    from django.db import connection

    counter = Queries()
    t0 = time.perf_counter()
    try:
        with connection.execute_wrapper(counter):
            call()
    except Exception as error:  # recorded in the table; the other measures go on
        log(f"{name}: failed: {error!r}")
        row = {"name": name, "p50": 0, "p95": 0, "runs": 0, "queries": counter.n, "goal": "", "met": False,
               "note": f"failed: {error!r}"[:200]}
        rows.append(row)
        return row
    first = time.perf_counter() - t0
    for _ in range(opts.warmup - 1 if first < 1 else 0):
        call()
    runs = opts.runs if first * opts.runs < opts.budget else max(5, int(opts.budget / max(first, 0.001)))
    times, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        call()
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    row = {"name": name, "p50": pct(times, 0.5), "p95": pct(times, 0.95), "cpu": pct(cpu, 0.5), "runs": runs,
           "queries": counter.n, "goal": f"≤ {goal:.0f} ms p95" if goal else "", "note": ""}
    if goal:
        row["met"] = row["p95"] <= goal
    rows.append(row)
    log(f"{name}: p50 {row['p50']:.0f} ms, p95 {row['p95']:.0f} ms ({runs} runs, {counter.n} queries)")
    return row


def explain_slowest(name: str, call: Callable[[], Any], path: str, top: int = 3) -> None:
    """The slowest SQL queries of one call, with their time and plan (PostgreSQL: EXPLAIN ANALYZE)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:top]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"### {name}: the {len(queries)} slowest of {len(captured.captured_queries)} queries\n")
        for query in queries:
            handle.write(f"\n-- {float(query['time']) * 1000:.0f} ms\n{query['sql'][:3000]}\n")
            if connection.vendor == "postgresql" and query["sql"].lstrip().upper().startswith("SELECT"):
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                    handle.write("\n".join(line for (line,) in cursor.fetchall()) + "\n")
        handle.write("\n")


def profile(name: str, call: Callable[[], Any], path: str) -> str:
    """Where the time of one call goes: pyinstrument when it is installed, else cProfile's top functions."""
    try:
        from pyinstrument import Profiler  # type: ignore[import-not-found]
    except ImportError:
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        call()
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        text = out.getvalue()
    else:
        instrument = Profiler()
        instrument.start()
        call()
        instrument.stop()
        text = instrument.output_text(unicode=True, color=False)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"### {name}\n{text}\n\n")
    return path


def measure(opts: argparse.Namespace, data_dir: str) -> dict[str, Any]:
    from django.contrib.auth.models import User
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from ruamchat.demo.history import generate
    from ruamchat.reports import actions, export, selectors
    from ruamchat.reports.models import ConversationFact, DailyStat

    rows: list[dict[str, Any]] = []
    if opts.reuse:  # the history of an earlier --keep run: only the report tables are made again
        counts = reused()
        log(f"reused: {counts}")
    else:
        shop()
        counts = once(f"generate {opts.conversations:,} conversations over {opts.days} days (demo.history)",
                      lambda: generate(conversations=opts.conversations, days=opts.days, seed=opts.seed), rows,
                      note="set-up")
        log(f"generated: {counts}")
        once("VACUUM (ANALYZE) after the load" if opts.db == "postgres" else "ANALYZE after the load", vacuum,
             rows, note="set-up")
    note = ""
    if opts.db == "postgres" and opts.work_mem:
        # rebuild_all's clean-up "DELETE … WHERE NOT (conversation_id IN (SELECT id FROM inbox_conversation))" is
        # only hashed when the ids fit in work_mem; with the default 4MB, a million ids make it quadratic
        set_work_mem(opts.work_mem)
        note = f"work_mem {opts.work_mem}; "
    result = once("rebuild_all() — the one-off backfill of the report tables", actions.rebuild_all, rows)
    if note:
        set_work_mem("")
    if result is not None:
        daily = DailyStat.objects.count()
        rows[-1]["note"] = f"{note}{result.conversations:,} facts, {len(result.days)} days, {daily:,} daily rows"
    once("VACUUM (ANALYZE) after the backfill" if opts.db == "postgres" else "ANALYZE after the backfill",
         vacuum, rows, note="set-up")

    today = timezone.localdate()
    year = selectors.period("custom", today - timedelta(days=364), today)
    periods = {"30 days": selectors.period("30"), "365 days": year}
    slow: list[tuple[str, Callable[[], Any]]] = []
    for label, chosen in periods.items():
        for board in selectors.BOARDS:
            def call(b: str = board, p: selectors.Period = chosen) -> Any:
                return selectors.dashboard(b, p)

            row = timed(f"dashboard `{board}`, {label}", call, rows, opts, GOAL_MS)
            if not row["met"]:
                slow.append((row["name"], call))

    supervisor = Client()
    supervisor.force_login(User.objects.get(username="bench-supervisor"))

    def get(url: str) -> None:
        response = supervisor.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        response.content  # noqa: B018 - rendered fully, as a server would send it

    year_query = f"period=custom&start={year.first}&end={year.last}"
    pages = [("service", "period=30"), ("service", year_query)]
    if opts.all_pages:
        pages += [(b, q) for b in selectors.BOARDS if b != "service" for q in ("period=30", year_query)]
    for board, query in pages:
        label = "30 days" if query == "period=30" else "365 days"
        timed(f"page GET /reports/{board}/ (supervisor), {label}", lambda b=board, q=query: get(f"/reports/{b}/?{q}"),
              rows, opts, GOAL_MS)

    # the export: the newest days that hold EXPORT_ROWS conversations (created or resolved in them)
    per_day = dict(ConversationFact.objects.values_list("created_day").annotate(n=Count("pk")))
    first, total = today, 0
    while total < EXPORT_ROWS and first >= today - timedelta(days=opts.days + 1):
        total += per_day.get(first, 0)
        first -= timedelta(days=1)
    span = selectors.period("custom", first + timedelta(days=1), today)
    wanted = min(EXPORT_ROWS, total)
    csv_path, xlsx_path = Path(data_dir) / "export.csv", Path(data_dir) / "export.xlsx"

    def to_csv() -> int:
        with open(csv_path, "w", encoding="utf-8", newline="") as handle:
            for chunk in export.csv_stream(export.conversation_header(), islice(export.conversation_rows(span),
                                                                                wanted)):
                handle.write(chunk)
        return csv_path.stat().st_size

    def to_xlsx() -> int:
        handle = export.xlsx_file([("conversations", export.conversation_header(),
                                    islice(export.conversation_rows(span), wanted))])
        size = handle.seek(0, os.SEEK_END)
        with open(xlsx_path, "wb") as out:
            handle.seek(0)
            shutil.copyfileobj(handle, out)
        handle.close()
        return size

    for label, write in (("CSV", to_csv), ("XLSX", to_xlsx)):
        size = once(f"export {wanted:,} conversation rows to {label} ({span.days} days)", write, rows)
        if size is not None:
            rows[-1]["note"] = f"{size / 1e6:.1f} MB"

    # the minute's job: nothing new, then after NEW_CONVERSATIONS new conversations of the last day
    once("catch_up(), nothing new", actions.catch_up, rows)
    added = generate(conversations=NEW_CONVERSATIONS, days=1, seed=opts.seed + 1)
    result = once(f"catch_up() after {NEW_CONVERSATIONS:,} new conversations", actions.catch_up, rows)
    if result is not None:
        rows[-1]["note"] = (f"{result.conversations:,} facts, {len(result.days)} days "
                            f"({added['messages']:,} messages, {added['events']:,} events added)")

    profiles = ""
    if slow and opts.profile:
        profiles = str(Path(tempfile.gettempdir()) / f"reports-dashboards-profiles-{opts.db}.txt")
        Path(profiles).write_text("", encoding="utf-8")
        for name, call in slow:
            profile(name, call, profiles)
            explain_slowest(name, call, profiles)
        log(f"profiles of the slow dashboards: {profiles}")
    service = {m.key: m.value for m in selectors.dashboard("service", periods["30 days"]).metrics}

    def n(key: str, digits: int = 1) -> str:
        value = service.get(key)
        return "-" if value is None else f"{value:,.{digits}f}"

    sanity = (f"service, 30 days: {n('conversations', 0)} conversations, response rate {n('response_rate')}%, "
              f"first response median {n('frt_median', 0)} s (business hours), CSAT {n('csat')}%, "
              f"first-response SLA met {n('sla_first')}%")
    return {"rows": rows, "counts": counts, "sanity": sanity, "profiles": profiles}


def child(opts: argparse.Namespace) -> None:
    data_dir = start_django(opts.db, database=PG_DATABASE, prefix="ruamchat-bench-reports", fresh=not opts.reuse)
    result = measure(opts, data_dir)
    print(RESULT_PREFIX + json.dumps({**result, "data_dir": data_dir}, ensure_ascii=False, default=str), flush=True)


# -- the table (the parent) ---------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL (default 100,000)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 20,000 conversations, 5 runs")
    parser.add_argument("--conversations", type=int, help="default 1,000,000 (PostgreSQL), 100,000 (SQLite)")
    parser.add_argument("--days", type=int, default=365, help="the conversations' spread (default 365)")
    parser.add_argument("--runs", type=int, help="timed calls per measure (default 20; --quick 5)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed calls first (one when a call takes > 1 s)")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds a measure may take: a slower one is "
                        "timed over fewer calls (at least 5; the table says how many)")
    parser.add_argument("--all-pages", action="store_true", help="time every board's page, not only the service one")
    parser.add_argument("--no-profile", dest="profile", action="store_false",
                        help="do not profile the dashboards that miss the goal")
    parser.add_argument("--work-mem", default="64MB", help="PostgreSQL work_mem for rebuild_all() only (see the "
                        "README; '' for the server's default)")
    parser.add_argument("--reuse", action="store_true", help="PostgreSQL: measure the database an earlier --keep "
                        "run left (its history is not written again; the report tables are)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database and the data dir")
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.conversations is None:
        args.conversations = 20_000 if args.quick else (100_000 if args.sqlite else 1_000_000)
    if args.runs is None:
        args.runs = 5 if args.quick else 20
    if args.db:
        child(args)
        return
    db = "sqlite" if args.sqlite else "postgres"
    if args.reuse and args.sqlite:
        parser.error("--reuse is for PostgreSQL (SQLite's database lives in a temporary directory)")
    command = [sys.executable, __file__, "--db", db, "--conversations", str(args.conversations), "--days",
               str(args.days), "--runs", str(args.runs), "--warmup", str(args.warmup), "--budget", str(args.budget),
               "--seed", str(args.seed)]
    command += ["--all-pages"] if args.all_pages else []
    command += ["--reuse"] if args.reuse else []
    command += ["--work-mem", args.work_mem]
    command += [] if args.profile else ["--no-profile"]
    run, wall = run_child(command, db=db, database=PG_DATABASE, keep=args.keep, log=log)

    print(f"\n{db}, {args.conversations:,} conversations over {args.days} days\n")
    print("| measure | goal | p50 ms | p95 ms | CPU ms | runs | queries | |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for row in run["rows"]:
        mark = ("✅ " if row["met"] else "❌ ") if "met" in row else ""
        cpu = f"{row['cpu']:,.0f}" if "cpu" in row else ""
        print(f"| {row['name']} | {row['goal']} | {row['p50']:,.0f} | {row['p95']:,.0f} | {cpu} | {row['runs']} | "
              f"{row['queries']} | {mark}{row['note']} |")
    counts = run["counts"]
    print(f"\nWritten: {counts['conversations']:,} conversations, {counts['messages']:,} messages, "
          f"{counts['events']:,} events, {counts['contacts']:,} contacts, {counts['bot_conversations']:,} with the "
          f"bot, {counts['invitations']:,} survey invitations, {counts['responses']:,} answers; "
          f"{counts['active']:,} still open or pending. Whole run {wall:.0f} s.")
    print(f"The numbers: {run['sanity']}.")
    print("p50 / p95 over `runs` calls after the warm-up; one-off steps (generate, backfill, exports, catch-up) "
          "timed once. `CPU ms`: this process's CPU time per call, p50 (Python; PostgreSQL's own work is not "
          "counted). `queries`: SQL queries of one call.")
    if run["profiles"]:
        print(f"Profiles of the dashboards over the goal: {run['profiles']}.")
    print(f"Machine: {machine()}.")
    print(RESULT_PREFIX + json.dumps({"db": db, "conversations": args.conversations, "rows": run["rows"],
                                      "wall_seconds": wall}, ensure_ascii=False, default=str),
          flush=True)  # for benchmarks/run


if __name__ == "__main__":
    main()
