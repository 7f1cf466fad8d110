from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebsiteConfig(AppConfig):
    name = "ruamchat.connectors.website"
    label = "website"
    verbose_name = _("Website chat")

    def ready(self) -> None:
        from ruamchat.connectors import registry
        from ruamchat.connectors.website.connector import WebsiteConnector

        registry.register(WebsiteConnector())
