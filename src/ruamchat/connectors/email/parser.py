"""Real-world mail in, a plain description out — never an exception.

The parser reads raw RFC 5322 bytes with Python's lenient ``compat32`` policy and decodes every header
and body itself (see ``charsets``), so broken MIME, wrong charset labels and Thai charsets Python does
not know still give readable text. Whatever it could not understand is listed in ``problems``.
It has no Django dependency: ``ruamchat email-parse`` and the benchmarks use it directly.
"""

from __future__ import annotations

import email
import email.header
import email.utils
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import Message
from typing import Any

from ruamchat.connectors.email import charsets
from ruamchat.connectors.email.quotes import split_reply

_MSGID = re.compile(r"<([^<>\s]{1,500})>")
_WS = re.compile(r"\r?\n[ \t]+")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?")
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?[ -]?(?:reply|response|antwort)|out of (?:the )?office|ตอบกลับอัตโนมัติ"
    r"|abwesenheitsnotiz|réponse automatique)\b", re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"(?:undeliver(?:ed|able)|delivery status notification|mail delivery (?:failed|failure|system)"
    r"|returned mail|delivery (?:has )?failed|failure notice|non[- ]?delivery)", re.IGNORECASE,
)
#: MIME defects after which the parts read may not be the whole mail
_STRUCTURAL = ("StartBoundaryNotFoundDefect", "NoBoundaryInMultipartDefect", "MultipartInvariantViolationDefect",
               "CloseBoundaryNotFoundDefect", "MissingHeaderBodySeparatorDefect")
_DAEMON = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)
MAX_PARTS = 500


@dataclass(frozen=True)
class Address:
    address: str
    name: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"address": self.address, "name": self.name}


@dataclass
class ParsedAttachment:
    filename: str | None  # as the mail gives it; None when it gives none
    content_type: str
    content: bytes
    content_id: str | None = None
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.content)

    def display_name(self, index: int) -> str:
        """A name to store and download under, made up from the type when the mail gives none."""
        if self.filename:
            return self.filename
        if self.content_type == "message/rfc822":
            return f"message-{index}.eml"
        ext = mimetypes.guess_extension(self.content_type) or ".bin"
        return f"attachment-{index}{'.jpg' if ext == '.jpe' else ext}"


@dataclass
class Bounce:
    action: str  # failed | delayed | delivered | relayed | expanded
    status: str = ""
    diagnostic: str = ""
    recipients: list[str] = field(default_factory=list)
    original_message_id: str | None = None


