from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "ruamchat.connectors"
    label = "connectors"
    verbose_name = _("Channels")

    def ready(self) -> None:
        import ruamchat.connectors.tasks  # noqa: F401  (registers the jobs)
