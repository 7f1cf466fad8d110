"""Reading a mailbox over IMAP: new mail by UID, remembered with UIDVALIDITY, so nothing is fetched twice or
skipped across restarts; processed mail marked seen, moved or deleted as the mailbox is set up."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from ruamchat.connectors.email import actions
from ruamchat.connectors.email.mailbox import Mailbox, connect_imap, explain, mailbox_of
from ruamchat.connectors.models import Channel

logger = logging.getLogger("ruamchat.email")

BATCH = 20


@dataclass
class FetchReport:
    fetched: int = 0
    stored: int = 0
    busy: bool = False
    error: str = ""


def fetch_new(channel: Channel, *, owner: str, client: Any | None = None) -> FetchReport:
    """Store every mail that arrived since the last fetch. Uses ``client`` (an open IMAPClient, e.g. the
    watcher's) or opens its own. Only one fetch per mailbox runs at a time, across all processes."""
    box = mailbox_of(channel)
    report = FetchReport()
    if not box.receives:
        return report
    if not actions.take_fetch_lease(channel=channel, owner=owner):
        report.busy = True
        return report
    own = client is None
    try:
        if own:
            client = connect_imap(box)
        _fetch(channel, box, client, report)
        actions.record_poll(channel=channel)
    except Exception as exc:
        report.error = explain(exc, server="IMAP", host=box.imap_host, port=box.imap_port)
        actions.record_poll(channel=channel, error=report.error)
        logger.warning("mailbox %s: %s", channel.pk, report.error)
        if not own:
            raise
    finally:
        actions.release_fetch_lease(channel=channel, owner=owner)
        if own and client is not None:
            with contextlib.suppress(Exception):  # the connection may already be gone
                client.logout()
    return report


def _fetch(channel: Channel, box: Mailbox, client: Any, report: FetchReport) -> None:
    info = client.select_folder(box.imap_folder)
    uidvalidity = int(info.get(b"UIDVALIDITY", 0))
    last_uid = actions.start_folder(channel=channel, folder=box.imap_folder, uidvalidity=uidvalidity)
    # "UID n:*" always includes the highest UID, even when it is below n: filter again
    uids = sorted(uid for uid in client.search(["UID", f"{last_uid + 1}:*"]) if uid > last_uid)
    limit = settings.RUAMCHAT["EMAIL_MAX_BYTES"]
    for start in range(0, len(uids), BATCH):
        batch = uids[start:start + BATCH]
        sizes = client.fetch(batch, ["RFC822.SIZE"])
        small = [uid for uid in batch if int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0)) <= limit]
        data = client.fetch(small, ["BODY.PEEK[]"]) if small else {}
        done = []
        for uid in batch:
            raw: bytes | None
            if uid in data and b"BODY[]" in data[uid]:
                raw = bytes(data[uid][b"BODY[]"])
            else:
                raw = _too_large(client, uid, int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0)))
            if raw is None:
                continue  # expunged by someone else between SEARCH and FETCH
            event = actions.store_fetched(channel=channel, uid=uid, raw=raw)
            report.fetched += 1
            report.stored += 1 if event is not None else 0
            done.append(uid)
        _after_fetch(client, box, done)


def _too_large(client: Any, uid: int, size: int) -> bytes | None:
    """A mail over the size limit stays on the server; its headers and a note become the message."""
    headers = client.fetch([uid], ["BODY.PEEK[HEADER]"]).get(uid, {}).get(b"BODY[HEADER]")
    if headers is None:
        return None
    note = (f"This mail ({size // (1024 * 1024)} MB) is larger than the limit of "
            f"{settings.RUAMCHAT['EMAIL_MAX_BYTES'] // (1024 * 1024)} MB; it was left on the mail server.\r\n"
            f"อีเมลนี้มีขนาดใหญ่เกินกำหนด จึงเก็บไว้ที่เซิร์ฟเวอร์อีเมล\r\n")
    unfolded = bytes(headers).replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
    head = b"\r\n".join(line for line in unfolded.split(b"\r\n") if line and not line.lower().startswith(
        (b"content-type", b"content-transfer-encoding", b"mime-version")))
    return (head + b"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: 8bit\r\nX-Ruamchat-Note: " + format_datetime(timezone.now()).encode()
            + b"\r\n\r\n" + note.encode())


def _after_fetch(client: Any, box: Mailbox, uids: list[int]) -> None:
    if not uids or box.after_fetch == "leave":
        return
    if box.after_fetch == "seen":
        client.add_flags(uids, [b"\\Seen"])
    elif box.after_fetch == "move":
        if client.has_capability("MOVE"):
            client.move(uids, box.move_to)
        else:
            client.copy(uids, box.move_to)
            client.delete_messages(uids)
            _expunge(client, uids)
    elif box.after_fetch == "delete":
        client.delete_messages(uids)
        _expunge(client, uids)


def _expunge(client: Any, uids: list[int]) -> None:
    if client.has_capability("UIDPLUS"):
        client.uid_expunge(uids)
    else:
        client.expunge()
