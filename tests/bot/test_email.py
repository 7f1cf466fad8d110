"""The chatbot on an email channel: it never converses; a new customer mail gets one acknowledgement (case number,
who answers when, articles that may already help) by SMTP, and the conversation goes straight to the team.
Automatic mail (auto-replies, bulk mail) never gets one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ruamchat.bot.models import BotConversation
from ruamchat.connectors.actions import update_channel
from ruamchat.inbox.models import Conversation, Message
from ruamchat.kb.selectors import article_url
from tests.connectors.email.conftest import SUPPORT, deliver, mail, mailbox_channel  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)  # the knowledge-base search needs committed rows

CUSTOMER = "somchai@example.com"


@pytest.fixture
def bot_mailbox(mailbox_channel: Any, smtp_sink: Any, bot_on: Callable[..., Any],  # noqa: F811
                delivery_article: Any, settings: Any) -> Any:
    """The support mailbox sending through the local SMTP sink, with the bot on."""
    settings.RUAMCHAT_PUBLIC_URL = "https://ruamchat.example"
    channel = update_channel(actor=None, channel=mailbox_channel, config={
        "smtp_host": "127.0.0.1", "smtp_port": smtp_sink.port, "smtp_security": "none"})
    bot_on(channel)
    return channel


def _plain(received: Any) -> str:
    part = received.message().get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_a_new_mail_gets_one_acknowledgement_with_the_case_number_and_a_matching_article(
    bot_mailbox: Any, deliver: Callable[..., Any], smtp_sink: Any, run_jobs: Callable[[], int],  # noqa: F811
    delivery_article: Any, team: Any, published: list[tuple[list[str], dict[str, Any]]],
) -> None:
    first = deliver(mail(subject="ติดตามพัสดุ", text="สั่งของไปแล้ว ขอเลขพัสดุหน่อยค่ะ จะติดตามพัสดุยังไง",
                         message_id="ask-1@example.com"))
    conversation = first.conversation

    (received,) = smtp_sink.wait_for(1)
    assert received.rcpt_tos == [CUSTOMER]
    sent = received.message()
    assert sent["From"].addresses[0].addr_spec == SUPPORT
    assert sent["In-Reply-To"] == "<ask-1@example.com>"
    assert sent["Auto-Submitted"] == "auto-replied"  # machines must not answer it (RFC 3834)
    assert f"[#{conversation.number}]" in sent["Subject"]
    text = _plain(received)
    assert f"#{conversation.number}" in text
    assert delivery_article.title in text and article_url(delivery_article) in text
    assert "วิธีเปลี่ยนรหัสผ่าน" not in text  # only articles that match the question

    (ack,) = Message.objects.filter(direction="out")
    assert ack.sender_type == "bot" and ack.metadata["bot"] == "acknowledgement" and ack.status == "sent"

    # the conversation is the team's at once: never the bot's
    conversation.refresh_from_db()
    assert conversation.status == "open" and conversation.team == team
    assert conversation.first_reply_at is None  # an acknowledgement is not an answer
    assert not BotConversation.objects.filter(conversation=conversation).exists()
    statuses = [m["payload"]["status"] for _groups, m in published
                if m["event"].startswith("conversation.") and m["payload"]["conversation_id"] == conversation.pk]
    assert statuses and "bot" not in statuses

    # the customer adds something in the same thread: no second acknowledgement
    more = deliver(mail(subject="Re: ติดตามพัสดุ", text="เลขคำสั่งซื้อ 55012 ค่ะ", in_reply_to="ask-1@example.com",
                        message_id="ask-2@example.com"))
    assert more.conversation_id == conversation.pk
    run_jobs()
    assert len(smtp_sink.messages) == 1
    assert Message.objects.filter(direction="out").count() == 1
    conversation.refresh_from_db()
    assert conversation.status == "open"


@pytest.mark.parametrize("headers", [
    {"Auto-Submitted": "auto-replied"},
    {"Precedence": "bulk"},
], ids=["auto-reply", "bulk"])
def test_automatic_mail_gets_no_acknowledgement(
    headers: dict[str, str], bot_mailbox: Any, deliver: Callable[..., Any], smtp_sink: Any,  # noqa: F811
    run_jobs: Callable[[], int],
) -> None:
    message = deliver(mail(subject="ติดตามพัสดุ", text="สั่งของไปแล้ว ขอเลขพัสดุหน่อยค่ะ จะติดตามพัสดุยังไง",
                           headers=headers))
    run_jobs()  # everything that would send has run: the SMTP conversation happens inside the delivery job

    assert message is not None  # the mail itself is kept
    assert smtp_sink.messages == []
    assert not Message.objects.filter(direction="out").exists()
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.status != "bot"
    assert not BotConversation.objects.filter(conversation=conversation).exists()

