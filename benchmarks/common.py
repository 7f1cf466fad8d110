"""What the benchmark scripts share (import as ``from benchmarks import common`` or, run as a script from
benchmarks/, ``import common``)."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: the scripts/services PostgreSQL; each benchmark makes its own database on it
PG_ADMIN_URL = os.environ.get("RUAMCHAT_TEST_POSTGRES_URL", "postgres://ruamchat@127.0.0.1:55432/ruamchat")


def machine() -> str:
    """The CPU and the load, printed under each table: the numbers mean little without them."""
    model = ""
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}) {model}; load average {load} at the end"


def drop_postgres(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_django(db: str, *, database: str, prefix: str, fresh: bool = True) -> str:
    """In a benchmark's child process: point ruamchat at a database of its own (``db`` "postgres": the database
    ``database`` on the services' PostgreSQL, made anew unless ``fresh`` is False; else SQLite in a new data
    dir), set Django up and migrate. Returns the data dir. Call before anything imports Django models."""
    data_dir = tempfile.mkdtemp(prefix=f"{prefix}-")
    os.environ.update(RUAMCHAT_DATA_DIR=data_dir, RUAMCHAT_REDIS_URL="", RUAMCHAT_DEBUG="0",
                      RUAMCHAT_ALLOWED_HOSTS="testserver,127.0.0.1,localhost", RUAMCHAT_WORKER_IN_PROCESS="0")
    if db == "postgres":
        if fresh:
            import psycopg

            drop_postgres(database)
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{database}"')
        os.environ["RUAMCHAT_DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    else:
        os.environ.pop("RUAMCHAT_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ruamchat.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return data_dir


RESULT_PREFIX = "BENCH-RESULT "


def run_child(command: list[str], *, db: str, database: str, keep: bool,
              log: Callable[[str], None]) -> tuple[dict[str, Any], float]:
    """Run a benchmark's measuring child process (its own database and data dir) and read the result it printed
    on a ``RESULT_PREFIX`` line; then remove what it made unless ``keep``. Returns (result, wall seconds)."""
    import json
    import shutil
    import subprocess
    import time

    started = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False, cwd=ROOT)
    found = [line for line in result.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if result.returncode != 0 or not found:
        sys.stderr.write(result.stdout[-3000:])
        raise SystemExit(f"{db} failed")
    run: dict[str, Any] = json.loads(found[-1][len(RESULT_PREFIX):])
    wall = time.perf_counter() - started
    if keep:
        log(f"kept {run['data_dir']}" + (f" and the database {database}" if db == "postgres" else ""))
    else:
        shutil.rmtree(run["data_dir"], ignore_errors=True)
        if db == "postgres":
            drop_postgres(database)
    return run, wall
