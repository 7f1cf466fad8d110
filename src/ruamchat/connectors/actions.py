"""Writes for channels and the inbound pipeline every connector shares."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ruamchat.accounts.actions import check_admin
from ruamchat.accounts.models import Team
from ruamchat.connectors import registry
from ruamchat.connectors.base import RawEvent, RawRequest, UnknownEventType
from ruamchat.connectors.models import Channel, InboundEvent
from ruamchat.inbox.actions import receive_message
from ruamchat.jobs import queue

logger = logging.getLogger("ruamchat.connectors")


def create_channel(
    *, actor: User | None, kind: str, name: str, default_team: Team | None = None,
    config: dict[str, Any] | None = None, secrets: dict[str, Any] | None = None,
) -> Channel:
    check_admin(actor)
    if kind not in registry.kinds():
        raise ValidationError({"kind": _("Unknown channel kind: %(kind)s") % {"kind": kind}})
    channel = Channel(kind=kind, name=name.strip(), default_team=default_team, config=config or {})
    channel.set_secrets(secrets or {})
    channel.full_clean()
    channel.save()
    return channel


def update_channel(
    *, actor: User | None, channel: Channel, name: str | None = None,
    default_team: Team | None = None, clear_default_team: bool = False, config: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None, is_active: bool | None = None,
) -> Channel:
    """Secrets given are merged in; a secret left out keeps its stored value (it is never shown back)."""
    check_admin(actor)
    if name is not None:
        channel.name = name.strip()
    if default_team is not None or clear_default_team:
        channel.default_team = default_team
    if config is not None:
        channel.config = {**channel.config, **config}
    if secrets:
        channel.set_secrets({**channel.secrets, **{k: v for k, v in secrets.items() if v}})
    if is_active is not None:
        channel.is_active = is_active
    channel.full_clean()
    channel.save()
    return channel


def store_raw_events(*, channel: Channel, events: list[RawEvent]) -> list[InboundEvent]:
    """Keep each provider event exactly as received; a redelivered event id is a no-op.

    Returns the events that are new, each with its processing job enqueued in the same transaction.
    """
    stored: list[InboundEvent] = []
    for raw in events:
        try:
            with transaction.atomic():
                event = InboundEvent.objects.create(
                    channel=channel, provider_event_id=raw.provider_event_id[:255],
                    event_type=raw.event_type[:64], payload=raw.payload,
                )
                queue.enqueue("connectors.process_inbound", event_id=event.pk)
        except IntegrityError:
            continue  # seen before: redelivery
        stored.append(event)
    return stored


def accept_webhook(*, channel: Channel, request: RawRequest) -> list[InboundEvent]:
    """Verify, split and store. Raises InvalidSignature / MalformedPayload before anything is stored."""
    connector = registry.get(channel.kind)
    connector.verify(channel, request)
    return store_raw_events(channel=channel, events=connector.split(channel, request))


def process_inbound_event(*, event_id: int) -> None:
    event = InboundEvent.objects.select_related("channel", "channel__default_team").filter(pk=event_id).first()
    if event is None or event.status == InboundEvent.Status.PROCESSED:
        return
    connector = registry.get(event.channel.kind)
    try:
        inbound = connector.parse(event.channel, event)
    except UnknownEventType as exc:
        logger.info("ignored %s event %s: %s", event.channel.kind, event.provider_event_id, exc)
        _finish(event, InboundEvent.Status.IGNORED, str(exc))
        return
    for item in inbound:
        receive_message(channel=event.channel, inbound=item)
    _finish(event, InboundEvent.Status.PROCESSED, "")


def mark_inbound_failed(*, event_id: int, error: str) -> None:
    event = InboundEvent.objects.filter(pk=event_id).first()
    if event is not None:
        _finish(event, InboundEvent.Status.FAILED, error)


def _finish(event: InboundEvent, status: str, error: str) -> None:
    InboundEvent.objects.filter(pk=event.pk).update(status=status, error=error[:4000], processed_at=timezone.now())
