"""Turning mail bytes into text whatever the charset label says — including the Thai labels Python lacks.

Python 3.11 has no codec called ``windows-874`` or ``x-windows-874``, and its ``tis_620`` codec rejects
byte 0xA0 (a no-break space Thai mail clients do write). cp874 is a practical superset of all the Thai
single-byte charsets, so every Thai label maps to it. Labels that are wrong or unknown fall back to
UTF-8, then to detection, and never to an exception: a mail is always readable.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

#: every label Thai mail arrives with, normalised (lower case, '_' → '-')
THAI_LABELS = frozenset({
    "windows-874", "x-windows-874", "windows874", "cp874", "cp-874", "ms874", "ibm874", "tis-620", "tis620",
    "x-tis-620", "tis-620-2533", "iso-8859-11", "iso8859-11", "iso-ir-166", "thai",
})

#: single-byte charsets that decode (nearly) any bytes without error, so a wrong label would go unnoticed
_SINGLE_BYTE = frozenset({"iso8859-1", "ascii", "cp1252", "iso8859-15", "cp874", "iso8859-2", "koi8-r", "cp1251"})

_LABEL = re.compile(r"[^a-z0-9._:-]")


@lru_cache(maxsize=256)
def codec_for(label: str | None) -> str | None:
    """The Python codec for a MIME charset label, or None when there is none."""
    if not label:
        return None
    norm = _LABEL.sub("", label.strip().strip("\"'").lower().replace("_", "-"))
    if not norm:
        return None
    if norm in THAI_LABELS:
        return "cp874"
    if norm in ("unknown-8bit", "x-unknown", "8bit", "default", "x-user-defined"):
        return None
    try:
        return codecs.lookup(norm).name
    except LookupError:
        return None


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def decode(data: bytes, label: str | None) -> tuple[str, bool]:
    """Decode ``data`` labelled ``label``. Returns (text, exact): ``exact`` is False when the label was
    missing or wrong and the charset was guessed (the text may then contain replacement characters)."""
    if not data:
        return "", True
    codec = codec_for(label)
    if data.isascii():
        return data.decode("ascii"), True
    if codec is not None:
        if codec in _SINGLE_BYTE:
            # A single-byte label on bytes that are valid multi-byte UTF-8 is a mislabel: real Latin or Thai
            # text practically never forms valid UTF-8 sequences (and these codecs never fail to notice).
            as_utf8 = _utf8(data)
            if as_utf8 is not None:
                return as_utf8, False
        try:
            return data.decode(codec), True
        except (UnicodeDecodeError, LookupError):
            pass
    as_utf8 = _utf8(data)
    if as_utf8 is not None:
        return as_utf8, False
    return _guess(data, codec), False


def _guess(data: bytes, codec: str | None) -> str:
    from charset_normalizer import from_bytes

    if _looks_thai_single_byte(data):
        return data.decode("cp874", errors="replace")
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding, errors="replace")
        except LookupError:
            pass
    return data.decode(codec or "utf-8", errors="replace")


def _looks_thai_single_byte(data: bytes) -> bool:
    """Most high bytes fall in cp874's Thai block (0xA1–0xFB): Thai single-byte text, whatever the label."""
    high = [b for b in data if b >= 0x80]
    if not high:
        return False
    thai = sum(1 for b in high if 0xA1 <= b <= 0xFB)
    return thai / len(high) > 0.9 and len(high) >= 4
