"""Writes for channels and the inbound pipeline every connector shares."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ruamchat.accounts.actions import check_admin
from ruamchat.accounts.models import Team
from ruamchat.connectors import registry
from ruamchat.connectors.base import (
    ConnectionCheck,
    ContactStatusChange,
    DeliveryFailure,
    DeliveryUpdate,
    IgnoredEvent,
    Inbound,
    InboundMessage,
    MessageEdited,
    MessageReaction,
    MessageWithdrawn,
    OutgoingEcho,
    RawEvent,
    RawRequest,
    ThreadEvent,
)
from ruamchat.connectors.models import Channel, InboundEvent
from ruamchat.contacts.actions import apply_profile
from ruamchat.contacts.models import Identity
from ruamchat.core.outbound import OutboundRefused
from ruamchat.inbox.actions import (
    attachments_to_fetch,
    mark_attachment_unavailable,
    note_attachment_storage_full,
    receive_message,
    record_contact_status,
    record_delivery,
    record_delivery_failure,
    record_echo,
    record_edit,
    record_reaction,
    record_thread_event,
    store_fetched_attachment,
    withdraw_message,
)
from ruamchat.inbox.models import Attachment
from ruamchat.inbox.storage import StorageFull
from ruamchat.jobs import queue
from ruamchat.privacy.actions import record_admin_change

logger = logging.getLogger("ruamchat.connectors")


def create_channel(
    *, actor: User | None, kind: str, name: str, default_team: Team | None = None,
    config: dict[str, Any] | None = None, secrets: dict[str, Any] | None = None,
) -> Channel:
    check_admin(actor)
    if kind not in registry.kinds():
        raise ValidationError({"kind": _("Unknown channel kind: %(kind)s") % {"kind": kind}})
    _check_settings(kind, config or {}, secrets or {})
    channel = Channel(kind=kind, name=name.strip(), default_team=default_team, config=config or {})
    channel.set_secrets(secrets or {})
    channel.full_clean()
    with transaction.atomic():
        channel.save()
        record_admin_change(actor=actor, what="channel", object_id=channel.pk, summary=f"created {kind}: {name}",
                            changed=sorted({*(config or {}), *(f"secret:{k}" for k in (secrets or {}))}))
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
    _check_settings(channel.kind, channel.config, channel.secrets)
    if is_active is not None:
        channel.is_active = is_active
    channel.full_clean()
    changed = [*(["name"] if name is not None else []), *(config or {}),
               *(f"secret:{k}" for k, v in (secrets or {}).items() if v),
               *(["is_active"] if is_active is not None else []),
               *(["default_team"] if default_team is not None or clear_default_team else [])]
    with transaction.atomic():
        channel.save()
        record_admin_change(actor=actor, what="channel", object_id=channel.pk, summary=f"changed: {channel.name}",
                            changed=changed)
    return channel


def test_connection(*, actor: User | None, channel: Channel) -> list[ConnectionCheck]:
    """Try the channel's connections (e.g. IMAP and SMTP logins) and say what works and what does not."""
    check_admin(actor)
    test = getattr(registry.get(channel.kind), "test_connection", None)
    if test is None:
        return [ConnectionCheck("none", True, _("This kind of channel has nothing to test."))]
    return list(test(channel))


def fetch_now(*, actor: User | None, channel: Channel) -> None:
    """Ask a channel that reads from the provider (a mailbox) to look for new messages now."""
    check_admin(actor)
    fetch = getattr(registry.get(channel.kind), "fetch_now", None)
    if fetch is None:
        raise ValidationError(_("This kind of channel receives its messages by itself."))
    fetch(channel)


def _check_settings(kind: str, config: dict[str, Any], secrets: dict[str, Any]) -> None:
    validate = getattr(registry.get(kind), "validate_settings", None)
    errors = validate(config, secrets) if validate is not None else {}
    if errors:
        raise ValidationError(errors)


