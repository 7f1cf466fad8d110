"""Email: mailboxes read over IMAP (or piped in, or received over SMTP), replies sent over SMTP.

Mail does not arrive by webhook: every way in stores the raw message as an InboundEvent first (see
``actions.ingest``), and ``parse`` turns it into a customer message, a bounce, or an ignored event.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ruamchat.connectors.base import (
    BaseConnector,
    ConnectionCheck,
    DeliveryFailure,
    IgnoredEvent,
    Inbound,
    InboundAttachment,
    InboundMessage,
    InvalidSignature,
    Notice,
    RawEvent,
    RawRequest,
    ReplyWindow,
    SendResult,
)
from ruamchat.connectors.email import mailbox, outbound, parser, selectors, tokens
from ruamchat.connectors.email.forms import MailboxSettingsForm
from ruamchat.connectors.models import Channel, InboundEvent
from ruamchat.inbox.models import Attachment, Conversation, Message
from ruamchat.jobs import queue

_SUBJECT_NUMBER = re.compile(r"\[#(\d{1,12})\]")
MAX_QUOTED = 50_000


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class EmailConnector(BaseConnector):
    kind = "email"
    label = gettext_noop("Email")  # translated where shown
    event_types = frozenset({"email"})

    # -------------------------------------------------------------- no webhooks

    def verify(self, channel: Channel, request: RawRequest) -> None:
        raise InvalidSignature("email arrives over IMAP, `ruamchat ingest-email` or the SMTP receiver")

    def split(self, channel: Channel, request: RawRequest) -> list[RawEvent]:
        return []

    def validate_settings(self, config: dict[str, Any], secrets: dict[str, Any]) -> dict[str, list[str]]:
        return mailbox.validate(config, secrets)

    settings_form = MailboxSettingsForm

    def test_connection(self, channel: Channel) -> list[ConnectionCheck]:
        return mailbox.test_connection(mailbox.mailbox_of(channel))

    def fetch_now(self, channel: Channel) -> None:
        if not mailbox.mailbox_of(channel).receives:
            raise ValidationError(_("This mailbox has no IMAP server to fetch from."))
        queue.enqueue("email.fetch_mailbox", channel_id=channel.pk)

    def status(self, channel: Channel) -> str:
        state = selectors.mailbox_state(channel)
        box = mailbox.mailbox_of(channel)
        if not box.receives:
            return _("Mail arrives through `ruamchat ingest-email` or the SMTP receiver.")
        if state is None or (state.last_polled_at is None and not state.last_error):
            return _("Not read yet.")
        parts = []
        if state.last_polled_at:
            parts.append(_("Last read %(when)s; %(count)s mails fetched in all.") % {
                "when": timezone.localtime(state.last_polled_at).strftime("%d/%m/%Y %H:%M:%S"),
                "count": state.fetched_total})
        if state.last_error:
            parts.append(_("Last problem: %(error)s") % {"error": state.last_error})
        return " ".join(str(p) for p in parts)

    # -------------------------------------------------------------- inbound

    def parse(self, channel: Channel, event: InboundEvent) -> list[Inbound]:
        raw = bytes(event.payload)
        mail = parser.parse(raw)
        box = mailbox.mailbox_of(channel)
        if mail.bounce is not None:
            return self._bounce(mail)
        if mail.message_id and tokens.conversation_from_message_id(mail.message_id) is not None \
                and mail.from_ is not None and mail.from_.address.lower() == box.address:
            raise IgnoredEvent("a copy of a mail sent from here")
        sender = mail.from_ or mail.sender or (mail.reply_to[0] if mail.reply_to else None)
        external_id = sender.address.lower() if sender else "unknown-sender@invalid"
        message_id = self._unique_id(channel, mail, raw)
        unreadable = mail.damaged or (
            not mail.text.strip() and not mail.html.strip() and not mail.attachments and len(raw) > 2000
        )
        attachments = [
            InboundAttachment(
                kind=Attachment.kind_for(a.content_type), filename=a.display_name(i), content_type=a.content_type,
                content=a.content, data={k: v for k, v in (("content_id", a.content_id), ("inline", a.inline)) if v},
            )
            for i, a in enumerate(mail.attachments, start=1)
        ]
        if unreadable:
            attachments.append(InboundAttachment(kind="file", filename="original.eml", content_type="message/rfc822",
                                                 content=raw))
        metadata = {"email": {
            "message_id": mail.message_id, "in_reply_to": mail.in_reply_to,
            "references": mail.references[-outbound.MAX_REFERENCES:],
            "from": sender.as_dict() if sender else None,
            "to": [a.as_dict() for a in mail.to], "cc": [a.as_dict() for a in mail.cc],
            "reply_to": [a.as_dict() for a in mail.reply_to],
            "subject": mail.subject, "date": mail.date.isoformat() if mail.date else None,
            "quoted": mail.quoted_text[:MAX_QUOTED], "has_html": mail.has_html,
            "auto_reply": mail.auto_reply, "suppress_auto_response": mail.suppress_auto_response,
            "raw_event_id": event.pk, "unreadable": unreadable, "problems": mail.problems[:20],
        }}
        return [InboundMessage(
            external_user_id=external_id, provider_message_id=message_id, text=mail.new_text,
            html=mail.html, attachments=tuple(attachments), sent_at=mail.date,
            sender_name=sender.name if sender else "", sender_email=external_id if sender else "",
            subject=mail.subject, metadata=metadata, references=tuple(mail.thread_ids),
            conversation_hint=self._hint(mail, box), new_thread=True, automatic=mail.auto_reply,
        )]

    def _bounce(self, mail: parser.ParsedMail) -> list[Inbound]:
        bounce = mail.bounce
        assert bounce is not None
        if bounce.action != "failed":
            raise IgnoredEvent(f"delivery report ({bounce.action}) for {bounce.original_message_id or 'unknown'}")
        if not bounce.original_message_id:
            raise IgnoredEvent("a bounce that does not say which message it is about")
        reason = " ".join(p for p in (bounce.status, bounce.diagnostic) if p).strip()
        recipients = ", ".join(bounce.recipients)
        text = _("Bounced: %(reason)s") % {"reason": reason or _("the receiving server refused the mail")}
        if recipients:
            text = f"{text} ({recipients})"
        return [DeliveryFailure(provider_message_id=bounce.original_message_id, reason=text)]

    def _unique_id(self, channel: Channel, mail: parser.ParsedMail, raw: bytes) -> str:
        """The Message-ID — unless a different mail of this mailbox already has it (some mailers reuse ids):
        then the id plus a digest, so neither is lost. The same mail delivered twice (to two addresses of
        the mailbox, or by IMAP and SMTP) has the same sender, subject and date, and is stored once."""
        if not mail.message_id:
            return parser.synthetic_message_id(raw)
        mid = mail.message_id[:200]
        seen = selectors.email_meta_of(channel, mid)
        if seen is not None:
            sender = mail.from_.address.lower() if mail.from_ else None
            same = (
                (seen.get("from") or {}).get("address", "").lower() == (sender or "")
                and seen.get("subject", "") == mail.subject
                and seen.get("date") == (mail.date.isoformat() if mail.date else None)
            )
            if not same:
                return f"{mid}#{digest(raw)[:16]}"
        return mid

    def _hint(self, mail: parser.ParsedMail, box: mailbox.Mailbox) -> int | None:
        local = box.address.partition("@")[0]
        for address in [a.address for a in mail.to + mail.cc] + mail.delivered_to:
            name, _at, _domain = address.lower().partition("@")
            if name.startswith(local + "+"):
                found = tokens.conversation_from_tag(name[len(local) + 1:])
                if found is not None:
                    return found
        for mid in mail.thread_ids:
            found = tokens.conversation_from_message_id(mid)
            if found is not None:
                return found
        match = _SUBJECT_NUMBER.search(mail.subject)
        return int(match.group(1)) if match else None

    # -------------------------------------------------------------- outbound

    def send(self, channel: Channel, message: Message) -> SendResult:
        return self._mail(channel, lambda box: outbound.build(message, box))

    def send_notice(self, channel: Channel, notice: Notice) -> SendResult:
        """A new mail outside any conversation (a survey campaign's invitation)."""
        return self._mail(channel, lambda box: outbound.build_notice(notice, box))

    @staticmethod
    def _mail(channel: Channel, build: Callable[[mailbox.Mailbox], outbound.Outgoing]) -> SendResult:
        box = mailbox.mailbox_of(channel)
        if not box.smtp_host:
            return SendResult.failed(_("This mailbox has no SMTP server to send with."), retryable=False)
        try:
            outgoing = build(box)
            outbound.send(outgoing, box)
        except outbound.SendError as exc:
            return SendResult.failed(str(exc), retryable=exc.retryable)
        return SendResult.sent(outgoing.message_id)

    def reply_window(self, channel: Channel, conversation: Conversation, *, human: bool) -> ReplyWindow:
        box = mailbox.mailbox_of(channel)
        if not box.smtp_host:
            return ReplyWindow(False, reason=_("This mailbox has no SMTP server to send with."))
        if human:
            return ReplyWindow(True)
        if selectors.last_incoming_email_meta(conversation).get("suppress_auto_response"):
            return ReplyWindow(False, reason=_("The customer's last mail was automatic, a bounce or from a list: "
                                               "no automatic mail is sent to it."))
        if conversation.identity_id is None:
            return ReplyWindow(True)
        since = timezone.now() - timedelta(hours=1)
        recent = selectors.automatic_mails_since(channel, conversation.identity_id, since)
        if recent >= box.automatic_per_hour:
            return ReplyWindow(False, reason=_("Enough automatic mail went to this address in the last hour."))
        return ReplyWindow(True)
