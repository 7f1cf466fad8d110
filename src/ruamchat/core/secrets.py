"""Channel secrets encrypted at rest (Fernet), with a key from the environment.

RUAMCHAT_SECRETS_KEY is used when set; otherwise a key is derived from the Django secret key, which
the embedded set-up keeps in its data directory. Losing the key means re-entering channel secrets,
never losing conversations.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    material = str(settings.RUAMCHAT["SECRETS_KEY"] or settings.SECRET_KEY)
    key = base64.urlsafe_b64encode(hashlib.sha256(("ruamchat-secrets:" + material).encode()).digest())
    return Fernet(key)


def encrypt(values: dict[str, Any]) -> str:
    if not values:
        return ""
    return _fernet().encrypt(json.dumps(values).encode()).decode()


def decrypt(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        data = json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise SecretsUnreadable("channel secrets cannot be decrypted with the configured key") from exc
    return data if isinstance(data, dict) else {}


class SecretsUnreadable(Exception):
    pass


def mask(value: str) -> str:
    """Show just enough of a secret to recognise it: the last four characters."""
    if not value:
        return ""
    return "•" * 8 + value[-4:] if len(value) > 8 else "•" * len(value)
