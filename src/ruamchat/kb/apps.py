from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KbConfig(AppConfig):
    name = "ruamchat.kb"
    label = "kb"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from ruamchat.kb import tasks  # noqa: F401  (registers the background jobs)
