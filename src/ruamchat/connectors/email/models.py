"""What a mailbox channel remembers between polls."""

from __future__ import annotations

from django.db import models


class MailboxState(models.Model):
    """Where IMAP polling stopped: mail up to ``last_uid`` of folder ``uidvalidity`` is stored. A new
    UIDVALIDITY (the server renumbered the folder) starts again from the first message; the raw-mail
    digest keeps anything already stored from being stored twice."""

    channel = models.OneToOneField("connectors.Channel", on_delete=models.CASCADE, related_name="mailbox_state")
    folder = models.CharField(max_length=255, blank=True)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    fetched_total = models.PositiveBigIntegerField(default=0)
    #: one fetch at a time per mailbox, across every worker process
    fetch_lease_until = models.DateTimeField(null=True, blank=True)
    fetch_lease_by = models.CharField(max_length=64, blank=True)
    #: one process keeps the IDLE connection; another takes over when its lease runs out
    watch_lease_until = models.DateTimeField(null=True, blank=True)
    watch_lease_by = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.folder}:{self.uidvalidity}:{self.last_uid}"
