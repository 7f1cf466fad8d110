"""The mail servers the email tests run against work: real Dovecot (IMAP, IDLE, TLS) and the SMTP sink."""

from __future__ import annotations

import email.policy
import os
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from tests.mailservers import Dovecot, SmtpSink, resolve_dovecot

THAI_SUBJECT = "สอบถามเรื่องคำสั่งซื้อ"


def raw_mail(subject: str = "Hello", body: str = "สวัสดีครับ\n", to: str = "support@shop.example") -> bytes:
    msg = EmailMessage()
    msg["From"] = "Somchai <somchai@customer.example>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{time.monotonic_ns()}.{os.getpid()}@customer.example>"
    msg.set_content(body)
    return msg.as_bytes(policy=email.policy.SMTP)  # CRLF line ends, as on the wire


# ---------------------------------------------------------------------------------------------------- Dovecot


def test_new_mailbox_append_and_list(dovecot: Dovecot) -> None:
    user, password = dovecot.new_mailbox()
    assert str(os.getpid()) in user
    assert dovecot.list_uids(user, password) == []

    first = dovecot.append(user, password, raw_mail(THAI_SUBJECT))
    second = dovecot.append(user, password, raw_mail("again"), flags=["\\Seen", "\\Flagged"])

    assert dovecot.list_uids(user, password) == [first, second]
    assert dovecot.flags(user, password) == {first: set(), second: {"\\Seen", "\\Flagged"}}
    assert b"Subject: =?utf-8?b?" in dovecot.fetch(user, password, first)
    assert dovecot.flags(user, password)[first] == set()  # fetch peeks: no \Seen


def test_folders_special_use_and_append_to_new_folder(dovecot: Dovecot) -> None:
    user, password = dovecot.new_mailbox()
    assert set(dovecot.folders(user, password)) == {"INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive"}
    with dovecot.connect(user, password) as client:
        special = {name: flags for flags, _sep, name in client.list_folders()}
    assert b"\\Sent" in special["Sent"]
    assert b"\\Archive" in special["Archive"]

    uid = dovecot.append(user, password, raw_mail(), folder="Processed")
    assert "Processed" in dovecot.folders(user, password)
    assert dovecot.list_uids(user, password, "Processed") == [uid]
    assert dovecot.list_uids(user, password) == []


def test_mailboxes_are_separate_and_need_the_right_password(dovecot: Dovecot) -> None:
    alice, alice_pw = dovecot.new_mailbox(name="alice")
    bob, bob_pw = dovecot.new_mailbox(name="bob", password="bob-secret-1")
    assert alice != bob and bob_pw == "bob-secret-1"
    dovecot.append(alice, alice_pw, raw_mail())
    assert len(dovecot.list_uids(alice, alice_pw)) == 1
    assert dovecot.list_uids(bob, bob_pw) == []
    with pytest.raises(LoginError):
        dovecot.connect(bob, alice_pw)


def test_user_appended_to_the_shared_passwd_file_can_log_in(dovecot: Dovecot) -> None:
    user, password = dovecot.new_mailbox(via_passwd_file=True)
    with open(dovecot.passwd_file, encoding="utf-8") as f:
        assert f"{user}:{{PLAIN}}{password}::::::\n" in f.read()
    with dovecot.connect(user, password) as client:
        assert client.select_folder("INBOX")[b"EXISTS"] == 0


def test_idle_reports_a_message_appended_by_another_connection(dovecot: Dovecot) -> None:
    user, password = dovecot.new_mailbox()
    with dovecot.connect(user, password) as watcher:
        assert b"IDLE" in watcher.capabilities()
        watcher.select_folder("INBOX")
        watcher.idle()
        try:
            uid = dovecot.append(user, password, raw_mail("while idling"))
            responses: list[object] = []
            deadline = time.monotonic() + 10
            while not any(isinstance(r, tuple) and len(r) > 1 and r[1] == b"EXISTS" for r in responses):
                left = deadline - time.monotonic()
                assert left > 0, f"no EXISTS during IDLE within 10 s, got {responses!r}"
                responses += watcher.idle_check(timeout=left)
        finally:
            watcher.idle_done()
        assert watcher.search("ALL") == [uid]


