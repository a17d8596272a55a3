from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo loader (``manage.py load_demo``): above every other app, it may use them all."""

    name = "demo"
    verbose_name = _("Demo")
