"""Writes for mailboxes: every way mail comes in ends in ``ingest`` (raw stored first, parsed by a job)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ruamchat.connectors.actions import store_raw_events
from ruamchat.connectors.base import RawEvent
from ruamchat.connectors.email.connector import digest
from ruamchat.connectors.email.models import MailboxState
from ruamchat.connectors.models import Channel, InboundEvent

FETCH_LEASE = timedelta(minutes=5)
WATCH_LEASE = timedelta(minutes=3)


def ingest(*, channel: Channel, raw: bytes) -> InboundEvent | None:
    """Keep one raw mail and queue it for parsing. None when this exact mail was stored before."""
    if channel.kind != "email":
        raise ValidationError(_("%(name)s is not an email channel.") % {"name": channel.name})
    if not raw.strip():
        raise ValidationError(_("The mail is empty."))
    limit = settings.RUAMCHAT["EMAIL_MAX_BYTES"]
    if len(raw) > limit:
        raise ValidationError(_("The mail is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)})
    stored = store_raw_events(channel=channel, events=[
        RawEvent(provider_event_id=f"sha256:{digest(raw)}", event_type="email", payload=raw),
    ])
    return stored[0] if stored else None


def state_for(channel: Channel) -> MailboxState:
    state, _created = MailboxState.objects.get_or_create(channel=channel)
    return state


def take_fetch_lease(*, channel: Channel, owner: str) -> bool:
    state_for(channel)
    now = timezone.now()
    return bool(MailboxState.objects.filter(channel=channel).filter(
        Q(fetch_lease_until__isnull=True) | Q(fetch_lease_until__lt=now) | Q(fetch_lease_by=owner)
    ).update(fetch_lease_until=now + FETCH_LEASE, fetch_lease_by=owner[:64]))


def release_fetch_lease(*, channel: Channel, owner: str) -> None:
    MailboxState.objects.filter(channel=channel, fetch_lease_by=owner[:64]).update(
        fetch_lease_until=None, fetch_lease_by="")


def take_watch_lease(*, channel: Channel, owner: str) -> bool:
    """One process at a time keeps a mailbox's IDLE connection; a lease not renewed is taken over."""
    state_for(channel)
    now = timezone.now()
    return bool(MailboxState.objects.filter(channel=channel).filter(
        Q(watch_lease_until__isnull=True) | Q(watch_lease_until__lt=now) | Q(watch_lease_by=owner[:64])
    ).update(watch_lease_until=now + WATCH_LEASE, watch_lease_by=owner[:64]))


def release_watch_lease(*, channel_id: int, owner: str) -> None:
    MailboxState.objects.filter(channel_id=channel_id, watch_lease_by=owner[:64]).update(
        watch_lease_until=None, watch_lease_by="")


def start_folder(*, channel: Channel, folder: str, uidvalidity: int) -> int:
    """Record the folder being read; returns the last UID already stored (0 after a renumbering)."""
    state = state_for(channel)
    if state.folder != folder or state.uidvalidity != uidvalidity:
        MailboxState.objects.filter(pk=state.pk).update(folder=folder, uidvalidity=uidvalidity, last_uid=0)
        return 0
    return int(state.last_uid)


def store_fetched(*, channel: Channel, uid: int, raw: bytes) -> InboundEvent | None:
    """One mail fetched by UID: stored with the new high-water mark in the same transaction, so a crash
    between the two can neither skip it nor store it twice."""
    with transaction.atomic():
        try:
            event = ingest(channel=channel, raw=raw)
        except ValidationError:
            event = None  # empty or over the size limit: counted, not stored (the mail stays on the server)
        MailboxState.objects.filter(channel=channel, last_uid__lt=uid).update(
            last_uid=uid, fetched_total=F("fetched_total") + 1)
    return event


def record_poll(*, channel: Channel, error: str = "") -> None:
    now = timezone.now()
    if error:
        MailboxState.objects.filter(channel=channel).update(last_error=error[:2000], last_error_at=now)
    else:
        MailboxState.objects.filter(channel=channel).update(last_polled_at=now, last_error="")
