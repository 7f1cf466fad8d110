"""URLs of the minimal django-helpdesk project (see hd_settings.py): the admin and helpdesk under /helpdesk/."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("helpdesk/", include("helpdesk.urls")),
]
