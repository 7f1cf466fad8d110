"""Keeping an eye on mailboxes: in every worker process, a supervisor keeps one watcher thread per mailbox
whose lease this process holds. A watcher keeps one IMAP connection open, fetches, then waits with IDLE
(where the server offers it) or polls. A process that dies stops renewing its leases; another process's
supervisor takes the mailbox over within a few minutes."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from typing import Any

from django.db import close_old_connections, connections

from ruamchat.connectors.email import actions
from ruamchat.connectors.email.imap import fetch_new
from ruamchat.connectors.email.mailbox import Mailbox, connect_imap, explain, mailbox_of
from ruamchat.connectors.models import Channel
from ruamchat.jobs.worker import worker_id

logger = logging.getLogger("ruamchat.email")

#: how often the supervisor looks for new, changed or orphaned mailboxes
SUPERVISE_SECONDS = 15.0
#: the longest one IDLE lasts before the watcher renews its lease and idles again
IDLE_SECONDS = 25.0
MAX_BACKOFF = 300.0
#: how often a watcher in IDLE looks whether its worker is stopping
IDLE_CHECK_SECONDS = 1.0


def _fingerprint(box: Mailbox) -> str:
    return json.dumps([box.imap_host, box.imap_port, box.imap_security, box.imap_user, box.imap_password,
                       box.imap_folder, box.use_idle, box.poll_seconds, box.tls_verify, box.after_fetch,
                       box.move_to])


def supervise(stop: threading.Event, owner: str | None = None) -> None:
    me = owner or worker_id(":mail")
    watchers: dict[int, tuple[threading.Thread, threading.Event, str]] = {}
    try:
        while not stop.is_set():
            try:
                _reconcile(me, watchers)
            except Exception:
                logger.exception("mailbox supervisor error; continuing")
            finally:
                close_old_connections()
            stop.wait(SUPERVISE_SECONDS)
    finally:
        for _thread, own_stop, _fp in watchers.values():
            own_stop.set()
        for thread, _own_stop, _fp in watchers.values():
            thread.join(timeout=IDLE_SECONDS + 5)
        connections.close_all()


def _reconcile(me: str, watchers: dict[int, tuple[threading.Thread, threading.Event, str]]) -> None:
    wanted: dict[int, tuple[Channel, str]] = {}
    for channel in Channel.objects.filter(kind="email", is_active=True):
        box = mailbox_of(channel)
        if box.receives:
            wanted[channel.pk] = (channel, _fingerprint(box))
    for channel_id, (thread, own_stop, fingerprint) in list(watchers.items()):
        if not thread.is_alive() or channel_id not in wanted or wanted[channel_id][1] != fingerprint:
            own_stop.set()
            if not thread.is_alive():
                del watchers[channel_id]
    for channel_id, (channel, fingerprint) in wanted.items():
        if channel_id in watchers or not actions.take_watch_lease(channel=channel, owner=me):
            continue
        own_stop = threading.Event()
        thread = threading.Thread(target=watch, args=(channel_id, own_stop, me), daemon=True,
                                  name=f"ruamchat-mailbox-{channel_id}")
        watchers[channel_id] = (thread, own_stop, fingerprint)
        thread.start()


def watch(channel_id: int, stop: threading.Event, owner: str) -> None:
    """Fetch, then wait for new mail, until stopped or the lease is lost."""
    backoff = 5.0
    try:
        while not stop.is_set():
            channel = Channel.objects.filter(pk=channel_id, is_active=True).first()
            if channel is None or not actions.take_watch_lease(channel=channel, owner=owner):
                return
            box = mailbox_of(channel)
            try:
                _session(channel, box, stop, owner)
                backoff = 5.0
            except Exception as exc:
                error = explain(exc, server="IMAP", host=box.imap_host, port=box.imap_port)
                logger.warning("mailbox %s: %s (again in %.0f s)", channel_id, error, backoff)
                actions.record_poll(channel=channel, error=error)
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            finally:
                close_old_connections()
    finally:
        actions.release_watch_lease(channel_id=channel_id, owner=owner)
        connections.close_all()  # this thread's connections: it is ending


def _idle_until_news(client: Any, stop: threading.Event) -> None:
    """Wait in IDLE until the server reports a change, IDLE_SECONDS pass, or the worker stops: checked in short
    slices, so stopping a worker never waits for a quiet mailbox."""
    deadline = time.monotonic() + IDLE_SECONDS
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0 or client.idle_check(timeout=min(IDLE_CHECK_SECONDS, left)):
            return


def _session(channel: Channel, box: Mailbox, stop: threading.Event, owner: str) -> None:
    client = connect_imap(box)
    try:
        idle = box.use_idle and client.has_capability("IDLE")
        next_fetch = 0.0
        while not stop.is_set():
            if idle or time.monotonic() >= next_fetch:
                fetch_new(channel, owner=owner, client=client)
                next_fetch = time.monotonic() + box.poll_seconds
            if not actions.take_watch_lease(channel=channel, owner=owner):
                return
            close_old_connections()  # do not hold a database connection while waiting for mail
            if idle:
                client.idle()
                try:
                    _idle_until_news(client, stop)
                finally:
                    client.idle_done()
            else:
                # poll: wait in short steps, so a stop or a lost lease is noticed quickly
                stop.wait(min(IDLE_SECONDS, max(0.0, next_fetch - time.monotonic())))
                client.noop()
    finally:
        with contextlib.suppress(Exception):  # the connection may already be gone
            client.logout()
