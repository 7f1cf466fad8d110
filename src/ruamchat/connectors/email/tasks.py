from __future__ import annotations

from ruamchat.connectors.email.imap import fetch_new
from ruamchat.connectors.models import Channel
from ruamchat.jobs.queue import Retry, job
from ruamchat.jobs.worker import worker_id


@job("email.fetch_mailbox", max_attempts=3)
def fetch_mailbox(*, channel_id: int) -> None:
    """"Fetch now": one pass over the mailbox, beside (never at the same time as) its watcher."""
    channel = Channel.objects.filter(pk=channel_id, kind="email").first()
    if channel is None:
        return
    report = fetch_new(channel, owner=worker_id(":fetch"))
    if report.error:
        raise Retry(report.error)
