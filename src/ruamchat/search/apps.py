from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "ruamchat.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from ruamchat.search import tasks  # noqa: F401  (registers the background jobs)
