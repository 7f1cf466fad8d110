from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BotConfig(AppConfig):
    name = "ruamchat.bot"
    label = "bot"
    verbose_name = _("Chatbot")

    def ready(self) -> None:
        from ruamchat.bot import tasks  # noqa: F401  (registers the background jobs)
