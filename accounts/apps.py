from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # Registers the sign-in-link mail with common's outbox, in web processes and workers alike.
        from . import mail  # noqa: F401
