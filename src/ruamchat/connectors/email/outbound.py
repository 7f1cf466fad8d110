"""Replies as proper email: threaded headers (RFC 5322 §3.6.4), text and HTML alternatives, attachments,
the customer's last mail quoted below as a mail program would, and the no-loop markers on automatic mail."""

from __future__ import annotations

import hashlib
import html
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ruamchat.connectors.base import Notice
from ruamchat.connectors.email import selectors, tokens
from ruamchat.connectors.email.mailbox import Mailbox, connect_smtp, explain
from ruamchat.inbox.models import Message

MAX_REFERENCES = 20
_SUBJECT_PREFIX = re.compile(r"^\s*(?:re|aw|sv|ตอบกลับ|ตอบ)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class Outgoing:
    mail: EmailMessage
    message_id: str
    recipients: list[str]


def _meta(message: Message) -> dict:
    value = message.metadata.get("email") if message.metadata else None
    return value if isinstance(value, dict) else {}


def _addr_list(values: object) -> list[str]:
    if not isinstance(values, list):
        return []
    return [str(v.get("address", "")).strip().lower() for v in values if isinstance(v, dict) and v.get("address")]


def _ours(address: str, box: Mailbox) -> bool:
    local, _at, domain = address.partition("@")
    own_local, _at2, own_domain = box.address.partition("@")
    return domain == own_domain and (local == own_local or local.startswith(own_local + "+"))


def recipients(message: Message, parent: Message | None, box: Mailbox) -> tuple[list[str], list[str]]:
    """(to, cc): the customer (their Reply-To when they set one), and whoever else they copied."""
    customer = message.conversation.identity.external_id if message.conversation.identity else ""
    meta = _meta(parent) if parent is not None and parent.direction == Message.Direction.INCOMING else {}
    to = _addr_list(meta.get("reply_to")) or ([customer] if customer else _addr_list([meta.get("from")]))
    to = [a for a in to if not _ours(a, box)]
    cc: list[str] = []
    for address in _addr_list(meta.get("to")) + _addr_list(meta.get("cc")):
        if address not in to and address not in cc and not _ours(address, box):
            cc.append(address)
    return to, cc[:20]


def subject_for(message: Message) -> str:
    subject = (message.conversation.subject or "").strip()
    number = f"[#{message.conversation_id}]"
    if not subject:
        return _("Your message %(number)s") % {"number": number}
    if not _SUBJECT_PREFIX.match(subject):
        subject = f"Re: {subject}"
    return subject if number in subject else f"{subject} {number}"


def _text_to_html(text: str) -> str:
    escaped = html.escape(text)
    linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
    return "<br>\n".join(linked.split("\n"))


def _quote_lines(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def build(message: Message, box: Mailbox) -> Outgoing:
    conversation = message.conversation
    parent = selectors.parent_of(message)
    to, cc = recipients(message, parent, box)
    message_id = tokens.message_id(conversation.pk, message.pk, box.domain)
    mail = EmailMessage(policy=SMTP)
    company = box.display_name or box.address
    agent = ""
    if message.sender_type == Message.Sender.AGENT and message.sender_user is not None and box.agent_names:
        profile = getattr(message.sender_user, "agent", None)
        agent = str(profile) if profile is not None else message.sender_user.get_username()
    language = (conversation.contact.language or settings.LANGUAGE_CODE) if conversation.contact_id else "th"
    with translation.override(language):
        sender_name = _("%(agent)s via %(company)s") % {"agent": agent, "company": company} if agent else company
        attribution = ""
        if parent is not None:
            who = _meta(parent).get("from", {}).get("name") if parent.direction == Message.Direction.INCOMING \
                else company
            when = timezone.localtime(parent.sent_at or parent.created_at)
            attribution = _("On %(date)s, %(who)s wrote:") % {
                "date": when.strftime("%d/%m/%Y %H:%M"), "who": who or (to[0] if to else company)}
        subject = subject_for(message)
    mail["From"] = formataddr((sender_name, box.address))
    mail["To"] = ", ".join(to)
    if cc:
        mail["Cc"] = ", ".join(cc)
    reply_address = box.plus_address(tokens.reply_tag(conversation.pk)) if box.plus_addressing else box.address
    mail["Reply-To"] = formataddr((company, reply_address))
    mail["Subject"] = subject
    mail["Date"] = format_datetime(timezone.localtime())
    mail["Message-ID"] = f"<{message_id}>"
    if parent is not None and parent.provider_message_id:
        parent_meta = _meta(parent)
        refs = [r for r in parent_meta.get("references", []) if isinstance(r, str)]
        if not refs and parent_meta.get("in_reply_to"):
            refs = [str(parent_meta["in_reply_to"])]
        chain = [*refs, parent.provider_message_id][-MAX_REFERENCES:]
        mail["In-Reply-To"] = f"<{parent.provider_message_id}>"
        mail["References"] = " ".join(f"<{r}>" for r in chain)
    if message.sender_type != Message.Sender.AGENT:
        # RFC 3834: machines must not answer this, and Exchange is asked not to send out-of-office replies
        mail["Auto-Submitted"] = "auto-replied"
        mail["X-Auto-Response-Suppress"] = "All"
        mail["Precedence"] = "auto_reply"
    mail["X-Ruamchat-Conversation"] = str(conversation.pk)

    quoted_text = ""
    quoted_html = ""
    if parent is not None:
        parent_text = parent.text
        folded = _meta(parent).get("quoted")
        if isinstance(folded, str) and folded:
            parent_text = f"{parent_text}\n\n{folded}"
        quoted_text = f"\n\n{attribution}\n{_quote_lines(parent_text)}\n"
        inner = parent.html if parent.html else _text_to_html(parent_text)
        quoted_html = (f'<div class="ruamchat-quote"><p>{html.escape(attribution)}</p>'
                       f'<blockquote type="cite" style="margin:0 0 0 .8ex;border-left:1px solid #ccc;'
                       f'padding-left:1ex">{inner}</blockquote></div>')
    mail.set_content(message.text + quoted_text)
    mail.add_alternative(
        f'<!DOCTYPE html><html><body><div dir="auto">{_text_to_html(message.text)}</div>{quoted_html}</body></html>',
        subtype="html",
    )
    for attachment in message.attachments.all():
        if not attachment.file:
            continue
        with attachment.file.open("rb") as fh:
            content = fh.read()
        maintype, _slash, subtype = (attachment.content_type or "application/octet-stream").partition("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype or "octet-stream",
                            filename=attachment.filename or "attachment")
    return Outgoing(mail=mail, message_id=message_id, recipients=to + cc)


def build_notice(notice: Notice, box: Mailbox) -> Outgoing:
    """A new mail outside any conversation (a survey campaign's invitation), with a one-click unsubscribe
    (RFC 8058) when the notice has one. Marked automatic (RFC 3834) so out-of-office replies stay away."""
    digest = hashlib.sha256(f"{notice.key or notice.text}".encode()).hexdigest()[:24]
    message_id = f"rc.notice.{digest}@{box.domain}"
    mail = EmailMessage(policy=SMTP)
    mail["From"] = formataddr((box.display_name or box.address, box.address))
    mail["To"] = notice.to
    mail["Subject"] = notice.subject
    mail["Date"] = format_datetime(timezone.localtime())
    mail["Message-ID"] = f"<{message_id}>"
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-Auto-Response-Suppress"] = "All"
    if notice.unsubscribe:
        mail["List-Unsubscribe"] = f"<{notice.unsubscribe}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text = notice.text + (f"\n\n{notice.link_label}: {notice.link}" if notice.link else "")
    mail.set_content(text)
    button = ""
    if notice.link:
        button = (f'<p><a href="{html.escape(notice.link)}" style="display:inline-block;padding:10px 18px;'
                  f'background:#0f766e;color:#fff;border-radius:6px;text-decoration:none">'
                  f'{html.escape(notice.link_label or notice.link)}</a></p>')
    mail.add_alternative(f'<!DOCTYPE html><html lang="{html.escape(notice.language)}"><body>'
                         f'<div dir="auto">{_text_to_html(notice.text)}</div>{button}</body></html>', subtype="html")
    return Outgoing(mail=mail, message_id=message_id, recipients=[notice.to])


class SendError(Exception):
    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.retryable = retryable


def send(outgoing: Outgoing, box: Mailbox) -> None:
    """Hand the mail to the SMTP server. Raises SendError saying whether trying later may help."""
    if not outgoing.recipients:
        raise SendError(_("The conversation has no email address to reply to."), retryable=False)
    try:
        smtp = connect_smtp(box)
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(explain(exc, server="SMTP", host=box.smtp_host, port=box.smtp_port), retryable=False) \
            from exc
    except ssl.SSLCertVerificationError as exc:
        raise SendError(explain(exc, server="SMTP", host=box.smtp_host, port=box.smtp_port), retryable=False) \
            from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(explain(exc, server="SMTP", host=box.smtp_host, port=box.smtp_port), retryable=True) \
            from exc
    try:
        refused = smtp.send_message(outgoing.mail, from_addr=box.address, to_addrs=outgoing.recipients)
    except smtplib.SMTPRecipientsRefused as exc:
        reasons = "; ".join(f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in exc.recipients.items())
        raise SendError(_("The mail server refused every recipient: %(reasons)s") % {"reasons": reasons},
                        retryable=False) from exc
    except smtplib.SMTPResponseException as exc:
        retry = 400 <= exc.smtp_code < 500
        raise SendError(_("The mail server answered %(code)s %(reason)s") % {
            "code": exc.smtp_code, "reason": _text(exc.smtp_error)}, retryable=retry) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(explain(exc, server="SMTP", host=box.smtp_host, port=box.smtp_port), retryable=True) \
            from exc
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    if refused and len(refused) == len(outgoing.recipients):
        raise SendError(_("The mail server refused every recipient."), retryable=False)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
