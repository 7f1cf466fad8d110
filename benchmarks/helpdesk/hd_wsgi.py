"""The WSGI application gunicorn serves (``gunicorn hd_wsgi:application``); see hd_settings.py."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hd_settings")
application = get_wsgi_application()
