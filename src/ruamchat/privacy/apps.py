from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "ruamchat.privacy"
    label = "privacy"
    verbose_name = _("Personal data (PDPA)")

    def ready(self) -> None:
        from ruamchat.privacy import (
            receivers,  # noqa: F401  (changes made in the admin go to the audit log)
            tasks,  # noqa: F401  (registers the background jobs)
        )