def test_imaps_with_the_test_ca(dovecot: Dovecot) -> None:
    user, password = dovecot.new_mailbox()
    dovecot.append(user, password, raw_mail())
    with dovecot.connect(user, password, tls="ssl") as client:
        assert client.select_folder("INBOX", readonly=True)[b"EXISTS"] == 1
    # The same by host name, as a connector configured with "localhost" would connect.
    with IMAPClient("localhost", port=dovecot.ssl_port, ssl=True, ssl_context=dovecot.ssl_context()) as client:
        client.login(user, password)


def test_imaps_certificate_is_really_checked(dovecot: Dovecot) -> None:
    system_only = ssl.create_default_context()  # the test CA is not among the system's
    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient(dovecot.host, port=dovecot.ssl_port, ssl=True, ssl_context=system_only, timeout=10)


def test_starttls_on_the_plain_port(dovecot: Dovecot) -> None:
    user, password = dovecot.new_mailbox()
    with dovecot.connect(tls="plain") as client:
        assert b"STARTTLS" in client.capabilities()
    with dovecot.connect(user, password, tls="starttls") as client:
        assert client.select_folder("INBOX")[b"EXISTS"] == 0


def test_missing_configuration_fails_with_what_to_run() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"bash scripts/services start dovecot"):
        resolve_dovecot({}, may_start=False)


def test_server_that_does_not_answer_fails_with_what_to_run(dovecot: Dovecot) -> None:
    env = {"RUAMCHAT_TEST_IMAP_HOST": "127.0.0.1", "RUAMCHAT_TEST_IMAP_PORT": "1",
           "RUAMCHAT_TEST_IMAPS_PORT": "2", "RUAMCHAT_TEST_IMAP_CA": dovecot.ca_file,
           "RUAMCHAT_TEST_IMAP_PASSWD": dovecot.passwd_file}
    with pytest.raises(pytest.fail.Exception, match=r"does not answer on 127\.0\.0\.1:1.*services start dovecot"):
        resolve_dovecot(env)


# ---------------------------------------------------------------------------------------------------- SMTP sink


def test_sink_captures_a_message_without_auth(smtp_sink: SmtpSink) -> None:
    raw = raw_mail(THAI_SUBJECT, to="customer@example.com")
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=10) as smtp:
        refused = smtp.sendmail("support@shop.example", ["customer@example.com", "cc@example.com"], raw)
    assert refused == {}
    [mail] = smtp_sink.wait_for(1)
    assert mail.mail_from == "support@shop.example"
    assert mail.rcpt_tos == ["customer@example.com", "cc@example.com"]
    assert mail.auth_user is None and mail.tls is False
    assert mail.message()["Subject"] == THAI_SUBJECT
    assert mail.data == raw


def test_sink_with_auth(smtp_sink: SmtpSink) -> None:
    smtp_sink.set_login("support@shop.example", "smtp-pass")
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=10) as smtp:
        smtp.ehlo()
        assert "PLAIN" in smtp.esmtp_features["auth"] and "LOGIN" in smtp.esmtp_features["auth"]
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            smtp.sendmail("support@shop.example", ["a@example.com"], raw_mail())
        assert refused.value.smtp_code == 530
        with pytest.raises(smtplib.SMTPAuthenticationError):
            smtp.login("support@shop.example", "wrong")
        smtp.login("support@shop.example", "smtp-pass")
        smtp.sendmail("support@shop.example", ["a@example.com"], raw_mail())
    [mail] = smtp_sink.wait_for(1)
    assert mail.auth_user == "support@shop.example"
    assert smtp_sink.auth_failures >= 1  # smtplib.login tries PLAIN, then LOGIN


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_sink_auth_mechanisms(make_smtp_sink: Callable[..., SmtpSink], mechanism: str) -> None:
    sink = make_smtp_sink(login=("agent", "pw-secret-9"))
    with smtplib.SMTP(sink.host, sink.port, timeout=10) as smtp:
        smtp.ehlo()
        smtp.user, smtp.password = "agent", "pw-secret-9"
        code, _ = smtp.auth(mechanism, getattr(smtp, f"auth_{mechanism.lower()}"), initial_response_ok=False)
        assert code == 235
        smtp.sendmail("agent@shop.example", ["a@example.com"], raw_mail())
    assert sink.wait_for(1)[0].auth_user == "agent"


