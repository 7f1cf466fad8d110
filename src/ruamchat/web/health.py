"""``GET /health/``: for load balancers, container health checks and monitoring. 200 when this process reaches
the database (and the channel layer, when one is configured), 503 otherwise; with the job backlog, so a
sale-day queue that workers do not keep up with is visible before customers notice. No login: it tells
nothing about customers."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ruamchat.jobs.selectors import backlog

logger = logging.getLogger("ruamchat.health")


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    checks: dict[str, Any] = {}
    healthy = True
    started = time.perf_counter()
    try:
        jobs = backlog()
        checks["database"] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
        checks["jobs"] = {"due": jobs.due, "running": jobs.running, "oldest_due_seconds": jobs.oldest_due_seconds,
                          "failed_last_hour": jobs.failed_last_hour}
    except Exception as exc:
        healthy = False
        checks["database"] = {"ok": False, "error": exc.__class__.__name__}
    layer = get_channel_layer()
    if layer is not None and layer.__class__.__name__ != "InMemoryChannelLayer":
        started = time.perf_counter()
        try:
            # a send to a channel nobody reads: proves the layer's server answers (it expires unread)
            async_to_sync(layer.send)(f"health.{uuid.uuid4().hex}", {"type": "health.check"})
            checks["channel_layer"] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
        except Exception as exc:
            healthy = False
            checks["channel_layer"] = {"ok": False, "error": exc.__class__.__name__}
    if not healthy:
        logger.warning("health check failed: %s", checks)
    return JsonResponse({"ok": healthy, **checks}, status=200 if healthy else 503)
