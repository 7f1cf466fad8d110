"""Django settings for ruamchat. Every deployment knob is an environment variable (see conf.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

from ruamchat import conf

CONFIG = conf.load()
BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = CONFIG.allowed_hosts
RUAMCHAT_PUBLIC_URL = CONFIG.public_url
CSRF_TRUSTED_ORIGINS = [CONFIG.public_url]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "csp",
    "ruamchat.core",
    "ruamchat.web",
    "ruamchat.accounts",
    "ruamchat.contacts",
    "ruamchat.connectors",
    "ruamchat.connectors.website",
    "ruamchat.connectors.line",
    "ruamchat.connectors.meta",
    "ruamchat.connectors.email",
    "ruamchat.inbox",
    "ruamchat.routing",
    "ruamchat.triage",
    "ruamchat.sla",
    "ruamchat.kb",
    "ruamchat.bot",
    "ruamchat.surveys",
    "ruamchat.reports",
    "ruamchat.orders",
    "ruamchat.privacy",
    "ruamchat.search",
    "ruamchat.jobs",
    "ruamchat.realtime",
    "ruamchat.api",
    "ruamchat.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ruamchat.web.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "ruamchat.accounts.sessions.SessionGuardMiddleware",
    "ruamchat.privacy.actions.AuditAddressMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "ruamchat.urls"
ASGI_APPLICATION = "ruamchat.asgi.application"
WSGI_APPLICATION = "ruamchat.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "ruamchat.web.context_processors.ruamchat",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(CONFIG.database_url, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the in-process worker and web requests read while one writes; IMMEDIATE makes a
    # write transaction take the lock up front instead of failing half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so a live server thread in the browser tests shares the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(CONFIG.data_dir / "test.sqlite3")}
else:
    # A process-wide connection pool (psycopg_pool): safe under ASGI, where persistent per-thread
    # connections are not, and it saves a PostgreSQL connection set-up on every request.
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        # a short wait for a connection: with PostgreSQL away, a webhook is answered 503 within seconds
        # (providers give up on slow answers), not after a long queue
        "pool": {"min_size": 1, "max_size": CONFIG.db_pool_size, "timeout": 4},
    }
    # Pooled connections are not checked before use (CONN_HEALTH_CHECKS): the check is a round trip on every
    # request and job, about a fifth of a webhook's time. After PostgreSQL restarts, each old connection fails
    # once (a 503 the provider retries, a job tried again) and the pool replaces it.

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite ignores INCLUDE columns of covering indexes (PostgreSQL uses them); that is fine.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

CHANNEL_LAYERS: dict[str, Any]
if CONFIG.redis_url:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s socket timeout by default, the same as channels_redis' blocking
                # read: every quiet socket would die with "Timeout reading" (django/channels_redis#422). A short
                # connect timeout keeps a publish from waiting long for a Redis that is away.
                "hosts": [{"address": CONFIG.redis_url, "socket_timeout": 15, "socket_connect_timeout": 2}],
                "capacity": 1500,
                "expiry": 30,
                "prefix": os.environ.get("RUAMCHAT_CHANNEL_PREFIX", "ruamchat"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The cache holds the rate limits (survey pages): shared through Redis when there is more than one process,
# in the process's memory on the embedded default (one process).
CACHES: dict[str, Any] = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CONFIG.redis_url,
        "KEY_PREFIX": os.environ.get("RUAMCHAT_CHANNEL_PREFIX", "ruamchat"),
        # a Redis that is down or unreachable costs a cache call about two seconds at most
        "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
    } if CONFIG.redis_url else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Argon2id for every new or changed password; a password stored with an older hasher is re-hashed with Argon2 at
# its next successful sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "inbox:home"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = CONFIG.language
LANGUAGES = [("th", _("Thai")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = CONFIG.time_zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = CONFIG.data_dir / "static"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = CONFIG.data_dir / "media"

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CONFIG.secure_cookies
# a session ends after this long in any case (accounts.sessions also ends one left idle)
SESSION_COOKIE_AGE = CONFIG.session_max_hours * 3600
CSRF_COOKIE_SECURE = CONFIG.secure_cookies
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = CONFIG.secure_cookies
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# HSTS only when asked for: a browser remembers it for this long, so it must not be sent before TLS works
SECURE_HSTS_SECONDS = CONFIG.hsts_seconds
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
X_FRAME_OPTIONS = "DENY"  # every page but the website chat's own frame (connectors/website/views.py)

# Content-Security-Policy (django-csp): scripts only from our own static files, never inline; no plugins; no
# framing but by ourselves. Inline style attributes stay allowed (the charts and templates set widths).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", "https:"],
        "media-src": ["'self'", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", "ws:", "wss:"] if not CONFIG.secure_cookies else ["'self'", "wss:"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    },
}

# Mail ruamchat sends as itself (password resets): RUAMCHAT_SMTP_URL = smtp://host:25, smtp+starttls://user:pass@
# host:587 or smtps://user:pass@host:465. Without it, password reset by email is not offered.
PASSWORD_RESET_BY_EMAIL = bool(CONFIG.smtp_url)
DEFAULT_FROM_EMAIL = CONFIG.mail_from or f"ruamchat <no-reply@{CONFIG.allowed_hosts[0].strip('[]') or 'localhost'}>"
if CONFIG.smtp_url:
    from urllib.parse import unquote, urlsplit

    _smtp = urlsplit(CONFIG.smtp_url)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _smtp.hostname or "localhost"
    EMAIL_USE_SSL = _smtp.scheme == "smtps"
    EMAIL_USE_TLS = _smtp.scheme == "smtp+starttls"
    EMAIL_PORT = _smtp.port or (465 if EMAIL_USE_SSL else 587 if EMAIL_USE_TLS else 25)
    EMAIL_HOST_USER = unquote(_smtp.username or "")
    EMAIL_HOST_PASSWORD = unquote(_smtp.password or "")
    EMAIL_TIMEOUT = 20
else:
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
PASSWORD_RESET_TIMEOUT = 3600  # a reset link works for an hour

RUAMCHAT: dict[str, Any] = {
    "REOPEN_WINDOW_HOURS": CONFIG.reopen_window_hours,
    "SESSION_IDLE_MINUTES": CONFIG.session_idle_minutes,
    "UPLOAD_MAX_BYTES": CONFIG.upload_max_bytes,
    "EMAIL_MAX_BYTES": CONFIG.email_max_bytes,
    "UPLOAD_CONTENT_TYPES": [
        "image/jpeg", "image/png", "image/gif", "image/webp",
        "application/pdf", "text/plain", "text/csv",
        "application/zip",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "video/mp4", "audio/mpeg", "audio/mp4", "audio/ogg",
    ],
    "WIDGET_MESSAGE_MAX_CHARS": 5000,
    "SECRETS_KEY": CONFIG.secrets_key,
    "WORKER_IN_PROCESS": CONFIG.run_worker_in_process,
    # how long a worker holds a job without renewing it; a killed worker's jobs are taken over after this
    "JOB_LEASE_SECONDS": CONFIG.job_lease_seconds,
}

# The LINE Messaging API hosts: settings so tests and staging can point them at a local server.
# IPs, CIDRs and host names outbound HTTP may reach although private or local (core/outbound.py: SSRF guard)
RUAMCHAT_OUTBOUND_ALLOW = os.environ.get("RUAMCHAT_OUTBOUND_ALLOW", "")
RUAMCHAT_LINE_API_URL = os.environ.get("RUAMCHAT_LINE_API_URL") or "https://api.line.me"
RUAMCHAT_LINE_DATA_URL = os.environ.get("RUAMCHAT_LINE_DATA_URL") or "https://api-data.line.me"

# The Meta Graph API (Messenger and Instagram): the host is a setting so tests can point it at a local server.
RUAMCHAT_META_GRAPH_URL = os.environ.get("RUAMCHAT_META_GRAPH_URL") or "https://graph.facebook.com"
RUAMCHAT_META_GRAPH_VERSION = os.environ.get("RUAMCHAT_META_GRAPH_VERSION") or "v21.0"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"ruamchat": {"level": "INFO"}},
}
