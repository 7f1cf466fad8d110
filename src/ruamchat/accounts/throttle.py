"""Sign-in throttling: after too many failed sign-ins for one account, or from one address, further tries are
refused for a while with a message that says how long, whatever the password.

Counts live in the cache (Redis when there is more than one process, the process's memory on the embedded
default), in a window that starts at the first failure. A cache that is down lets sign-ins through (logged):
agents must be able to work; the passwords are still Argon2-hashed and the failures still audited."""

from __future__ import annotations

import hashlib
import logging
import math
import time

from django.core.cache import cache

logger = logging.getLogger("ruamchat.accounts")

#: the window failures are counted in, and how long a sign-in stays refused once a limit is reached
WINDOW_SECONDS = 15 * 60
#: failed sign-ins for one user name within the window (someone guessing one account's password)
PER_ACCOUNT = 5
#: failed sign-ins from one address within the window (someone trying many accounts; an office behind one
#: address has room for its people's typing mistakes)
PER_ADDRESS = 30
#: password-reset mails asked for from one address within the window
RESETS_PER_ADDRESS = 5


def _keys(kind: str, value: str) -> tuple[str, str]:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"signin:{kind}:{digest}:n", f"signin:{kind}:{digest}:since"


def _subjects(username: str, address: str | None) -> list[tuple[str, str, int]]:
    subjects = [("account", username, PER_ACCOUNT)] if username.strip() else []
    if address:
        subjects.append(("address", address, PER_ADDRESS))
    return subjects


def _seconds_left(kind: str, value: str, limit: int) -> int:
    count_key, since_key = _keys(kind, value)
    found = cache.get_many([count_key, since_key])
    if int(found.get(count_key) or 0) < limit:
        return 0
    since = float(found.get(since_key) or time.time())
    return max(math.ceil(since + WINDOW_SECONDS - time.time()), 1)


def _count(kind: str, value: str) -> None:
    count_key, since_key = _keys(kind, value)
    if cache.add(count_key, 1, timeout=WINDOW_SECONDS):
        cache.set(since_key, time.time(), timeout=WINDOW_SECONDS)
        return
    try:
        cache.incr(count_key)
    except ValueError:  # expired between add and incr: this failure starts a new window
        cache.set(count_key, 1, timeout=WINDOW_SECONDS)
        cache.set(since_key, time.time(), timeout=WINDOW_SECONDS)


def refused_for(username: str, address: str | None) -> int:
    """Seconds until a sign-in as ``username`` from ``address`` is tried again (0: go ahead)."""
    try:
        return max((_seconds_left(kind, value, limit) for kind, value, limit in _subjects(username, address)),
                   default=0)
    except Exception:
        logger.warning("sign-in throttle unavailable (is the cache reachable?); letting the sign-in through",
                       exc_info=True)
        return 0


def failed(username: str, address: str | None) -> None:
    try:
        for kind, value, _limit in _subjects(username, address):
            _count(kind, value)
    except Exception:
        logger.warning("could not count a failed sign-in (is the cache reachable?)", exc_info=True)


def succeeded(username: str) -> None:
    """A right password clears its account's count (not the address's: one success must not reset a spray)."""
    try:
        cache.delete_many(list(_keys("account", username)))
    except Exception:
        logger.warning("could not clear a sign-in count (is the cache reachable?)", exc_info=True)


def reset_mail_refused(address: str | None) -> bool:
    """Counts a password-reset request from ``address``; True when it is one too many."""
    if not address:
        return False
    try:
        if _seconds_left("reset", address, RESETS_PER_ADDRESS):
            return True
        _count("reset", address)
    except Exception:
        logger.warning("password-reset throttle unavailable (is the cache reachable?)", exc_info=True)
    return False
