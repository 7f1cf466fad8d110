"""Cutting a reply into what the customer wrote now and what they quoted or signed.

Reply-stripping libraries on PyPI know no Thai reply headers; this knows Gmail, Outlook, Apple Mail and
Thunderbird in English and Thai, ``>`` quoting and the usual signature markers. It errs on the side of
showing: when the quote is interleaved with new text (inline answers), nothing is folded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FLAGS = re.IGNORECASE | re.UNICODE

#: a line that starts the quoted history
_HEADER_LINE = [
    re.compile(r"^\s*On\b.{4,300}\bwrote:\s*$", _FLAGS),  # Gmail, Apple Mail, Thunderbird
    re.compile(r"^\s*เมื่อ\s?.{4,300}เขียนว่า\s*:?\s*$", _FLAGS),  # Thai Gmail
    re.compile(r"^\s*(?:Le|Am|El|Il)\b.{4,300}(?:a écrit|schrieb|escribió|ha scritto)\s*:\s*$", _FLAGS),
    re.compile(r"^\s*-{2,}\s*(?:Original Message|ข้อความต้นฉบับ|Reply message|Oorspronkelijk bericht)\s*-{2,}\s*$",
               _FLAGS),
    re.compile(r"^\s*-{2,}\s*ข้อความต้นฉบับ.*$", _FLAGS),
]
#: an inline forward: what follows is the content the customer wants us to read, never folded
_FORWARD = re.compile(
    r"^\s*(?:-{3,}\s*(?:Forwarded message|Forwarded by|ข้อความที่ส่งต่อ|ข้อความที่ส่งต่อแล้ว)|Begin forwarded message:"
    r"|เริ่มข้อความที่ส่งต่อ)", _FLAGS,
)
#: two-line Gmail attribution ("On Mon, … at 10:15 Name <a@b>" / "wrote:")
_ON_START = re.compile(r"^\s*(?:On\b|เมื่อ).{4,300}$", _FLAGS)
_WROTE_END = re.compile(r"^.{0,200}(?:wrote|เขียนว่า)\s*:?\s*$", _FLAGS)
#: Outlook's header block: "From: …" then, within a few lines, "Sent: …" (or Thai "จาก:" / "ส่ง:")
_OUTLOOK_FROM = re.compile(r"^\s*\**\s*(?:From|จาก|ผู้ส่ง)\s*:\**\s*.+$", _FLAGS)
_OUTLOOK_NEXT = re.compile(r"^\s*\**\s*(?:Sent|Date|ส่ง|ส่งเมื่อ|วันที่|To|ถึง|Subject|เรื่อง)\s*:\**", _FLAGS)
_RULE = re.compile(r"^\s*_{8,}\s*$")
_QUOTED = re.compile(r"^\s*>")
_SIGNATURE = [
    re.compile(r"^--\s?$"),
    re.compile(r"^\s*(?:Sent from my \S.*|Sent from (?:Mail|Outlook) for .+|Get Outlook for \S.*"
               r"|ส่งจาก\s*\S.*ของฉัน|ส่งจาก(?:อุปกรณ์|โทรศัพท์)\S*.*)\s*$", _FLAGS),
]


@dataclass(frozen=True)
class Split:
    new: str
    quoted: str


def split_reply(text: str) -> Split:
    """The new part of a message and the folded rest (quoted history, signature)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _quote_start(lines)
    sig = _signature_start(lines, cut if cut is not None else len(lines))
    if sig is not None and (cut is None or sig < cut):
        cut = sig
    if cut is None:
        return Split(text.strip("\n"), "")
    new = "\n".join(lines[:cut]).strip()
    if not new:
        # Nothing above the quote (a bottom-posted or empty reply): show everything rather than nothing.
        return Split(text.strip("\n"), "")
    return Split(new, "\n".join(lines[cut:]).strip("\n"))


def _quote_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if _FORWARD.match(line):
            return None
        if any(p.match(line) for p in _HEADER_LINE):
            return i
        if _ON_START.match(line) and i + 1 < len(lines) and _WROTE_END.match(lines[i + 1]) \
                and not _WROTE_END.match(line):
            return i
        if _OUTLOOK_FROM.match(line) and _outlook_block(lines, i):
            # the rule of underscores above Outlook's block belongs to the quote too
            j = i - 1
            while j >= 0 and not lines[j].strip():
                j -= 1
            return j if j >= 0 and _RULE.match(lines[j]) else i
        if _RULE.match(line) and i + 1 < len(lines) and _OUTLOOK_FROM.match(lines[i + 1]) \
                and _outlook_block(lines, i + 1):
            return i
        if _QUOTED.match(line):
            return i if _quote_runs_to_end(lines, i) else None
    return None


def _outlook_block(lines: list[str], start: int) -> bool:
    following = [ln for ln in lines[start + 1:start + 6] if ln.strip()]
    return sum(1 for ln in following if _OUTLOOK_NEXT.match(ln)) >= 2


def _quote_runs_to_end(lines: list[str], start: int) -> bool:
    """``>`` lines from here on, with nothing new after them but blank lines or a signature."""
    for j in range(start, len(lines)):
        line = lines[j]
        if not line.strip() or _QUOTED.match(line):
            continue
        return any(p.match(line) for p in _SIGNATURE)
    return True


def _signature_start(lines: list[str], before: int) -> int | None:
    for i in range(min(before, len(lines))):
        if any(p.match(lines[i]) for p in _SIGNATURE):
            # a signature is short: more than 15 lines after the marker is probably not one
            rest = [ln for ln in lines[i + 1:before] if ln.strip()]
            if len(rest) <= 15:
                return i
    return None
