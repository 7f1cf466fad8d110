from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetaConfig(AppConfig):
    name = "ruamchat.connectors.meta"
    label = "meta"
    verbose_name = _("Facebook Messenger and Instagram")

    def ready(self) -> None:
        from ruamchat.connectors import registry
        from ruamchat.connectors.meta.connector import MetaConnector

        registry.register(MetaConnector("messenger"))
        registry.register(MetaConnector("instagram"))
