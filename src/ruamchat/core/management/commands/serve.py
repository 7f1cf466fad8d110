from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = ("Serve HTTP and websockets on one port (and run the job worker in-process unless --no-worker); "
            "with --wsgi, serve plain HTTP only from WSGI worker processes (the scaled set-up).")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default=os.environ.get("RUAMCHAT_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("RUAMCHAT_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=1, help="server processes (needs Redis when > 1)")
        parser.add_argument("--no-worker", action="store_true", help="do not run background jobs in this process")
        parser.add_argument("--migrate", action="store_true", help="apply database migrations first")
        parser.add_argument("--wsgi", action="store_true",
                            help="plain HTTP only (pages, API, webhooks) from WSGI processes; no websockets, no jobs")
        parser.add_argument("--threads", type=int, default=4, help="with --wsgi: threads per process")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["migrate"]:
            from django.core.management import call_command

            call_command("migrate", interactive=False, verbosity=0)
        if opts["wsgi"]:
            serve_wsgi(host=opts["host"], port=opts["port"], workers=opts["workers"], threads=opts["threads"])
            return
        serve(host=opts["host"], port=opts["port"], workers=opts["workers"], run_worker=not opts["no_worker"],
              stdout=self.stdout.write)


def serve(*, host: str, port: int, workers: int, run_worker: bool, stdout: Any) -> None:
    import uvicorn

    _close_database_connections()
    if workers > 1 and "redis" not in str(settings.CHANNEL_LAYERS["default"]["BACKEND"]):
        stdout(_("Warning: --workers > 1 without RUAMCHAT_REDIS_URL: live updates will not cross processes."))
    if run_worker and settings.RUAMCHAT["WORKER_IN_PROCESS"]:
        os.environ["RUAMCHAT_SERVE_WORKER"] = "1"
    else:
        os.environ.pop("RUAMCHAT_SERVE_WORKER", None)
    uvicorn.run(
        "ruamchat.asgi:application", host=host, port=port, workers=workers, lifespan="on",
        log_level=os.environ.get("RUAMCHAT_LOG_LEVEL", "warning").lower(), proxy_headers=True,
        ws="websockets-sansio", ws_max_size=256 * 1024,
        # on stop, open websockets are told to reconnect (1012) and requests get this long to finish
        timeout_graceful_shutdown=20,
    )


def serve_wsgi(*, host: str, port: int, workers: int, threads: int) -> None:
    """Gunicorn with threaded workers, each process loading ruamchat.wsgi itself (no preloading: database pools
    and their threads must be made after the fork). Django's WSGI handler does about four times the requests per
    CPU second of its ASGI handler (DESIGN.md), which is what webhooks and pages need at scale."""
    from gunicorn.app.base import BaseApplication

    _close_database_connections()
    options = {
        "bind": f"{host}:{port}",
        "workers": max(workers, 1),
        "worker_class": "gthread",
        "threads": max(threads, 1),
        "timeout": 60,
        "graceful_timeout": 30,
        "keepalive": 5,
        "loglevel": os.environ.get("RUAMCHAT_LOG_LEVEL", "warning").lower(),
        "errorlog": "-",
        "accesslog": None,
        # the reverse proxy on this machine sets X-Forwarded-For/-Proto (deploy/nginx/ruamchat.conf)
        "forwarded_allow_ips": os.environ.get("RUAMCHAT_FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
        "proc_name": "ruamchat-wsgi",
    }

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from ruamchat.wsgi import application

            return _ForwardedFor(application, str(options["forwarded_allow_ips"]))

    Server().run()


class _ForwardedFor:
    """Gunicorn believes a trusted proxy's X-Forwarded-Proto but leaves REMOTE_ADDR as the proxy's address: take
    the client's from X-Forwarded-For (the entry the proxy added, the last one) when the peer is a trusted
    proxy, so the audit log and rate limits see who connected, as under uvicorn's proxy_headers."""

    def __init__(self, app: Any, trusted: str) -> None:
        self.app = app
        self.trusted = {ip.strip() for ip in trusted.split(",") if ip.strip()}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded and ("*" in self.trusted or environ.get("REMOTE_ADDR") in self.trusted):
            client = forwarded.split(",")[-1].strip()
            if client:
                environ["REMOTE_ADDR"] = client
        return self.app(environ, start_response)


def _close_database_connections() -> None:
    """Whatever this process opened before serving (checks, migrations) must not leak into forked children."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()
        close_pool = getattr(connection, "close_pool", None)
        if close_pool is not None:
            close_pool()
