from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "ruamchat.surveys"
    label = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from ruamchat.surveys import tasks  # noqa: F401  (registers the background jobs)
