"""Email channel fixtures: a mailbox channel, and a way to make mail arrive (stored raw, then processed)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any

import pytest

SUPPORT = "support@shop.test"


@pytest.fixture
def mailbox_channel(team: Any) -> Any:
    from ruamchat.connectors.actions import create_channel

    return create_channel(
        actor=None, kind="email", name="อีเมลซัพพอร์ต", default_team=team,
        config={"address": SUPPORT, "display_name": "ร้านรวมใจ", "smtp_host": "127.0.0.1", "smtp_port": 1,
                "smtp_security": "none"},
    )


@pytest.fixture
def deliver(mailbox_channel: Any, run_jobs: Callable[[], int]) -> Callable[..., Any]:
    """Make a raw mail arrive at the mailbox; returns the Message it became (or None)."""
    from ruamchat.connectors.email.actions import ingest
    from ruamchat.inbox.models import Message

    def arrive(raw: bytes, *, channel: Any = None) -> Any:
        before = Message.objects.order_by("-id").values_list("id", flat=True).first() or 0
        ingest(channel=channel or mailbox_channel, raw=raw)
        run_jobs()
        return Message.objects.filter(pk__gt=before, direction="in").order_by("-id").first()

    return arrive


_counter = iter(range(1, 1_000_000))


def mail(*, sender: str = "สมชาย ใจดี <somchai@example.com>", to: str = SUPPORT, subject: str = "สอบถามคำสั่งซื้อ",
         text: str = "สวัสดีครับ สั่งซื้อไปเมื่อวานยังไม่ได้รับของเลยครับ", html: str | None = None,
         message_id: str | None = None, in_reply_to: str | None = None, references: str | None = None,
         headers: dict[str, str] | None = None, attachments: list[tuple[str, str, bytes]] | None = None,
         cc: str | None = None) -> bytes:
    m = EmailMessage(policy=SMTP)
    m["From"] = sender
    m["To"] = to
    if cc:
        m["Cc"] = cc
    m["Subject"] = subject
    m["Date"] = format_datetime(datetime(2026, 11, 20, 3, 15, next(_counter) % 60, tzinfo=UTC))
    m["Message-ID"] = f"<{message_id or f'm{next(_counter)}@example.com'}>"
    if in_reply_to:
        m["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        m["References"] = references
    for name, value in (headers or {}).items():
        m[name] = value
    m.set_content(text)
    if html is not None:
        m.add_alternative(html, subtype="html")
    for filename, ctype, content in attachments or []:
        maintype, _slash, subtype = ctype.partition("/")
        m.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return m.as_bytes()
