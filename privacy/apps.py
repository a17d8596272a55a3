from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Subject access, erasure and retention: the pages and jobs that read or touch every app's data
    about a person, so the app sits at the top of the layers (below the demo loader)."""

    name = "privacy"
    verbose_name = _("Privacy")
