"""ASGI entry point: HTTP through Django, websockets through Channels, and (on request) the job worker
running inside the server's own event loop for the embedded single-process set-up."""

from __future__ import annotations

import asyncio
import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ruamchat.settings")

from django.core.asgi import get_asgi_application

django_asgi = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from ruamchat.websockets import agent_websocket_urls, widget_websocket_urls  # noqa: E402

router = ProtocolTypeRouter(
    {
        "http": django_asgi,
        "websocket": URLRouter(
            [
                # Any site may embed the widget, so its socket takes every origin; it carries no login.
                *widget_websocket_urls,
                # The agent's socket rides on the session cookie: same-origin only.
                *agent_websocket_urls,
            ]
        ),
    }
)


class Application:
    """Adds ASGI lifespan: starts the in-process worker when RUAMCHAT_SERVE_WORKER=1 (set by `serve`)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.stop = asyncio.Event()
        self.worker_task: asyncio.Task[None] | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.stop = asyncio.Event()  # fresh per server start: a second start must not see the old stop
                if os.environ.get("RUAMCHAT_SERVE_WORKER") == "1":
                    from ruamchat.jobs.worker import run_in_loop

                    self.worker_task = asyncio.create_task(run_in_loop(self.stop))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.stop.set()
                if self.worker_task is not None:
                    try:
                        await asyncio.wait_for(self.worker_task, timeout=30)
                    except TimeoutError:
                        self.worker_task.cancel()
                await send({"type": "lifespan.shutdown.complete"})
                return


application = Application(router)
