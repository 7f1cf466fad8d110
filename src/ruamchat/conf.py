"""Configuration from environment variables, with safe defaults.

Everything a deployment may change is read here once, so settings.py stays declarative and the
README can list every variable from one place.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from exc


def _list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def data_dir() -> Path:
    path = Path(os.environ.get("RUAMCHAT_DATA_DIR") or Path.cwd() / "ruamchat-data").expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secret_key(directory: Path) -> str:
    given = os.environ.get("RUAMCHAT_SECRET_KEY")
    if given:
        return given
    key_file = directory / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    # Written once and kept: sessions, tokens and encrypted channel secrets depend on it.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


@dataclass(frozen=True)
class Config:
    data_dir: Path
    database_url: str
    redis_url: str
    secret_key: str
    secrets_key: str
    debug: bool
    allowed_hosts: list[str]
    public_url: str
    time_zone: str
    language: str
    reopen_window_hours: int
    upload_max_bytes: int
    email_max_bytes: int
    run_worker_in_process: bool
    secure_cookies: bool
    db_pool_size: int
    job_lease_seconds: int
    session_idle_minutes: int
    session_max_hours: int
    smtp_url: str
    mail_from: str
    hsts_seconds: int


def load() -> Config:
    directory = data_dir()
    secret = _secret_key(directory)
    return Config(
        data_dir=directory,
        database_url=os.environ.get("RUAMCHAT_DATABASE_URL") or f"sqlite:///{directory / 'ruamchat.sqlite3'}",
        redis_url=os.environ.get("RUAMCHAT_REDIS_URL", ""),
        secret_key=secret,
        secrets_key=os.environ.get("RUAMCHAT_SECRETS_KEY", ""),
        debug=_bool("RUAMCHAT_DEBUG", False),
        allowed_hosts=_list("RUAMCHAT_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"]),
        public_url=os.environ.get("RUAMCHAT_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
        time_zone=os.environ.get("RUAMCHAT_TIME_ZONE", "Asia/Bangkok"),
        language=os.environ.get("RUAMCHAT_LANGUAGE", "th"),
        reopen_window_hours=_int("RUAMCHAT_REOPEN_WINDOW_HOURS", 72),
        upload_max_bytes=_int("RUAMCHAT_UPLOAD_MAX_BYTES", 20 * 1024 * 1024),
        email_max_bytes=_int("RUAMCHAT_EMAIL_MAX_BYTES", 40 * 1024 * 1024),
        run_worker_in_process=_bool("RUAMCHAT_WORKER_IN_PROCESS", True),
        secure_cookies=_bool("RUAMCHAT_SECURE_COOKIES", False),
        db_pool_size=_int("RUAMCHAT_DB_POOL_SIZE", 10),
        job_lease_seconds=max(_int("RUAMCHAT_JOB_LEASE_SECONDS", 60), 5),
        session_idle_minutes=max(_int("RUAMCHAT_SESSION_IDLE_MINUTES", 8 * 60), 5),
        session_max_hours=max(_int("RUAMCHAT_SESSION_MAX_HOURS", 7 * 24), 1),
        smtp_url=os.environ.get("RUAMCHAT_SMTP_URL", ""),
        mail_from=os.environ.get("RUAMCHAT_MAIL_FROM", ""),
        hsts_seconds=max(_int("RUAMCHAT_HSTS_SECONDS", 0), 0),
    )
