from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "ruamchat.inbox"
    label = "inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        import ruamchat.inbox.tasks  # noqa: F401  (registers the jobs)
