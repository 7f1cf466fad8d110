"""The Thai catalogue is complete, up to date with the code, compiled, and really used by the pages.

A developer who wraps a new string for translation and forgets the Thai gets a failing test that names
the string. Fix: from src/ruamchat run
    RUAMCHAT_DATA_DIR=/tmp/rc-i18n ../../.venv/bin/ruamchat makemessages -l th -i 'migrations/*'
translate the new entries in locale/th/LC_MESSAGES/django.po (drop any "#, fuzzy"), then
    RUAMCHAT_DATA_DIR=/tmp/rc-i18n ../../.venv/bin/ruamchat compilemessages
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

import ruamchat

PACKAGE_DIR = Path(ruamchat.__file__).resolve().parent
LOCALE_DIR = PACKAGE_DIR / "locale"
PO_FILE = LOCALE_DIR / "th" / "LC_MESSAGES" / "django.po"
MO_FILE = LOCALE_DIR / "th" / "LC_MESSAGES" / "django.mo"
MAKEMESSAGES_IGNORE = ["migrations/*"]  # the same options the catalogue is made with (see the docstring)
GETTEXT_TOOLS = ("xgettext", "msgmerge", "msguniq", "msgattrib", "msgfmt")

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    def label(self) -> str:
        context = f" (context {self.msgctxt!r})" if self.msgctxt else ""
        return f"line {self.line}: {self.msgid!r}{context}"


def _unquote(text: str) -> str:
    body = text.strip()
    assert body.startswith('"') and body.endswith('"'), f"not a PO string: {text!r}"
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(1)), body[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """The active (not obsolete) entries of a PO file, header included as the entry with msgid ""."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None  # which field a continuation line belongs to

    def finish() -> None:
        nonlocal current
        if current is not None:
            entries.append(current)
        current = None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            target = None
            continue
        if line.startswith("#~"):  # obsolete: kept by makemessages for reference, never used
            continue
        if line.startswith("#"):
            if current is not None and target is not None:  # a comment after the strings starts the next entry
                finish()
                target = None
            current = current or Entry(line=number)
            if line.startswith("#,"):
                current.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$", line)
        if match:
            keyword, index, value = match.group(1), match.group(2), _unquote(match.group(3))
            if keyword in ("msgctxt", "msgid") and current is not None and target is not None \
                    and target[0].startswith("msgstr"):
                finish()
            current = current or Entry(line=number)
            if keyword == "msgid":
                current.line = number
            if keyword.startswith("msgstr"):
                position = int(index) if index is not None else 0
                while len(current.msgstr) <= position:
                    current.msgstr.append("")
                current.msgstr[position] = value
                target = ("msgstr", position)
            else:
                setattr(current, keyword, value)
                target = (keyword, 0)
            continue
        if line.startswith('"') and current is not None and target is not None:
            name, position = target
            if name == "msgstr":
                current.msgstr[position] += _unquote(line)
            else:
                setattr(current, name, (getattr(current, name) or "") + _unquote(line))
            continue
        raise AssertionError(f"{path}:{number}: cannot read this PO line: {raw!r}")
    finish()
    return entries


def _messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.msgid or e.msgctxt]


def _require_gettext_tools() -> None:
    missing = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"GNU gettext is not installed (missing {', '.join(missing)}): install the Debian package "
                    "'gettext' (scripts/test does this) to check the translations.", pytrace=False)


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    assert PO_FILE.exists(), f"{PO_FILE} is missing: run makemessages -l th (see this module's docstring)"
    return parse_po(PO_FILE)


def test_thai_catalogue_header_declares_thai_utf8_and_one_plural_form(catalogue: list[Entry]) -> None:
    header = next(e for e in catalogue if not e.msgid and not e.msgctxt).msgstr[0]
    assert "Language: th\n" in header
    assert "charset=UTF-8" in header
    assert "Plural-Forms: nplurals=1; plural=0;" in header


