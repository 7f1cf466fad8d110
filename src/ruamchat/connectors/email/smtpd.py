"""The optional built-in SMTP receiver, for a relay set-up: the business's mail server (or a forwarding
service) relays mail for the support addresses to ruamchat over SMTP. Each accepted mail is stored raw
before the server says 250, so a mail the relay was told is delivered is never lost; a database problem
answers 451 and the relay tries again later."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import close_old_connections

from ruamchat.connectors.email.actions import ingest
from ruamchat.connectors.email.selectors import channel_for_address
from ruamchat.connectors.models import Channel

logger = logging.getLogger("ruamchat.email")


def _lookup(address: str) -> int | None:
    close_old_connections()
    channel = channel_for_address(address)
    return channel.pk if channel is not None else None


def _store(channel_ids: list[int], raw: bytes) -> None:
    close_old_connections()
    for channel in Channel.objects.filter(pk__in=channel_ids):
        ingest(channel=channel, raw=raw)


class RelayHandler:
    """aiosmtpd handler: recipients must be an email channel's address (plus-addressing allowed)."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        try:
            channel_id = await sync_to_async(_lookup, thread_sensitive=False)(address)
        except Exception:
            logger.exception("SMTP receiver: looking up %s failed", address)
            return "451 4.3.0 Temporary failure, try again later"
        if channel_id is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        channels = getattr(envelope, "ruamchat_channels", [])
        if channel_id not in channels:
            channels.append(channel_id)
        envelope.ruamchat_channels = channels
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            await sync_to_async(_store, thread_sensitive=False)(getattr(envelope, "ruamchat_channels", []), raw)
        except ValidationError as exc:
            return f"554 5.6.0 {' '.join(exc.messages)}"
        except Exception:
            logger.exception("SMTP receiver: storing a mail failed")
            return "451 4.3.0 Temporary failure, try again later"
        return "250 2.0.0 Stored"


def make_controller(host: str, port: int) -> Any:
    from aiosmtpd.controller import Controller

    return Controller(RelayHandler(), hostname=host, port=port, data_size_limit=settings.RUAMCHAT["EMAIL_MAX_BYTES"],
                      enable_SMTPUTF8=True, ident="ruamchat")
