from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def online(db: None) -> Callable[[Any], None]:
    """Make agents count as online now (a fresh heartbeat)."""
    from django.utils import timezone

    from ruamchat.accounts.models import AgentProfile

    def mark(*users: Any) -> None:
        AgentProfile.objects.filter(user__in=users).update(presence="online", last_seen_at=timezone.now())

    return mark


@pytest.fixture
def line_says(team: Any) -> Callable[..., Any]:
    """A customer writes on a LINE-like channel (the generic pipeline, no webhook needed)."""
    from ruamchat.connectors.actions import create_channel
    from ruamchat.connectors.base import InboundMessage
    from ruamchat.inbox.actions import receive_message

    channel = create_channel(actor=None, kind="website", name="หน้าร้าน", default_team=team)
    counter = iter(range(1, 1_000_000))

    def say(text: str, *, user: str = "U1", channel_obj: Any = None) -> Any:
        return receive_message(channel=channel_obj or channel, inbound=InboundMessage(
            external_user_id=user, provider_message_id=f"m{next(counter)}", text=text, sender_name=user))

    say.channel = channel  # type: ignore[attr-defined]
    return say
