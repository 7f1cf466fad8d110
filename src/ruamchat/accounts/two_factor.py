"""Two-factor sign-in with an authenticator app (TOTP, RFC 6238, pyotp): set up by scanning a QR code and
confirming one code; at sign-in, after the password, a six-digit code (each code good once) or one of ten
recovery codes. Administrators can be required to use it (SecurityPolicy)."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import pyotp
import segno
from django.contrib.auth.models import User
from django.db import transaction

from ruamchat.accounts.models import SecurityPolicy, TwoFactor
from ruamchat.accounts.selectors import profile_for
from ruamchat.core import secrets as sealed
from ruamchat.privacy.actions import record_access
from ruamchat.privacy.models import AuditRecord

ISSUER = "ruamchat"
RECOVERY_CODES = 10
#: codes one step (30 s) either side of now are accepted: phone clocks drift
VALID_WINDOW = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning(user: User, secret: str) -> dict[str, str]:
    """What the set-up page shows: the QR code (an SVG data URI, drawn here) and the key to type by hand."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=ISSUER)
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return {"qr": segno.make(uri, error="m").svg_data_uri(scale=5, border=2), "key": grouped}


def _step_of(secret: str, code: str, at: float) -> int | None:
    """The time step ``code`` belongs to, if it is a valid code near ``at``."""
    totp = pyotp.TOTP(secret)
    code = "".join(code.split())
    if not code.isdigit() or len(code) != totp.digits:
        return None
    now = int(at // totp.interval)
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _digest(code: str) -> str:
    return hashlib.sha256(("ruamchat-recovery:" + "".join(code.split()).lower()).encode()).hexdigest()


def enable(*, user: User, secret: str, code: str, request: Any = None) -> list[str] | None:
    """Turn two-factor sign-in on once ``code`` proves the app has ``secret``; returns the recovery codes (shown
    once), or None when the code is wrong."""
    step = _step_of(secret, code, time.time())
    if step is None:
        return None
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    with transaction.atomic():
        TwoFactor.objects.update_or_create(user=user, defaults={
            "secret_encrypted": sealed.encrypt({"totp": secret}), "last_step": step,
            "recovery_digests": [_digest(c) for c in codes]})
        record_access(actor=user, action=AuditRecord.Action.TWO_FACTOR, contact_id=None, request=request,
                      detail={"enabled": True})
    return codes


def disable(*, user: User, request: Any = None, actor: User | None = None) -> None:
    with transaction.atomic():
        if TwoFactor.objects.filter(user=user).delete()[0]:
            record_access(actor=actor or user, action=AuditRecord.Action.TWO_FACTOR, contact_id=None,
                          request=request, detail={"enabled": False, "user": user.get_username()})


def verify(*, user: User, code: str) -> bool:
    """A sign-in's second step: a current code not used before, or an unused recovery code (then spent)."""
    with transaction.atomic():
        found = TwoFactor.objects.select_for_update().filter(user=user).first()
        if found is None:
            return False
        secret = str(sealed.decrypt(found.secret_encrypted).get("totp", ""))
        step = _step_of(secret, code, time.time()) if secret else None
        if step is not None:
            if step <= found.last_step:
                return False  # this code (or an earlier one) was already used
            found.last_step = step
            found.save(update_fields=["last_step"])
            return True
        digest = _digest(code)
        if digest in found.recovery_digests:
            found.recovery_digests = [d for d in found.recovery_digests if d != digest]
            found.save(update_fields=["recovery_digests"])
            return True
    return False


def enabled_for(user: Any) -> bool:
    return bool(getattr(user, "pk", None)) and TwoFactor.objects.filter(user_id=user.pk).exists()


def recovery_codes_left(user: User) -> int:
    found = TwoFactor.objects.filter(user=user).first()
    return len(found.recovery_digests) if found else 0


def required_by_policy(user: Any) -> bool:
    """Whether the sign-in policy requires two-factor sign-in of this user (administrators, when switched on)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if not (user.is_superuser or profile_for(user).role == "admin"):
        return False
    policy = SecurityPolicy.objects.first()
    return bool(policy and policy.require_two_factor_for_admins)


def required_for(user: Any) -> bool:
    """Whether this user must set up two-factor sign-in before anything else."""
    return required_by_policy(user) and not enabled_for(user)
