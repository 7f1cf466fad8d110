"""The benchmark suite: runs the benchmarks that issue 12 names, each as a child process on loopback, and prints
one Markdown table of the measured numbers beside their goals (✅/❌). Run it as ``benchmarks/run``:

    benchmarks/run                     # the full run: 1M conversations, 50k articles (~60 min on 2 cores)
    benchmarks/run --quick             # small sizes (10k conversations, 5k articles), ~8 min
    benchmarks/run --only inbound,latency,memory
    benchmarks/run --keep              # keep the seeded databases; the next --keep run reuses them

Rows (names for --only): inbound-sqlite, inbound-postgres (or inbound for both), latency, queue, kb, dashboards,
outbound, memory (read from the inbound and latency runs; runs the inbound ones when alone), helpdesk (the
django-helpdesk comparison, benchmarks/helpdesk_compare.py, when that script exists: its own table follows).
Each child's full output (its detailed tables) goes to <--out>/<row>.md. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    from benchmarks.common import RESULT_PREFIX, machine
except ImportError:  # run as a script from benchmarks/
    from common import RESULT_PREFIX, machine  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
PY = sys.executable
ALL = ("inbound-sqlite", "inbound-postgres", "latency", "queue", "kb", "dashboards", "outbound", "memory",
       "helpdesk")
IDLE_RSS_GOAL_MB = 200.0


def log(message: str) -> None:
    print(f"[suite] {message}", file=sys.stderr, flush=True)


@dataclass
class Row:
    what: str
    measured: str
    goal: str = ""
    met: bool | None = None  # None: no goal (information)

    def cells(self) -> list[str]:
        mark = "" if self.met is None else ("✅" if self.met else "❌")
        return [self.what, self.measured, self.goal or "—", mark]


@dataclass
class Suite:
    opts: argparse.Namespace
    env: dict[str, str]
    rows: list[Row] = field(default_factory=list)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: list[str] = field(default_factory=list)  # tables printed after ours (helpdesk)
    seconds: dict[str, float] = field(default_factory=dict)

    def child(self, name: str, command: list[str], timeout: float) -> dict[str, Any] | None:
        """Run one benchmark; its stdout goes to <out>/<name>.md, its progress to our stderr. Its result line,
        or None when it failed (the row then says so)."""
        out = Path(self.opts.out) / f"{name}.md"
        log(f"{name}: {' '.join(command[1:])}")
        started = time.monotonic()
        try:
            proc = subprocess.run([PY, *command], cwd=ROOT, env=self.env, stdout=subprocess.PIPE, text=True,
                                  timeout=timeout, check=False)
            stdout, code = proc.stdout, proc.returncode
        except subprocess.TimeoutExpired as exc:
            stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            code = -1
            log(f"{name}: timed out after {timeout:.0f} s")
        self.seconds[name] = time.monotonic() - started
        out.write_text(stdout, encoding="utf-8")
        found = [line for line in stdout.splitlines() if line.startswith(RESULT_PREFIX)]
        if code != 0 or not found:
            log(f"{name}: failed (exit {code}); its output is in {out}")
            return None
        log(f"{name}: done in {self.seconds[name]:.0f} s; tables in {out}")
        result: dict[str, Any] = json.loads(found[-1][len(RESULT_PREFIX):])
        self.results[name] = result
        return result

    def keep(self) -> list[str]:
        return ["--keep"] if self.opts.keep else []

    def timeout(self, seconds: float) -> float:
        return seconds * self.opts.timeout_factor

    def redis_url(self) -> str:
        return self.env["RUAMCHAT_TEST_REDIS_URL"]

    def failed(self, what: str, name: str, goal: str = "") -> None:
        self.rows.append(Row(what, f"failed: see {Path(self.opts.out) / (name + '.md')}", goal, False))


# ====================================================================== the rows


def fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def inbound_sqlite(s: Suite) -> None:
    n = 1000 if s.opts.quick else 3000
    r = s.child("inbound-sqlite", [str(HERE / "line_webhooks.py"), "--db", "sqlite", "--worker", "embedded",
                                   "--client", "raw", "--webhooks", str(n), "--concurrency", "8",
                                   "--data-dir", str(Path(s.opts.out) / "line"), *s.keep()], s.timeout(900))
    what = f"inbound, SQLite (`serve`, worker in-process), {n:,} webhooks"
    if r is None:
        s.failed(what, "inbound-sqlite")
        return
    row = r["rows"][0]
    s.rows.append(Row(f"{what}: accepted/s", fmt(row["accepted_per_s"]) + f" (answer p99 {row['p99']:.0f} ms)"))
    s.rows.append(Row(f"{what}: processed end-to-end/s (visible through the API)", fmt(row["processed_per_s"])))


def inbound_postgres(s: Suite) -> None:
    n = 2000 if s.opts.quick else 5000
    r = s.child("inbound-postgres", [str(HERE / "line_webhooks.py"), "--db", "postgres", "--wsgi",
                                     "--web-workers", "2", "--threads", "4", "--workers-count", "2",
                                     "--client", "raw", "--webhooks", str(n), "--concurrency", "16",
                                     "--redis-url", s.redis_url(), "--data-dir", str(Path(s.opts.out) / "line"),
                                     *s.keep()], s.timeout(1200))
    what = f"inbound, PostgreSQL (`serve --wsgi --workers 2` + 2 × `worker`), {n:,} webhooks"
    if r is None:
        s.failed(f"{what}: accepted/s", "inbound-postgres", "≥ 1,000/s")
        return
    row = r["rows"][0]
    s.rows.append(Row(f"{what}: accepted/s", fmt(row["accepted_per_s"]) + f" (answer p99 {row['p99']:.0f} ms)",
                      "≥ 1,000/s", row["accepted_per_s"] >= 1000))
    processed = row["processed_per_s"]
    s.rows.append(Row(f"{what}: processed end-to-end/s (visible through the API)",
                      fmt(processed) if processed else f"timeout ({row['visible']:,} visible)", "≥ 500/s",
                      bool(processed and processed >= 500)))


def latency(s: Suite) -> None:
    seconds = 10 if s.opts.quick else 30
    r = s.child("latency", [str(HERE / "realtime_latency.py"), "--agents", "200", "--rate", "100", "--seconds",
                            str(seconds), "--timeout", "240", "--redis-url", s.redis_url(),
                            "--data-dir", str(Path(s.opts.out) / "realtime"), *s.keep()], s.timeout(1200))
    what = f"webhook → agent websocket, 200 agents, 100 messages/s for {seconds} s"
    if r is None:
        s.failed(what, "latency", "p99 ≤ 200 ms")
        return
    complete = "" if r["complete"] else f"; {r['missing_deliveries']:,} deliveries missing at the timeout"
    s.rows.append(Row(f"{what}: first agent p50 / p99", f"{fmt(r['first_p50'])} / {fmt(r['first_p99'])} ms"
                      f" ({r['connected']} connected, sent at {r['achieved_rate']:.0f}/s{complete})",
                      "p99 ≤ 200 ms", r["complete"] and r["first_p99"] <= 200))
    s.rows.append(Row(f"{what}: every agent p50 / p99", f"{fmt(r['all_p50'])} / {fmt(r['all_p99'])} ms",
                      "p99 ≤ 200 ms", r["complete"] and r["all_p99"] <= 200))


def queue(s: Suite) -> None:
    n = 10_000 if s.opts.quick else 1_000_000
    r = s.child("queue", [str(HERE / "queue_pages.py"), "--db", "postgres", "--sizes", str(n), "--requests",
                          "50" if s.opts.quick else "100", "--data-dir", str(Path(s.opts.out) / "queue"),
                          *s.keep()], s.timeout(2400))
    what = f"agent queue page p95, {n:,} conversations (PostgreSQL)"
    if r is None:
        s.failed(what, "queue", "≤ 25 ms")
        return
    pages = [p for p in r["rows"][0]["pages"] if p["name"].startswith("queue page")]
    worst = max(pages, key=lambda p: p["p95"])
    detail = ", ".join(f"{p['name'].removeprefix('queue page ')} {p['p95']:.1f}" for p in pages)
    s.rows.append(Row(what, f"{worst['p95']:.1f} ms (worst; {detail}; this process's CPU per page p50 "
                      f"{max(p['cpu_ms'] for p in pages):.1f} ms)", "≤ 25 ms", worst["p95"] <= 25))


def kb(s: Suite) -> None:
    n = 5_000 if s.opts.quick else 50_000
    r = s.child("kb", [str(HERE / "kb_search.py"), "--db", "postgres", "--articles", str(n), "--queries",
                       "200" if s.opts.quick else "400", *s.keep()], s.timeout(2400))
    what = f"knowledge-base search p95, {n:,} articles (PostgreSQL)"
    if r is None:
        s.failed(what, "kb", "≤ 20 ms")
        return
    row = r["rows"][0]
    s.rows.append(Row(what, f"{row['p95']:.1f} ms (p50 {row['p50']:.1f}; CPU p50 / p95 {row['cpu_p50']:.1f} / "
                      f"{row['cpu_p95']:.1f} ms)", "≤ 20 ms", row["p95"] <= 20))


def dashboards(s: Suite) -> None:
    n = 10_000 if s.opts.quick else 1_000_000
    command = [str(HERE / "reports_dashboards.py"), "--conversations", str(n), "--runs",
               "5" if s.opts.quick else "10", "--no-profile", *s.keep()]
    if s.opts.keep and kept_conversations(s, "ruamchat_bench_reports") == n + 1000:  # + the catch-up's 1,000
        command.append("--reuse")
    r = s.child("dashboards", command, s.timeout(4800))
    what = f"dashboards p95, {n:,} conversations (PostgreSQL, the five boards)"
    if r is None:
        s.failed(what, "dashboards", "≤ 500 ms")
        return
    for period in ("30 days", "365 days"):
        boards = [x for x in r["rows"] if x["name"].startswith("dashboard") and x["name"].endswith(period)]
        if not boards:
            continue
        worst = max(boards, key=lambda x: x["p95"])
        detail = ", ".join(f"{x['name'].split('`')[1]} {x['p95']:,.0f}" for x in boards)
        s.rows.append(Row(f"{what}, {period}", f"{worst['p95']:,.0f} ms (worst; {detail})", "≤ 500 ms",
                          all(x.get("met") for x in boards)))


def outbound(s: Suite) -> None:
    n = 1000 if s.opts.quick else 5000
    r = s.child("outbound", [str(HERE / "outbound_sends.py"), "--replies", str(n), "--conversations",
                             "200" if s.opts.quick else "500", "--data-dir", str(Path(s.opts.out) / "outbound"),
                             *s.keep()], s.timeout(1800))
    what = f"outbound: {n:,} agent replies sent by 2 × `worker` to a stand-in LINE API"
    if r is None:
        s.failed(what, "outbound")
        return
    s.rows.append(Row(f"{what}: sends/s", fmt(r["sends_per_s"]) + f" ({r['worker_cpu_ms_per_send']:.0f} ms "
                      "worker CPU per send)"))
    s.rows.append(Row(f"{what}: delivered exactly once", f"{r['delivered']:,} delivered, {r['duplicates']} "
                      f"duplicates, {r['failed']} failed", "every reply once",
                      r["delivered"] == n and r["duplicates"] == 0))


def memory(s: Suite) -> None:
    """From the runs above: VmRSS of each server process after start-up and a few requests (idle) and after
    the load (loaded)."""
    found = False
    sqlite = s.results.get("inbound-sqlite")
    if sqlite:
        row = sqlite["rows"][0]
        idle, loaded = row["rss_idle"]["server"]["self"], row["rss_loaded"]["server"]["self"]
        s.rows.append(Row("memory: ASGI `serve` with the worker in-process (SQLite), idle / after the webhooks",
                          f"{idle:.0f} / {loaded:.0f} MB", "idle ≤ 200 MB", idle <= IDLE_RSS_GOAL_MB))
        found = True
    postgres = s.results.get("inbound-postgres")
    if postgres:
        row = postgres["rows"][0]
        idle, loaded = row["rss_idle"], row["rss_loaded"]
        kids_idle, kids_loaded = idle["server"]["children"], loaded["server"]["children"]
        s.rows.append(Row("memory: WSGI worker processes of `serve --wsgi` (each; the gunicorn master beside "
                          "them), idle / after the webhooks",
                          f"{' + '.join(f'{x:.0f}' for x in kids_idle)} / "
                          f"{' + '.join(f'{x:.0f}' for x in kids_loaded)} MB (master {idle['server']['self']:.0f} "
                          f"/ {loaded['server']['self']:.0f})", "idle ≤ 200 MB each",
                          bool(kids_idle) and max(kids_idle) <= IDLE_RSS_GOAL_MB))
        s.rows.append(Row("memory: `ruamchat worker` processes, idle / after processing the webhooks",
                          f"{' + '.join(f'{x:.0f}' for x in idle['workers'])} / "
                          f"{' + '.join(f'{x:.0f}' for x in loaded['workers'])} MB", "idle ≤ 200 MB each",
                          max(idle["workers"], default=0) <= IDLE_RSS_GOAL_MB))
        found = True
    realtime = s.results.get("latency")
    if realtime:
        idle, loaded = realtime["asgi_rss_idle"], realtime["asgi_rss_loaded"]
        s.rows.append(Row("memory: ASGI `serve --no-worker` (websockets), idle / with its agent sockets after the "
                          "latency run", f"{' + '.join(f'{x:.0f}' for x in idle)} / "
                          f"{' + '.join(f'{x:.0f}' for x in loaded)} MB", "idle ≤ 200 MB each",
                          max(idle, default=0) <= IDLE_RSS_GOAL_MB))
        found = True
    if not found:
        s.rows.append(Row("memory", "no inbound or latency run to read it from", "idle ≤ 200 MB", None))


def helpdesk(s: Suite) -> None:
    script = HERE / "helpdesk_compare.py"
    if not script.exists():
        log("helpdesk: benchmarks/helpdesk_compare.py does not exist; skipped")
        return
    r = s.child("helpdesk", [str(script), *(["--quick"] if s.opts.quick else []), "--redis-url", s.redis_url(),
                             *s.keep()], s.timeout(3600))
    text = (Path(s.opts.out) / "helpdesk.md").read_text(encoding="utf-8")
    table = "\n".join(line for line in text.splitlines() if not line.startswith(RESULT_PREFIX)).strip()
    s.extra.append("## ruamchat beside django-helpdesk (benchmarks/helpdesk_compare.py)\n\n"
                   + (table if r is not None else f"failed: see {Path(s.opts.out) / 'helpdesk.md'}"))


STEPS: dict[str, Callable[[Suite], None]] = {
    "inbound-sqlite": inbound_sqlite, "inbound-postgres": inbound_postgres, "latency": latency, "queue": queue,
    "kb": kb, "dashboards": dashboards, "outbound": outbound, "memory": memory, "helpdesk": helpdesk,
}


# ====================================================================== services


def services_env(opts: argparse.Namespace) -> dict[str, str]:
    """Start PostgreSQL and Redis (scripts/services; RUAMCHAT_SERVICES_DIR / _PG_PORT / _REDIS_PORT choose a
    private instance) and return the environment for the children, after checking both answer."""
    env = dict(os.environ)
    if not opts.no_services:
        log("starting PostgreSQL and Redis: bash scripts/services start postgres redis")
        subprocess.run(["bash", "scripts/services", "start", "postgres", "redis"], cwd=ROOT, check=True,
                       stdout=sys.stderr)
        exported = subprocess.run(["bash", "scripts/services", "env"], cwd=ROOT, check=True, text=True,
                                  stdout=subprocess.PIPE).stdout
        for line in exported.splitlines():
            if line.startswith("export ") and "=" in line:
                key, value = line.removeprefix("export ").split("=", 1)
                env[key] = value.strip("'\"")
    env.setdefault("RUAMCHAT_TEST_POSTGRES_URL", "postgres://ruamchat@127.0.0.1:55432/ruamchat")
    env.setdefault("RUAMCHAT_TEST_REDIS_URL", "redis://127.0.0.1:56379/0")
    env["RUAMCHAT_BENCH_PG_URL"] = env["RUAMCHAT_TEST_POSTGRES_URL"]
    import psycopg
    import redis

    try:
        with psycopg.connect(env["RUAMCHAT_TEST_POSTGRES_URL"], connect_timeout=10) as db:
            db.execute("SELECT 1")
        redis.Redis.from_url(env["RUAMCHAT_TEST_REDIS_URL"], socket_timeout=10).ping()
    except Exception as exc:
        raise SystemExit(f"PostgreSQL or Redis does not answer ({exc}); start them with "
                         "`bash scripts/services start postgres redis`") from exc
    return env


def kept_conversations(s: Suite, database: str) -> int | None:
    import psycopg

    url = s.env["RUAMCHAT_TEST_POSTGRES_URL"].rsplit("/", 1)[0] + f"/{database}"
    try:
        with psycopg.connect(url, connect_timeout=5) as db:
            return int(db.execute("SELECT count(*) FROM inbox_conversation").fetchone()[0])  # type: ignore[index]
    except psycopg.Error:
        return None


# ====================================================================== main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: 10k conversations, 5k articles, fewer "
                        "webhooks and replies, 10 s of latency traffic (~8 min)")
    parser.add_argument("--only", default="", help="comma-separated rows: " + ", ".join(ALL) + " (inbound = both "
                        "inbound rows)")
    parser.add_argument("--keep", action="store_true", help="keep the seeded databases and data dirs; queue_pages "
                        "and reports_dashboards reuse a kept database of the same size on the next --keep run")
    parser.add_argument("--no-services", action="store_true", help="do not run scripts/services start; use "
                        "RUAMCHAT_TEST_POSTGRES_URL and RUAMCHAT_TEST_REDIS_URL as they are")
    parser.add_argument("--out", default="/tmp/ruamchat-suite", help="each benchmark's own output goes here")
    parser.add_argument("--timeout-factor", type=float, default=1.0, help="scale every child's time limit")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    opts = parse_args(argv)
    wanted = [w.strip() for w in opts.only.split(",") if w.strip()] or list(ALL)
    if "inbound" in wanted:
        wanted[wanted.index("inbound"):wanted.index("inbound") + 1] = ["inbound-sqlite", "inbound-postgres"]
    unknown = set(wanted) - set(ALL)
    if unknown:
        raise SystemExit(f"--only: unknown rows {sorted(unknown)}; choose from {', '.join(ALL)}, inbound")
    if wanted == ["memory"]:
        wanted = ["inbound-sqlite", "inbound-postgres", "memory"]
    Path(opts.out).mkdir(parents=True, exist_ok=True)
    suite = Suite(opts, services_env(opts))
    load_at_start = os.getloadavg()[0]
    started = time.monotonic()
    for name in ALL:  # always in this order: memory reads the runs before it
        if name in wanted:
            STEPS[name](suite)
    total = time.monotonic() - started

    mode = "--quick (small sizes: the goals are for the full sizes)" if opts.quick else "full sizes"
    lines = [f"## ruamchat benchmark suite ({mode})", "",
             "| what | measured | goal | |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in suite.rows]
    met = [row.met for row in suite.rows if row.met is not None]
    busy = (f" The machine was busy (load average {load_at_start:.1f} at the start on {os.cpu_count()} CPUs): the "
            "wall-clock numbers are inflated; the CPU figures in the rows and in the children's tables are not."
            if load_at_start > (os.cpu_count() or 1) * 0.75 else "")
    lines += ["", f"{sum(met)} of {len(met)} goals met.{busy} Machine: {machine()}. Whole run {total / 60:.1f} min ("
              + ", ".join(f"{k} {v:.0f} s" for k, v in suite.seconds.items()) + f"); each benchmark's own tables "
              f"in {opts.out}/<row>.md."]
    text = "\n".join(lines)
    for extra in suite.extra:
        text += "\n\n" + extra
    (Path(opts.out) / "suite.md").write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
