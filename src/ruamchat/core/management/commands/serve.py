from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve HTTP and websockets on one port (and run the job worker in-process unless --no-worker)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default=os.environ.get("RUAMCHAT_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("RUAMCHAT_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=1, help="server processes (needs Redis when > 1)")
        parser.add_argument("--no-worker", action="store_true", help="do not run background jobs in this process")
        parser.add_argument("--migrate", action="store_true", help="apply database migrations first")

    def handle(self, *args: Any, **opts: Any) -> None:
        serve(host=opts["host"], port=opts["port"], workers=opts["workers"], run_worker=not opts["no_worker"],
              migrate=opts["migrate"], stdout=self.stdout.write)


def serve(*, host: str, port: int, workers: int, run_worker: bool, migrate: bool,
          stdout: Any) -> None:
    import uvicorn
    from django.core.management import call_command

    if migrate:
        call_command("migrate", interactive=False, verbosity=0)
    if workers > 1 and "redis" not in str(settings.CHANNEL_LAYERS["default"]["BACKEND"]):
        stdout("Warning: --workers > 1 without RUAMCHAT_REDIS_URL: live updates will not cross processes.")
    if run_worker and settings.RUAMCHAT["WORKER_IN_PROCESS"]:
        os.environ["RUAMCHAT_SERVE_WORKER"] = "1"
    else:
        os.environ.pop("RUAMCHAT_SERVE_WORKER", None)
    uvicorn.run(
        "ruamchat.asgi:application", host=host, port=port, workers=workers, lifespan="on",
        log_level=os.environ.get("RUAMCHAT_LOG_LEVEL", "warning").lower(), proxy_headers=True,
        ws="websockets-sansio", ws_max_size=256 * 1024,
    )
