"""The one webhook endpoint every connector shares: verify on raw bytes, store, answer fast."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ruamchat.connectors import actions, registry
from ruamchat.connectors.base import InvalidSignature, MalformedPayload, RawRequest
from ruamchat.connectors.models import Channel

MAX_WEBHOOK_BYTES = 2 * 1024 * 1024


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    channel = Channel.objects.filter(key=key, kind=kind, is_active=True).first()
    if channel is None:
        return JsonResponse({"error": "unknown channel"}, status=404)
    connector = registry.get(kind)
    raw = RawRequest(
        body=request.body if request.method == "POST" else b"",
        headers={k.lower(): v for k, v in request.headers.items()},
        query={k: str(v) for k, v in request.GET.items()},
    )
    if request.method == "GET":
        handshake = getattr(connector, "handshake", None)
        if handshake is None:
            return JsonResponse({"error": "method not allowed"}, status=405)
        response: HttpResponse = handshake(channel, raw)
        return response
    if len(raw.body) > MAX_WEBHOOK_BYTES:
        return JsonResponse({"error": "body too large"}, status=413)
    try:
        stored = actions.accept_webhook(channel=channel, request=raw)
    except InvalidSignature:
        return JsonResponse({"error": "invalid signature"}, status=401)
    except MalformedPayload as exc:
        return JsonResponse({"error": f"malformed payload: {exc}"}, status=400)
    return JsonResponse({"accepted": len(stored)})
