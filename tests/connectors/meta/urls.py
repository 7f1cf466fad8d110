"""The project's URLs plus the Meta file links, until the project's urls.py includes them itself."""

from django.urls import include, path

from ruamchat.urls import urlpatterns as project_urlpatterns

urlpatterns = [*project_urlpatterns]
if not any(getattr(p, "namespace", None) == "meta" for p in project_urlpatterns):
    urlpatterns.append(path("meta/", include("ruamchat.connectors.meta.urls")))
