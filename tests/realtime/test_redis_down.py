"""Redis away (stopped, restarting): what uses it must keep working without it. Publishing a realtime event never
fails the change that published it, and order look-ups (which keep answers in the cache) still answer."""

from __future__ import annotations

import socket
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def _dead_redis_url() -> str:
    """A Redis address nothing listens on: connections are refused at once, as while Redis restarts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def redis_down(settings: Any) -> None:
    url = _dead_redis_url()
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                           "CONFIG": {"hosts": [url], "prefix": "ruamchat-down"}}}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}


def test_a_reply_is_stored_and_queued_though_its_events_cannot_be_published(
    redis_down: None, agent: Any, conversation: Any, caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from ruamchat.inbox.actions import send_reply
    from ruamchat.inbox.models import Message
    from ruamchat.jobs.models import Job

    with django_capture_on_commit_callbacks(execute=True):  # as after a real commit: the events are published
        message = send_reply(conversation=conversation, actor=agent, text="ได้รับเรื่องแล้วค่ะ")
    assert Message.objects.get(pk=message.pk).status == Message.Status.PENDING
    assert Job.objects.filter(name="inbox.deliver_message", payload={"message_id": message.pk}).exists()
    assert any("could not publish" in r.getMessage() for r in caplog.records)


def test_an_order_is_looked_up_without_the_cache(redis_down: None) -> None:
    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisConnectionError

    from ruamchat.orders.actions import ensure_sample_source
    from ruamchat.orders.lookup import Kind, lookup, lookup_many

    with pytest.raises(RedisConnectionError):
        cache.get("anything")  # the cache really is away
    ensure_sample_source()
    assert lookup("CS-10001").kind == Kind.FOUND
    assert [r.kind for r in lookup_many(["CS-10002", "CS-10003"])] == [Kind.FOUND, Kind.FOUND]
