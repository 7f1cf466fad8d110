from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "ruamchat.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from ruamchat.reports import tasks  # noqa: F401  (registers the background jobs)
