"""Phone numbers as one comparable form (E.164), whatever way a customer or an agent typed them."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "TH"
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def phone_key(raw: str, region: str = DEFAULT_REGION) -> str:
    """"081-234-5678", "+66 81 234 5678", "๐๘๑ ๒๓๔ ๕๖๗๘" → "+66812345678"; "" when it is not a phone number."""
    text = (raw or "").translate(_THAI_DIGITS).strip()
    if not text or sum(ch.isdigit() for ch in text) < 6:
        return ""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
