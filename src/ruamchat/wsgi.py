"""WSGI entry point, for serving plain HTTP from WSGI workers in the scaled set-up."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ruamchat.settings")
application = get_wsgi_application()
