"""Django settings of the minimal project that serves django-helpdesk for benchmarks/helpdesk_compare.py.

Run only with the helpdesk virtual environment's Python (never ruamchat's), with this folder on PYTHONPATH and
DJANGO_SETTINGS_MODULE=hd_settings. Everything that varies comes from the environment:
HDBENCH_DATABASE_URL (postgres://user[:password]@host:port/name), HDBENCH_DATA_DIR (media, static),
HDBENCH_SECRET_KEY.

The apps and settings are the ones django-helpdesk's installation notes ask for (admin, auth, contenttypes,
sessions, sites, humanize, messages, staticfiles, rest_framework, helpdesk), with teams mode off (no
pinax-teams) and its REST API on (HELPDESK_API_ENABLED, the name in the installed helpdesk/settings.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

DATA_DIR = Path(os.environ.get("HDBENCH_DATA_DIR", "/tmp/helpdesk-bench"))
SECRET_KEY = os.environ.get("HDBENCH_SECRET_KEY", "helpdesk-benchmark-only-not-a-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "helpdesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hd_urls"
WSGI_APPLICATION = "hd_wsgi.application"

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
            ],
        },
    },
]


def _database(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 0,  # as ruamchat: a connection per request
    }


DATABASES = {"default": _database(os.environ.get("HDBENCH_DATABASE_URL", "postgres://localhost/bench_helpdesk"))}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

SITE_ID = 1
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = str(DATA_DIR / "static")
MEDIA_URL = "/media/"
MEDIA_ROOT = str(DATA_DIR / "media")

LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"

# Mail is rendered (helpdesk builds its "new ticket" mails from its templates) but not sent.
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.com"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}

HELPDESK_TEAMS_MODE_ENABLED = False
HELPDESK_API_ENABLED = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
