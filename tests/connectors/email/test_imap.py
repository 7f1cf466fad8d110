"""A mailbox on a real IMAP server (Dovecot): new mail fetched by UID exactly once across restarts, processed
mail marked or moved as configured, IDLE noticing new mail at once, and connection problems in plain words."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from ruamchat.connectors import actions as channel_actions
from ruamchat.connectors.actions import create_channel, update_channel
from ruamchat.connectors.email.imap import fetch_new
from ruamchat.connectors.email.models import MailboxState
from ruamchat.inbox.models import Message
from tests.connectors.email.conftest import mail
from tests.waiting import wait_for


def _mailbox(dovecot: Any, team: Any, **config: Any) -> tuple[Any, str, str]:
    user, password = dovecot.new_mailbox(name="support")
    channel = create_channel(actor=None, kind="email", name="IMAP", default_team=team, config={
        "address": "support@shop.test", "imap_host": dovecot.host, "imap_port": dovecot.port,
        "imap_security": "none", "imap_user": user, "smtp_host": "127.0.0.1", **config,
    }, secrets={"imap_password": password})
    return channel, user, password


@pytest.mark.django_db
def test_new_mail_is_fetched_once_and_remembered_across_restarts(dovecot: Any, team: Any,
                                                                  run_jobs: Callable[[], int]) -> None:
    channel, user, password = _mailbox(dovecot, team)
    dovecot.append(user, password, mail(subject="เรื่องที่หนึ่ง", text="ฉบับแรก"))
    dovecot.append(user, password, mail(subject="เรื่องที่สอง", text="ฉบับที่สอง"))
    report = fetch_new(channel, owner="test")
    assert (report.fetched, report.stored, report.error) == (2, 2, "")
    run_jobs()
    assert sorted(Message.objects.values_list("text", flat=True)) == ["ฉบับที่สอง", "ฉบับแรก"]
    # a restart: nothing new, nothing fetched again
    assert fetch_new(channel, owner="another-process").fetched == 0
    dovecot.append(user, password, mail(subject="เรื่องที่สาม", text="ฉบับที่สาม"))
    assert fetch_new(channel, owner="test").fetched == 1
    state = MailboxState.objects.get(channel=channel)
    assert state.last_uid == max(dovecot.list_uids(user, password)) and state.fetched_total == 3
    # processed mail is marked read on the server (the default)
    assert all("\\Seen" in flags for flags in dovecot.flags(user, password).values())


@pytest.mark.django_db
def test_a_renumbered_folder_is_read_again_without_storing_anything_twice(dovecot: Any, team: Any,
                                                                          run_jobs: Callable[[], int]) -> None:
    channel, user, password = _mailbox(dovecot, team, after_fetch="leave")
    dovecot.append(user, password, mail(text="ครั้งเดียว"))
    fetch_new(channel, owner="test")
    MailboxState.objects.filter(channel=channel).update(uidvalidity=1)  # the server says: new UIDVALIDITY
    report = fetch_new(channel, owner="test")
    assert report.fetched == 1 and report.stored == 0
    run_jobs()
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_processed_mail_can_be_moved_or_deleted(dovecot: Any, team: Any) -> None:
    moved, user, password = _mailbox(dovecot, team, after_fetch="move", move_to="Archive")
    dovecot.append(user, password, mail())
    assert fetch_new(moved, owner="t").fetched == 1
    assert dovecot.list_uids(user, password) == [] and len(dovecot.list_uids(user, password, "Archive")) == 1

    deleted, user2, password2 = _mailbox(dovecot, team, after_fetch="delete")
    dovecot.append(user2, password2, mail())
    assert fetch_new(deleted, owner="t").fetched == 1
    assert dovecot.list_uids(user2, password2) == []


@pytest.mark.django_db
def test_only_one_fetch_runs_at_a_time(dovecot: Any, team: Any) -> None:
    from ruamchat.connectors.email.actions import take_fetch_lease

    channel, user, password = _mailbox(dovecot, team)
    dovecot.append(user, password, mail())
    assert take_fetch_lease(channel=channel, owner="other-worker")
    assert fetch_new(channel, owner="me").busy
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_test_connection_says_what_works_and_what_does_not(dovecot: Any, team: Any, admin_user: Any,
                                                           smtp_sink: Any, settings: Any) -> None:
    from django.utils import translation

    channel, _user, password = _mailbox(dovecot, team, smtp_port=smtp_sink.port, smtp_security="none")
    with translation.override("en"):
        checks = {c.name: c for c in channel_actions.test_connection(actor=admin_user, channel=channel)}
        assert checks["imap"].ok and "IDLE" in checks["imap"].message and checks["smtp"].ok
        update_channel(actor=None, channel=channel, secrets={"imap_password": "wrong-password"})
        checks = {c.name: c for c in channel_actions.test_connection(actor=admin_user, channel=channel)}
        assert not checks["imap"].ok and "refused the user name or password" in checks["imap"].message
        # IMAPS with a certificate nobody vouched for
        update_channel(actor=None, channel=channel, config={"imap_port": dovecot.ssl_port, "imap_security": "ssl"},
                       secrets={"imap_password": password})
        checks = {c.name: c for c in channel_actions.test_connection(actor=admin_user, channel=channel)}
        assert not checks["imap"].ok and "certificate is not trusted" in checks["imap"].message
        update_channel(actor=None, channel=channel, config={"tls_verify": False})
        assert {c.name: c for c in channel_actions.test_connection(actor=admin_user, channel=channel)}["imap"].ok
        # SSL on a port that does not speak it
        update_channel(actor=None, channel=channel, config={"imap_port": dovecot.port})
        checks = {c.name: c for c in channel_actions.test_connection(actor=admin_user, channel=channel)}
        assert not checks["imap"].ok and "secure connection" in checks["imap"].message
        update_channel(actor=None, channel=channel, config={"imap_security": "starttls", "imap_folder": "Nope"})
        checks = {c.name: c for c in channel_actions.test_connection(actor=admin_user, channel=channel)}
        assert not checks["imap"].ok and "Nope" in checks["imap"].message


@pytest.mark.django_db(transaction=True)
def test_the_watcher_notices_new_mail_at_once_with_idle(dovecot: Any, team: Any, run_jobs: Callable[[], int],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from ruamchat.connectors.email import watcher

    monkeypatch.setattr(watcher, "SUPERVISE_SECONDS", 0.2)
    channel, user, password = _mailbox(dovecot, team, poll_seconds=3600)  # polling alone would take an hour
    stop = threading.Event()
    thread = threading.Thread(target=watcher.supervise, args=(stop, "test-worker"), daemon=True)
    thread.start()
    try:
        wait_for(lambda: MailboxState.objects.filter(channel=channel, last_polled_at__isnull=False).exists())
        dovecot.append(user, password, mail(text="มาถึงระหว่าง IDLE"))
        wait_for(lambda: run_jobs() >= 0 and Message.objects.filter(text="มาถึงระหว่าง IDLE").exists())
        state = MailboxState.objects.get(channel=channel)
        assert state.watch_lease_by == "test-worker"
    finally:
        stop.set()
        thread.join(timeout=40)
    assert not thread.is_alive()
    assert MailboxState.objects.get(channel=channel).watch_lease_by == ""  # handed back on stop



def test_a_watcher_in_idle_stops_soon_after_its_worker_stops() -> None:
    from ruamchat.connectors.email import watcher

    class QuietServer:
        """An IMAP connection in IDLE on which nothing ever happens (no keep-alive either, as with many servers)."""

        waiting = threading.Event()

        def idle_check(self, timeout: float) -> list[Any]:
            self.waiting.set()
            threading.Event().wait(timeout)
            return []

    server, stop = QuietServer(), threading.Event()
    thread = threading.Thread(target=watcher._idle_until_news, args=(server, stop), daemon=True)
    thread.start()
    assert server.waiting.wait(timeout=5)
    stop.set()
    thread.join(timeout=5)  # one IDLE lasts up to IDLE_SECONDS (25 s)
    assert not thread.is_alive()
