from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmailConfig(AppConfig):
    name = "ruamchat.connectors.email"
    label = "mail"
    verbose_name = _("Email")

    def ready(self) -> None:
        import ruamchat.connectors.email.tasks  # noqa: F401  (registers the jobs)
        from ruamchat.connectors import registry
        from ruamchat.connectors.email.connector import EmailConnector
        from ruamchat.connectors.email.watcher import supervise
        from ruamchat.jobs.worker import add_service

        registry.register(EmailConnector())
        add_service("mailboxes", supervise)
