"""Order-number patterns set by an administrator: checked before they are saved, applied to customer text.

Patterns are compiled with ``re.ASCII``: ``\\b``, ``\\w`` and ``\\d`` then mean Latin letters and digits only,
so ``\\bCS-\\d+`` still finds a number written straight after Thai text ("ออเดอร์CS-10023"), where Thai letters
would otherwise count as word characters. Thai digits are turned into Arabic ones before matching.

Python's ``re`` has no time limit, so a pattern is refused when it could take very long (a repetition inside a
repetition, like ``(\\d+)+``), it is at most MAX_PATTERN_LENGTH characters, and only the first MAX_TEXT_LENGTH
characters of each message are searched.
"""

from __future__ import annotations

import functools
import importlib
import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_PATTERN_LENGTH = 200
MAX_TEXT_LENGTH = 4000
MAX_NUMBER_LENGTH = 64

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９－", "0123456789-")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))

_parser: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")
_REPEATS = {_constants.MAX_REPEAT, _constants.MIN_REPEAT, getattr(_constants, "POSSESSIVE_REPEAT", None)} - {None}


def normalise(text: str) -> str:
    """Text as the patterns read it: Thai (and full-width) digits as 0-9, no zero-width characters.

    Like ruamchat.core.text.normalise for digits, but the case is kept: the administrator's pattern decides
    whether "cs-10023" counts."""
    return unicodedata.normalize("NFC", text or "").translate(_ZERO_WIDTH).translate(_THAI_DIGITS).translate(
        _FULL_WIDTH)


@functools.lru_cache(maxsize=64)
def compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.ASCII)


def _nested(items: Any, inside: bool = False) -> bool:
    """Whether the parsed pattern repeats something that itself repeats (``inside``: within a repetition)."""
    for op, value in items:
        if op in _REPEATS:
            _low, high, sub = value
            repeating = high > 1
            if (repeating and inside) or _nested(sub, inside or repeating):
                return True
        elif op == _constants.SUBPATTERN:
            if _nested(value[-1], inside):
                return True
        elif op == _constants.BRANCH:
            if any(_nested(branch, inside) for branch in value[1]):
                return True
        elif op in (_constants.ASSERT, _constants.ASSERT_NOT):
            if _nested(value[1], inside):
                return True
        elif op == _constants.GROUPREF_EXISTS:
            if any(part is not None and _nested(part, inside) for part in value[1:]):
                return True
        elif op == getattr(_constants, "ATOMIC_GROUP", None) and _nested(value, inside):
            return True
    return False


def validate_pattern(pattern: str) -> None:
    """Refuse a pattern that does not compile, is too long, finds empty text or could be very slow."""
    if not pattern:
        return
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValidationError(_("The pattern is too long: at most %(max)d characters.")
                              % {"max": MAX_PATTERN_LENGTH}, code="too_long")
    try:
        parsed = _parser.parse(pattern, re.ASCII)
        regex = re.compile(pattern, re.ASCII)
    except (re.error, OverflowError, RecursionError) as exc:
        raise ValidationError(_("This is not a valid regular expression: %(error)s") % {"error": exc},
                              code="invalid") from None
    if _nested(parsed):
        raise ValidationError(
            _("The pattern repeats something that itself repeats (like (\\d+)+): matching it can take very "
              "long. Write it without the outer repetition."), code="slow")
    if regex.search("") is not None:
        raise ValidationError(_("The pattern also matches empty text: it must match the order number itself."),
                              code="empty")


def _clean(found: str, *, uppercase: bool) -> str:
    number = found.strip()
    return number.upper() if uppercase else number


def find(pattern: str, text: str, *, uppercase: bool) -> list[str]:
    """The numbers ``pattern`` finds in ``text`` (normalised first), in order, each once."""
    if not pattern or not text:
        return []
    try:
        regex = compiled(pattern)
    except re.error:
        return []
    numbers: dict[str, None] = {}
    for match in regex.finditer(normalise(text)[:MAX_TEXT_LENGTH]):
        number = _clean(match.group(0), uppercase=uppercase)
        if number and len(number) <= MAX_NUMBER_LENGTH:
            numbers[number] = None
    return list(numbers)
