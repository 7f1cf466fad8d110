from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LineConfig(AppConfig):
    name = "ruamchat.connectors.line"
    label = "line"
    verbose_name = _("LINE Official Account")

    def ready(self) -> None:
        from ruamchat.connectors import registry
        from ruamchat.connectors.line.connector import LineConnector

        registry.register(LineConnector())