@dataclass
class ParsedMail:
    from_: Address | None = None
    sender: Address | None = None
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    reply_to: list[Address] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    subject: str = ""
    date: datetime | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    text: str = ""
    html: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    auto_reply: bool = False
    suppress_auto_response: bool = False
    bounce: Bounce | None = None
    return_path: str | None = None
    problems: list[str] = field(default_factory=list)
    #: the MIME structure is broken (boundaries missing …) or parsing failed: what was read may be incomplete
    damaged: bool = False
    #: the reply cut in two: what was written now, and the quoted history / signature
    new_text: str = ""
    quoted_text: str = ""

    @property
    def has_html(self) -> bool:
        return bool(self.html.strip())

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this mail answers, nearest first (In-Reply-To, then References from the end)."""
        ids: list[str] = []
        for mid in [self.in_reply_to, *reversed(self.references)]:
            if mid and mid not in ids:
                ids.append(mid)
        return ids

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.from_.as_dict() if self.from_ else None,
            "to": [a.as_dict() for a in self.to],
            "cc": [a.as_dict() for a in self.cc],
            "reply_to": [a.as_dict() for a in self.reply_to],
            "subject": self.subject,
            "date": self.date.isoformat() if self.date else None,
            "message_id": self.message_id,
            "in_reply_to": self.in_reply_to,
            "references": self.references,
            "text": self.text,
            "new_text": self.new_text,
            "quoted_text": self.quoted_text,
            "has_html": self.has_html,
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": a.size,
                 "content_id": a.content_id, "inline": a.inline}
                for a in self.attachments
            ],
            "auto_reply": self.auto_reply,
            "bounce": self.bounce is not None and self.bounce.action == "failed",
            "bounce_details": None if self.bounce is None else {
                "action": self.bounce.action, "status": self.bounce.status, "diagnostic": self.bounce.diagnostic,
                "recipients": self.bounce.recipients, "original_message_id": self.bounce.original_message_id,
            },
            "suppress_auto_response": self.suppress_auto_response,
            "problems": self.problems,
            "damaged": self.damaged,
        }


# ---------------------------------------------------------------- headers


def _raw_header(msg: Message, name: str) -> str | None:
    """The header as it arrived (surrogate-escaped bytes turned back into text), unfolded."""
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return _unfold(_fix_8bit(str(value)))
    return None


def _raw_headers(msg: Message, name: str) -> list[str]:
    return [_unfold(_fix_8bit(str(v))) for k, v in msg.raw_items() if k.lower() == name.lower()]


def _unfold(value: str) -> str:
    return _WS.sub(" ", value).replace("\r", "").replace("\n", "").replace("\x00", "")


def _fix_8bit(value: str) -> str:
    """Raw 8-bit header bytes (no RFC 2047) arrive as surrogate escapes: decode them as UTF-8 or Thai."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        raw = value.encode("ascii", "surrogateescape")
        return charsets.decode(raw, "utf-8")[0]


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words (adjacent words joined first, so a character split across two is whole)."""
    if not _ENCODED_WORD.search(value):
        return value
    try:
        parts = email.header.decode_header(value)
    except Exception:  # a malformed encoded word: leave it as written
        return value
    out = []
    for chunk, label in parts:
        if isinstance(chunk, str):
            out.append(chunk)
        else:
            out.append(charsets.decode(chunk, label or "utf-8")[0])
    return "".join(out).replace("\x00", "")


def _header_text(msg: Message, name: str) -> str:
    raw = _raw_header(msg, name)
    return decode_words(raw).strip() if raw is not None else ""


def _addresses(msg: Message, name: str) -> list[Address]:
    values = _raw_headers(msg, name)
    if not values:
        return []
    found = []
    for display, addr in email.utils.getaddresses(values):
        addr = addr.strip().strip("<>").strip()
        if not addr or "@" not in addr:
            continue
        found.append(Address(addr, decode_words(display).strip().strip('"').strip()))
    return found


def _msgid(value: str | None) -> str | None:
    if not value:
        return None
    match = _MSGID.search(value)
    if match:
        return match.group(1)
    token = value.strip().split()
    return token[0][:500] if token else None


def _msgids(value: str | None) -> list[str]:
    if not value:
        return []
    found = _MSGID.findall(value)
    return found if found else [t for t in value.split() if "@" in t][:100]


def _date(msg: Message) -> datetime | None:
    raw = _raw_header(msg, "Date")
    if not raw:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo is not None else None


# ---------------------------------------------------------------- bodies


def _content_type(part: Message) -> str:
    value = part.get_content_type()
    return value if "/" in value else "application/octet-stream"


def _payload(part: Message, problems: list[str]) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception as exc:
        problems.append(f"undecodable part {_content_type(part)}: {exc}")
        raw = part.get_payload()
        return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    if isinstance(data, bytes):
        return data
    return b""


def _part_text(part: Message, problems: list[str]) -> str:
    data = _payload(part, problems)
    label = part.get_param("charset")
    text, exact = charsets.decode(data, label if isinstance(label, str) else None)
    if not exact and label:
        problems.append(f"charset {label!r} did not fit the text; guessed")
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    if part.get_content_type() == "text/plain" and str(part.get_param("format") or "").lower() == "flowed":
        text = unflow(text, delsp=str(part.get_param("delsp") or "").lower() == "yes")
    return text


def unflow(text: str, *, delsp: bool = False) -> str:
    """RFC 3676 format=flowed: join soft line breaks (a line ending in a space), quote depth by quote depth."""
    out: list[str] = []
    pending: tuple[int, str] | None = None  # (quote depth, text so far) of a paragraph still flowing
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        body = line[depth:]
        if body.startswith(" "):
            body = body[1:]  # space-stuffing
        soft = body.endswith(" ") and body != "-- "
        if soft and delsp:
            body = body[:-1]
        if pending is not None and pending[0] == depth:
            body = pending[1] + body
        elif pending is not None:
            out.append(_requote(*pending))
        pending = None
        if soft:
            pending = (depth, body)
        else:
            out.append(_requote(depth, body))
    if pending is not None:
        out.append(_requote(*pending))
    return "\n".join(out)


def _requote(depth: int, body: str) -> str:
    return (">" * depth + " " + body) if depth else body


def _filename(part: Message) -> str | None:
    for param, header in (("filename", "content-disposition"), ("name", "content-type")):
        value = part.get_param(param, header=header)
        if value is None:
            continue
        if isinstance(value, tuple):  # RFC 2231: (charset, language, %-decoded latin-1 text)
            label, _lang, text = value
            name = charsets.decode(str(text).encode("latin-1", "replace"), label or "utf-8")[0]
        else:
            name = decode_words(_fix_8bit(email.utils.collapse_rfc2231_value(value)))
        name = name.replace("\x00", "").replace("\\", "/").rsplit("/", 1)[-1].strip().strip('"')
        if name:
            return name[:255]
    return None


def _content_id(part: Message) -> str | None:
    raw = part.get("Content-ID")
    if not raw:
        return None
    value = str(raw).strip()
    return (value[1:-1] if value.startswith("<") and value.endswith(">") else value) or None


class _Walker:
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.attachments: list[ParsedAttachment] = []
        self.delivery_status: list[Message] = []
        self.returned_headers: list[Message] = []
        self.forwarded: list[bytes] = []
        self.parts = 0

    def walk(self, part: Message, *, inline_root: bool = True, related: bool = False) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            if self.parts == MAX_PARTS + 1:
                self.problems.append(f"more than {MAX_PARTS} MIME parts; the rest are only in the original")
            return
        ctype = _content_type(part)
        disposition = (part.get_content_disposition() or "").lower()
        # message/* parts count as multipart in compat32: look at them first
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            self.delivery_status.append(part)
            return
        if ctype in ("message/rfc822", "message/global"):
            self._forwarded(part)
            return
        if part.is_multipart():
            self._multipart(part, ctype, inline_root=inline_root)
            return
        if ctype in ("text/rfc822-headers", "text/rfc822-header"):
            headers = email.message_from_bytes(_payload(part, self.problems), policy=policy.compat32)
            self.returned_headers.append(headers)
            self._attach(part, ctype, inline=False)
            return
        named = _filename(part) is not None
        if inline_root and disposition != "attachment" and ctype in ("text/plain", "text/html") and not named:
            (self.texts if ctype == "text/plain" else self.htmls).append(_part_text(part, self.problems))
            return
        self._attach(part, ctype, inline=related or (disposition == "inline" and ctype.startswith("image/")))

    def _multipart(self, part: Message, ctype: str, *, inline_root: bool) -> None:
        payload = part.get_payload()
        children = [c for c in payload if isinstance(c, Message)] if isinstance(payload, list) else None
        if children is None:
            self.problems.append(f"{ctype} without parts")
            return
        if part.defects:
            self.problems.extend(type(d).__name__ for d in part.defects)
        if ctype == "multipart/alternative" and inline_root:
            self._alternative(children)
        elif ctype == "multipart/related" and children:
            root = _related_root(part, children)
            self.walk(root, inline_root=inline_root)
            for child in children:
                if child is not root:
                    self.walk(child, inline_root=False, related=True)
        else:
            for child in children:
                self.walk(child, inline_root=inline_root)

    def _alternative(self, children: list[Message]) -> None:
        """One text and one HTML rendering, each the last (richest) of its kind; the rest of the tree
        under the chosen HTML (inline images of multipart/related) is walked as usual."""
        plain = [c for c in children if _content_type(c) == "text/plain"]
        rich = [c for c in children if _content_type(c) == "text/html" or c.is_multipart()]
        if plain:
            self.texts.append(_part_text(plain[-1], self.problems))
        for other in children:
            # alternatives that are neither text nor HTML (a calendar invitation's text/calendar) are kept
            if other not in plain and other not in rich:
                self._attach(other, _content_type(other), inline=False)
        if rich:
            chosen = rich[-1]
            if chosen.is_multipart():
                before = len(self.texts)
                self.walk(chosen)
                if plain:
                    del self.texts[before:]  # the plain alternative already says it
            elif _content_type(chosen) == "text/html":
                self.htmls.append(_part_text(chosen, self.problems))
            else:
                self._attach(chosen, _content_type(chosen), inline=False)

    def _forwarded(self, part: Message) -> None:
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            try:
                raw = inner[0].as_bytes(policy=policy.compat32)
            except Exception as exc:
                self.problems.append(f"forwarded message could not be written back: {exc}")
                raw = b""
            subject = _header_text(inner[0], "Subject")
            name = _filename(part) or (f"{_safe_name(subject)}.eml" if subject else None)
            self.attachments.append(ParsedAttachment(name, "message/rfc822", raw, _content_id(part), False))
            self.returned_headers.append(inner[0])
            if raw:
                self.forwarded.append(raw)
        else:
            self._attach(part, "message/rfc822", inline=False)

    def _attach(self, part: Message, ctype: str, *, inline: bool) -> None:
        self.attachments.append(ParsedAttachment(
            filename=_filename(part), content_type=ctype, content=_payload(part, self.problems),
            content_id=_content_id(part), inline=inline,
        ))


def _related_root(part: Message, children: list[Message]) -> Message:
    start = part.get_param("start")
    if isinstance(start, str):
        wanted = start.strip("<>")
        for child in children:
            if _content_id(child) == wanted:
                return child
    return children[0]


def _safe_name(text: str) -> str:
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", text).strip()[:120] or "message"


# ---------------------------------------------------------------- html → text


def html_to_text(html: str) -> str:
    import html2text

    converter = html2text.HTML2Text(bodywidth=0)
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_tables = True
    converter.single_line_break = True
    converter.protect_links = False
    converter.inline_links = False
    converter.links_each_paragraph = True
    converter.unicode_snob = True
    try:
        text = converter.handle(html)
    except Exception:  # html2text chokes on some pathological markup; a tag strip still reads
        text = re.sub(r"<[^>]+>", " ", html)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return "\n".join(line.rstrip() for line in text.splitlines()).strip()


# ---------------------------------------------------------------- auto replies and bounces


def _auto_flags(msg: Message, from_: Address | None, subject: str, return_path: str | None) -> tuple[bool, bool]:
    """(auto_reply, suppress_auto_response) per RFC 3834 and common practice."""
    auto_submitted = (_raw_header(msg, "Auto-Submitted") or "").strip().lower()
    precedence = (_raw_header(msg, "Precedence") or "").strip().lower()
    auto_reply = (
        (bool(auto_submitted) and auto_submitted.split(";")[0].strip() != "no")
        or (_raw_header(msg, "X-Autoreply") or "").strip().lower() in ("yes", "true", "1")
        or _raw_header(msg, "X-Autorespond") is not None
        or precedence == "auto_reply"
        or bool(_AUTO_SUBJECT.match(subject))
    )
    listy = any(k.lower().startswith("list-") for k in msg)
    suppress_hdr = (_raw_header(msg, "X-Auto-Response-Suppress") or "").lower()
    daemon = from_ is not None and bool(_DAEMON.match(from_.address))
    suppress = (
        auto_reply or listy or daemon or precedence in ("bulk", "list", "junk")
        or (return_path is not None and return_path.strip() in ("<>", ""))
        or any(word in suppress_hdr for word in ("all", "autoreply", "oof"))
    )
    return auto_reply, suppress


def _bounce(msg: Message, walker: _Walker, from_: Address | None, subject: str, text: str) -> Bounce | None:
    report = msg.get_content_type() == "multipart/report" and (
        str(msg.get_param("report-type") or "").lower() == "delivery-status"
    )
    daemon = from_ is not None and bool(_DAEMON.match(from_.address))
    if not report and not walker.delivery_status and not (daemon and _BOUNCE_SUBJECT.search(subject)):
        return None
    bounce = Bounce(action="failed")
    actions: list[str] = []
    for part in walker.delivery_status:
        for block in _status_blocks(part):
            action = (block.get("Action") or "").strip().lower()
            if action:
                actions.append(action)
                recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
                if recipient:
                    bounce.recipients.append(recipient.split(";")[-1].strip())
                bounce.status = bounce.status or str(block.get("Status") or "").strip()
                bounce.diagnostic = bounce.diagnostic or _unfold(str(block.get("Diagnostic-Code") or "")).strip()
    if actions:
        bounce.action = "failed" if "failed" in actions else actions[0]
    for headers in walker.returned_headers:
        mid = _msgid(_raw_header(headers, "Message-ID"))
        if mid:
            bounce.original_message_id = mid
            break
    if bounce.original_message_id is None:
        match = re.search(r"Message-ID:\s*<([^<>\s]+)>", text, re.IGNORECASE)
        if match:
            bounce.original_message_id = match.group(1)
    if not bounce.diagnostic:
        bounce.diagnostic = text.strip().split("\n\n")[0][:500]
    return bounce


def _status_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    if isinstance(payload, str):  # some servers send it base64-encoded or unparsed: parse the blocks
        raw = _payload(part, [])
        return [email.message_from_bytes(block.strip() + b"\n", policy=policy.compat32)
                for block in re.split(rb"\r?\n\r?\n", raw) if block.strip()]
    return []


# ---------------------------------------------------------------- entry point


def parse(raw: bytes, *, depth: int = 0) -> ParsedMail:
    """Describe one raw mail. Never raises: what could not be understood is listed in ``problems``."""
    mail = ParsedMail()
    try:
        _parse_into(raw, mail, depth)
    except Exception as exc:  # a parser bug or a pathological mail: keep what we have, say so
        mail.problems.append(f"parse error: {type(exc).__name__}: {exc}")
        mail.damaged = True
    if any(p in _STRUCTURAL for p in mail.problems):
        mail.damaged = True
    if mail.message_id is None:
        mail.problems.append("no Message-ID")
    return mail


def synthetic_message_id(raw: bytes) -> str:
    """A stable id for a mail that has none, so importing it twice still stores it once."""
    return f"{hashlib.sha256(raw).hexdigest()[:32]}@no-message-id.ruamchat"


def _forward_block(inner: ParsedMail) -> str:
    lines = ["---------- Forwarded message ---------"]
    if inner.from_:
        lines.append(f"From: {inner.from_.name} <{inner.from_.address}>" if inner.from_.name
                     else f"From: {inner.from_.address}")
    if inner.date:
        lines.append(f"Date: {inner.date.isoformat(sep=' ')}")
    if inner.subject:
        lines.append(f"Subject: {inner.subject}")
    return "\n".join(lines) + "\n\n" + inner.text


def _parse_into(raw: bytes, mail: ParsedMail, depth: int) -> None:
    msg = email.message_from_bytes(raw, policy=policy.compat32)
    if msg.defects:
        mail.problems.extend(type(d).__name__ for d in msg.defects)
    froms = _addresses(msg, "From")
    mail.from_ = froms[0] if froms else None
    senders = _addresses(msg, "Sender")
    mail.sender = senders[0] if senders else None
    mail.to = _addresses(msg, "To")
    mail.cc = _addresses(msg, "Cc")
    mail.reply_to = _addresses(msg, "Reply-To")
    mail.delivered_to = [a.address for a in _addresses(msg, "Delivered-To") + _addresses(msg, "X-Original-To")]
    mail.subject = _header_text(msg, "Subject")[:1000]
    mail.date = _date(msg)
    mail.message_id = _msgid(_raw_header(msg, "Message-ID"))
    mail.in_reply_to = _msgid(_raw_header(msg, "In-Reply-To"))
    mail.references = _msgids(_raw_header(msg, "References"))[-100:]
    return_path = _raw_header(msg, "Return-Path")
    mail.return_path = return_path.strip() if return_path is not None else None
    mail.auto_reply, mail.suppress_auto_response = _auto_flags(msg, mail.from_, mail.subject, mail.return_path)

    walker = _Walker(mail.problems)
    walker.walk(msg)
    mail.html = "\n".join(h for h in walker.htmls if h.strip())
    plain = "\n\n".join(t.strip("\n") for t in walker.texts if t.strip())
    mail.text = plain or (html_to_text(mail.html) if mail.html else "")
    mail.attachments = walker.attachments
    mail.bounce = _bounce(msg, walker, mail.from_, mail.subject, mail.text)
    if mail.bounce is not None:
        mail.suppress_auto_response = True
    elif walker.forwarded and depth < 3:
        # forwarded as an attachment: its text is what the customer wants us to read
        mail.text = "\n\n".join([mail.text, *(_forward_block(parse(raw, depth=depth + 1))
                                                for raw in walker.forwarded)]).strip()
    split = split_reply(mail.text)
    mail.new_text, mail.quoted_text = split.new, split.quoted
