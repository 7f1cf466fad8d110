from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "ruamchat.sla"
    label = "sla"
    verbose_name = _("Service levels and business hours")

    def ready(self) -> None:
        import ruamchat.sla.tasks  # noqa: F401  (registers the jobs)
        from ruamchat.sla import signals

        signals.connect()