def test_sink_rejects_configured_recipients(smtp_sink: SmtpSink) -> None:
    smtp_sink.reject_rcpt = {"Nobody@example.com": (550, "5.1.1 no such user")}
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=10) as smtp:
        refused = smtp.sendmail("support@shop.example", ["nobody@example.com", "ok@example.com"], raw_mail())
        assert refused == {"nobody@example.com": (550, b"5.1.1 no such user")}
        with pytest.raises(smtplib.SMTPRecipientsRefused) as all_refused:
            smtp.sendmail("support@shop.example", ["nobody@example.com"], raw_mail())
        assert all_refused.value.recipients == {"nobody@example.com": (550, b"5.1.1 no such user")}
    [mail] = smtp_sink.wait_for(1)
    assert mail.rcpt_tos == ["ok@example.com"]


def test_sink_temporary_failure_for_data(smtp_sink: SmtpSink) -> None:
    smtp_sink.fail_data = (451, "4.3.0 try again later")
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPDataError) as failed:
            smtp.sendmail("support@shop.example", ["a@example.com"], raw_mail())
        assert (failed.value.smtp_code, failed.value.smtp_error) == (451, b"4.3.0 try again later")
        assert smtp_sink.messages == [] and smtp_sink.data_attempts == 1
        smtp_sink.fail_data = None
        smtp.sendmail("support@shop.example", ["a@example.com"], raw_mail())
    assert len(smtp_sink.wait_for(1)) == 1
    assert smtp_sink.data_attempts == 2


def test_sink_starttls_with_the_test_ca(smtp_sink: SmtpSink) -> None:
    assert smtp_sink.ca_file
    smtp_sink.set_login("agent", "pw")
    with smtplib.SMTP("localhost", smtp_sink.port, timeout=10) as smtp:
        smtp.starttls(context=ssl.create_default_context(cafile=smtp_sink.ca_file))
        smtp.login("agent", "pw")
        smtp.sendmail("support@shop.example", ["a@example.com"], raw_mail())
    [mail] = smtp_sink.wait_for(1)
    assert mail.tls is True and mail.auth_user == "agent"


def test_sink_smtps_and_no_starttls(make_smtp_sink: Callable[..., SmtpSink]) -> None:
    smtps = make_smtp_sink(implicit_tls=True)
    assert smtps.ca_file
    with smtplib.SMTP_SSL(smtps.host, smtps.port, timeout=10,
                          context=ssl.create_default_context(cafile=smtps.ca_file)) as smtp:
        smtp.sendmail("support@shop.example", ["a@example.com"], raw_mail())
    assert smtps.wait_for(1)[0].tls is True

    plain = make_smtp_sink(starttls=False)
    with smtplib.SMTP(plain.host, plain.port, timeout=10) as smtp:
        smtp.ehlo()
        assert not smtp.has_extn("starttls")


def test_wait_for_waits_for_a_message_sent_later(smtp_sink: SmtpSink) -> None:
    def send_soon() -> None:
        with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=10) as smtp:
            for n in range(3):
                smtp.sendmail("support@shop.example", [f"c{n}@example.com"], raw_mail(f"n{n}"))

    sender = threading.Thread(target=send_soon)
    sender.start()
    try:
        mails = smtp_sink.wait_for(3, timeout=10)
    finally:
        sender.join()
    assert [m.rcpt_tos for m in mails] == [["c0@example.com"], ["c1@example.com"], ["c2@example.com"]]
    with pytest.raises(AssertionError, match="got 3 message"):
        smtp_sink.wait_for(4, timeout=0.2)
