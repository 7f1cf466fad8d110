"""The ways mail gets in besides IMAP: `ruamchat ingest-email` (an MTA pipe), the built-in SMTP receiver,
and `ruamchat email-parse` for looking at what the parser makes of a file."""

from __future__ import annotations

import io
import json
import smtplib
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from ruamchat.inbox.models import Message
from tests.connectors.email.conftest import SUPPORT, mail


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


@pytest.mark.django_db
def test_ingest_email_reads_a_mail_from_standard_input(mailbox_channel: Any, run_jobs: Callable[[], int],
                                                        monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(mail(text="ส่งผ่าน MTA ครับ")))
    call_command("ingest_email", f"--channel={mailbox_channel.key}")
    assert "stored as event" in capsys.readouterr().out
    run_jobs()
    assert Message.objects.get(direction="in").text == "ส่งผ่าน MTA ครับ"


@pytest.mark.django_db
def test_ingest_email_tells_the_mta_what_went_wrong(mailbox_channel: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(mail()))
    with pytest.raises(SystemExit) as unknown:
        call_command("ingest_email", "--channel", "no-such-key")
    assert unknown.value.code == 67  # EX_NOUSER: the MTA bounces it
    monkeypatch.setattr(sys, "stdin", _Stdin(b"  \r\n"))
    with pytest.raises(SystemExit) as empty:
        call_command("ingest_email", f"--channel={mailbox_channel.key}")
    assert empty.value.code == 65  # EX_DATAERR
    assert not Message.objects.exists()


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ruamchat.cli", *args], capture_output=True, text=True,
                          timeout=120, check=False, cwd=cwd)


def test_email_parse_prints_one_json_object_per_file_in_order(tmp_path: Path) -> None:
    first = tmp_path / "first.eml"
    first.write_bytes(mail(subject="ของชำรุด", attachments=[("รูป.jpg", "image/jpeg", b"\xff\xd8\xff")]))
    bounce = tmp_path / "bounce.eml"
    bounce.write_bytes(
        b"From: MAILER-DAEMON@mx.example.com\r\nTo: support@shop.test\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <b1@mx.example.com>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
        b"--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you...\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
        b"Final-Recipient: rfc822; nobody@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n"
        b"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <rc.1.2.abc@shop.test>\r\nSubject: Re: x\r\n"
        b"--B--\r\n")
    missing = tmp_path / "missing.eml"
    result = _run("email-parse", "--json", str(first), str(missing), str(bounce))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["path"] for r in rows] == [str(first), str(missing), str(bounce)]
    assert rows[0]["subject"] == "ของชำรุด" and rows[0]["from"]["address"] == "somchai@example.com"
    assert rows[0]["attachments"] == [{"filename": "รูป.jpg", "content_type": "image/jpeg", "size": 3,
                                       "content_id": None, "inline": False}]
    assert rows[0]["bounce"] is False and rows[0]["auto_reply"] is False
    assert "error" in rows[1]
    assert rows[2]["bounce"] is True and rows[2]["bounce_details"]["original_message_id"] == "rc.1.2.abc@shop.test"
    plain = _run("email-parse", str(first))
    assert "subject:     ของชำรุด" in plain.stdout and "รูป.jpg" in plain.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.django_db(transaction=True)
def test_the_smtp_receiver_takes_mail_for_a_mailbox_and_refuses_strangers(mailbox_channel: Any,
                                                                           run_jobs: Callable[[], int]) -> None:
    from ruamchat.connectors.email.smtpd import make_controller

    port = _free_port()
    controller = make_controller("127.0.0.1", port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            refused = smtp.sendmail("somchai@example.com", ["support+c1.0000000000@shop.test", "nobody@shop.test"],
                                    mail(text="ส่งผ่านรีเลย์ครับ"))
            assert set(refused) == {"nobody@shop.test"} and refused["nobody@shop.test"][0] == 550
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                smtp.sendmail("x@example.com", ["sales@elsewhere.test"], mail())
    finally:
        controller.stop()
    run_jobs()
    message = Message.objects.get(direction="in")
    assert message.text == "ส่งผ่านรีเลย์ครับ" and message.channel_id == mailbox_channel.pk
    assert SUPPORT in [a["address"] for a in message.metadata["email"]["to"]]
