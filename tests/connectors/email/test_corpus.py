"""The parser against a corpus of real-world-shaped mail (tests/fixtures/email, made by make_corpus.py):
Thai Outlook in windows-874, TIS-620, HTML-only, inline images, forwards, RFC 2231/2047 Thai filenames,
broken charset labels, bounces, auto-replies and Gmail / Outlook / Apple Mail replies with quotes.
Each file's expectations are in expected.json; every file must parse without an exception."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ruamchat.connectors.email.parser import ParsedMail, parse
from ruamchat.core.text import sanitize_html

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "email"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


def _addresses(values: list[Any]) -> list[str]:
    return [a.address.lower() for a in values]


def check(mail: ParsedMail, expected: dict[str, Any]) -> list[str]:
    """Every expectation the parsed mail does not meet, described."""
    problems: list[str] = []

    def want(key: str, got: Any) -> None:
        if key in expected and expected[key] != got:
            problems.append(f"{key}: expected {expected[key]!r}, got {got!r}")

    if "from_address" in expected and (expected["from_address"] or "").lower() != (
            mail.from_.address.lower() if mail.from_ else None):
        problems.append(f"from_address: expected {expected['from_address']!r}, got {mail.from_!r}")
    want("from_name", mail.from_.name if mail.from_ else None)
    for key, got in (("to", mail.to), ("cc", mail.cc), ("reply_to", mail.reply_to)):
        if key in expected and [a.lower() for a in expected[key]] != _addresses(got):
            problems.append(f"{key}: expected {expected[key]!r}, got {_addresses(got)!r}")
    want("subject", mail.subject)
    want("message_id", mail.message_id)
    want("in_reply_to", mail.in_reply_to)
    want("references", mail.references)
    want("has_html", mail.has_html)
    want("auto_reply", mail.auto_reply)
    want("suppress_auto_response", mail.suppress_auto_response)
    want("bounce", mail.bounce is not None and mail.bounce.action == "failed")
    if "bounce_original_message_id" in expected:
        want("bounce_original_message_id", mail.bounce.original_message_id if mail.bounce else None)
    for text in expected.get("text_contains", []):
        if text not in mail.new_text:
            problems.append(f"text_contains: {text!r} not in the new part {mail.new_text[:300]!r}")
    for text in expected.get("text_not_contains", []):
        if text in mail.new_text:
            problems.append(f"text_not_contains: {text!r} is in the new part")
    for text in expected.get("quoted_contains", []):
        if text not in mail.quoted_text:
            problems.append(f"quoted_contains: {text!r} not in the folded part {mail.quoted_text[:300]!r}")
    shown = sanitize_html(mail.html) if mail.html else ""
    for text in expected.get("html_not_contains", []):
        if text.lower() in shown.lower():
            problems.append(f"html_not_contains: {text!r} survived sanitizing")
    if "attachments" in expected:
        got = [{"filename": a.filename, "content_type": a.content_type, "content_id": a.content_id,
                "inline": a.inline} for a in mail.attachments]
        wanted = [{k: a.get(k) for k in ("filename", "content_type", "content_id", "inline")}
                  for a in expected["attachments"]]
        if got != wanted:
            problems.append(f"attachments: expected {wanted!r}, got {got!r}")
    return problems


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_parser_reads_each_corpus_mail(name: str) -> None:
    raw = (CORPUS / name).read_bytes()
    mail = parse(raw)
    assert not [p for p in mail.problems if p.startswith("parse error")], mail.problems
    assert check(mail, EXPECTED[name]) == []


def test_every_corpus_file_has_expectations() -> None:
    files = {p.name for p in CORPUS.glob("*.eml")}
    assert files and files == set(EXPECTED)


def test_the_corpus_covers_what_the_issue_names() -> None:
    names = set(EXPECTED)
    for needed in ("thai-outlook-windows-874.eml", "tis-620.eml", "html-only.eml", "inline-images.eml",
                   "forwarded-as-attachment.eml", "attachment-only.eml", "rfc2231-thai-filename.eml",
                   "broken-charset.eml", "bounce-postfix.eml", "auto-reply-ooo-th.eml", "gmail-reply-en.eml",
                   "gmail-reply-th.eml", "outlook-reply-en.eml", "outlook-reply-th.eml"):
        assert needed in names