def store_raw_events(*, channel: Channel, events: list[RawEvent]) -> list[InboundEvent]:
    """Keep each provider event exactly as received; a redelivered event id is a no-op.

    Returns the events that are new, each with its processing job enqueued in the same transaction.
    """
    stored: list[InboundEvent] = []
    for raw in events:
        try:
            with transaction.atomic():
                event = InboundEvent.objects.create(
                    channel_id=raw.channel_id or channel.pk, provider_event_id=raw.provider_event_id[:255],
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


PROFILE_REFRESH = timedelta(days=1)


def process_inbound_event(*, event_id: int) -> None:
    event = InboundEvent.objects.select_related("channel", "channel__default_team").filter(pk=event_id).first()
    if event is None or event.status == InboundEvent.Status.PROCESSED:
        return
    channel = event.channel
    connector = registry.get(channel.kind)
    try:
        items = connector.parse(channel, event)
    except IgnoredEvent as exc:
        logger.info("ignored %s event %s: %s", channel.kind, event.provider_event_id, exc)
        _finish(event, InboundEvent.Status.IGNORED, str(exc))
        return
    for item in items:
        _apply(channel, item)
    _finish(event, InboundEvent.Status.PROCESSED, "")


def _apply(channel: Channel, item: Inbound) -> None:
    if isinstance(item, InboundMessage):
        message = receive_message(channel=channel, inbound=item)
        with transaction.atomic():
            for attachment in attachments_to_fetch(message):
                queue.enqueue("connectors.fetch_attachment", attachment_id=attachment.pk)
            # in a group chat the conversation's identity is the group: its name and picture
            _schedule_profile_refresh(channel, item.thread_id or item.external_user_id)
    elif isinstance(item, ContactStatusChange):
        record_contact_status(channel=channel, external_id=item.external_user_id, status=item.status)
        _schedule_profile_refresh(channel, item.external_user_id)
    elif isinstance(item, MessageWithdrawn):
        withdraw_message(channel=channel, provider_message_id=item.provider_message_id)
    elif isinstance(item, ThreadEvent):
        record_thread_event(channel=channel, thread_id=item.thread_id, kind=item.kind,
                            member_ids=list(item.member_ids))
    elif isinstance(item, OutgoingEcho):
        echoed = record_echo(channel=channel, echo=item)
        if echoed is not None:
            with transaction.atomic():
                for attachment in attachments_to_fetch(echoed):
                    queue.enqueue("connectors.fetch_attachment", attachment_id=attachment.pk)
    elif isinstance(item, DeliveryUpdate):
        record_delivery(channel=channel, external_id=item.external_user_id, status=item.status,
                        watermark=item.watermark, provider_message_ids=list(item.provider_message_ids))
    elif isinstance(item, MessageReaction):
        record_reaction(channel=channel, provider_message_id=item.provider_message_id, reaction=item.reaction,
                        removed=item.removed)
    elif isinstance(item, MessageEdited):
        record_edit(channel=channel, provider_message_id=item.provider_message_id, text=item.text)
    elif isinstance(item, DeliveryFailure) and not record_delivery_failure(
        channel=channel, provider_message_id=item.provider_message_id, reason=item.reason
    ):
        raise IgnoredEvent(f"delivery failure for a message not sent from here: {item.provider_message_id}")


def _schedule_profile_refresh(channel: Channel, external_id: str) -> None:
    """Ask the provider who the customer is the first time, then at most once a day — never per message.

    The time is set when the refresh is queued, so a failing provider is asked again tomorrow, not in a loop."""
    now = timezone.now()
    due = Identity.objects.filter(channel=channel, external_id=external_id).filter(
        Q(profile_refreshed_at__isnull=True) | Q(profile_refreshed_at__lt=now - PROFILE_REFRESH)
    )
    identity_id = due.values_list("pk", flat=True).first()
    if identity_id is not None and Identity.objects.filter(pk=identity_id).filter(
        Q(profile_refreshed_at__isnull=True) | Q(profile_refreshed_at__lt=now - PROFILE_REFRESH)
    ).update(profile_refreshed_at=now):
        queue.enqueue("connectors.refresh_profile", identity_id=identity_id)


def refresh_profile(*, identity_id: int) -> None:
    identity = Identity.objects.select_related("channel", "contact").filter(pk=identity_id).first()
    if identity is None:
        return
    info = registry.get(identity.channel.kind).fetch_profile(identity.channel, identity.external_id)
    if info is not None:
        apply_profile(identity=identity, display_name=info.display_name, picture_url=info.picture_url,
                      language=info.language)


def fetch_attachment(*, attachment_id: int) -> None:
    attachment = Attachment.objects.select_related("message__channel").filter(pk=attachment_id).first()
    if attachment is None or attachment.file or not attachment.data.get("fetch"):
        return
    channel = attachment.message.channel
    try:
        fetched = registry.get(channel.kind).fetch_attachment(channel, attachment.data["fetch"])
    except OutboundRefused as exc:  # the file is at an address ruamchat does not connect to: for good
        logger.warning("attachment %s of channel %s not downloaded: %s", attachment_id, channel.pk, exc)
        mark_attachment_unavailable(attachment_id=attachment_id, reason=ATTACHMENT_REFUSED_REASON)
        return
    if fetched is None:
        mark_attachment_unavailable(attachment_id=attachment_id, reason="gone")
        return
    try:
        store_fetched_attachment(attachment_id=attachment_id, content=fetched.content,
                                 content_type=fetched.content_type, filename=fetched.filename)
    except StorageFull:
        # The message is kept and the agent sees why its file is not there yet. Space may be freed: try again,
        # waiting longer each time (1, 2, 4 … 30 minutes), for as many tries as the job has.
        times = note_attachment_storage_full(attachment_id=attachment_id)
        raise queue.Retry(STORAGE_FULL_REASON, delay=storage_full_retry_delay(times)) from None


#: the job's last error (and, once its tries are spent, the attachment's "unavailable" reason) when storage is full
STORAGE_FULL_REASON = "storage_full"
#: the attachment's "unavailable" reason when its link is at an address outbound requests may not reach
ATTACHMENT_REFUSED_REASON = "refused"


def storage_full_retry_delay(times: int) -> timedelta:
    """How long to wait before fetching an attachment again after the ``times``-th "storage full"."""
    return timedelta(seconds=min(60 * 2 ** max(times - 1, 0), 30 * 60))


def reprocess_inbound_events(*, actor: User | None, event_ids: list[int]) -> int:
    """Parse stored raw events again (after a parser fix, say). Messages already made from them are not
    made twice: their provider ids are unique per channel."""
    check_admin(actor)
    with transaction.atomic():
        events = list(InboundEvent.objects.select_for_update().filter(pk__in=event_ids))
        for event in events:
            InboundEvent.objects.filter(pk=event.pk).update(status=InboundEvent.Status.PENDING, error="",
                                                            processed_at=None)
            queue.enqueue("connectors.process_inbound", event_id=event.pk)
    return len(events)


def mark_inbound_failed(*, event_id: int, error: str) -> None:
    event = InboundEvent.objects.filter(pk=event_id).first()
    if event is not None:
        _finish(event, InboundEvent.Status.FAILED, error)


def _finish(event: InboundEvent, status: str, error: str) -> None:
    InboundEvent.objects.filter(pk=event.pk).update(status=status, error=error[:4000], processed_at=timezone.now())