def test_every_string_has_a_thai_translation_and_none_is_fuzzy(catalogue: list[Entry]) -> None:
    messages = _messages(catalogue)
    assert len(messages) > 200  # the whole UI, not a stub
    untranslated = [e.label() for e in messages if not e.msgstr or any(not s.strip() for s in e.msgstr)]
    fuzzy = [e.label() for e in catalogue if "fuzzy" in e.flags]
    assert not untranslated, f"{PO_FILE} has {len(untranslated)} untranslated entries:\n" + "\n".join(untranslated)
    assert not fuzzy, f"{PO_FILE} has {len(fuzzy)} fuzzy entries (check them, then drop the flag):\n" \
        + "\n".join(fuzzy)


def test_translations_keep_every_placeholder(catalogue: list[Entry]) -> None:
    wrong = []
    for entry in _messages(catalogue):
        expected = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        for text in entry.msgstr:
            if sorted(PLACEHOLDER.findall(text)) != expected:
                wrong.append(f"{entry.label()} -> {text!r}")
    assert not wrong, "translations that lose or invent a %(name)s placeholder:\n" + "\n".join(wrong)


def test_catalogue_has_every_string_the_code_marks_for_translation(
        tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch, catalogue: list[Entry]) -> None:
    _require_gettext_tools()
    copy = tmp_path / "ruamchat"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "locale", "*.pyc"))
    (copy / "locale").mkdir()
    settings.LOCALE_PATHS = [copy / "locale"]  # makemessages writes only into the copy
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["th"], ignore_patterns=MAKEMESSAGES_IGNORE, verbosity=0)

    fresh = _messages(parse_po(copy / "locale" / "th" / "LC_MESSAGES" / "django.po"))
    known = {e.key for e in catalogue}
    missing = [e.msgid for e in fresh if e.key not in known]
    assert len(fresh) > 200
    assert not missing, (
        f"{len(missing)} strings in the code are not in {PO_FILE.relative_to(PACKAGE_DIR.parent.parent)} "
        "(run makemessages and translate them, see tests/test_translations.py):\n"
        + "\n".join(repr(msgid) for msgid in missing))


def test_compiled_catalogue_matches_the_po_file(tmp_path: Path) -> None:
    _require_gettext_tools()
    assert MO_FILE.exists(), f"{MO_FILE} is missing: run compilemessages"
    fresh_mo = tmp_path / "django.mo"
    result = subprocess.run(["msgfmt", "--check-format", "-o", str(fresh_mo), str(PO_FILE)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"msgfmt rejects {PO_FILE}:\n{result.stderr}"
    with MO_FILE.open("rb") as committed, fresh_mo.open("rb") as compiled:
        committed_catalog = getattr(gettext.GNUTranslations(committed), "_catalog")  # noqa: B009
        fresh_catalog = getattr(gettext.GNUTranslations(compiled), "_catalog")  # noqa: B009
    stale = sorted(str(k) for k in set(committed_catalog) | set(fresh_catalog)
                   if committed_catalog.get(k) != fresh_catalog.get(k))
    assert not stale, f"{MO_FILE.name} is older than {PO_FILE.name}: run compilemessages. Differences:\n" \
        + "\n".join(stale[:50])


@pytest.mark.django_db
def test_login_page_without_a_cookie_is_in_thai(client: Client) -> None:
    html = client.get("/login/").content.decode()
    assert "เข้าสู่ระบบ" in html  # "Log in"
    assert "Log in" not in html


def test_english_agent_sees_an_english_inbox_and_thai_agent_a_thai_one(
        client: Client, make_agent: Any, team: Any) -> None:
    client.force_login(make_agent(teams=[team], username="jane", language="en"))
    english = client.get("/inbox/").content.decode()
    assert "Log out" in english and "Unassigned" in english
    assert "ออกจากระบบ" not in english

    client.force_login(make_agent(teams=[team], username="malee", language="th"))
    thai = client.get("/inbox/").content.decode()
    assert "ออกจากระบบ" in thai  # "Log out"
    assert "ยังไม่มอบหมาย" in thai  # the "Unassigned" queue
    assert "Log out" not in thai and "Unassigned" not in thai
