from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "ruamchat.routing"
    label = "routing"
    verbose_name = _("Routing and assignment")

    def ready(self) -> None:
        import ruamchat.routing.tasks  # noqa: F401  (registers the jobs)
