from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Imported at the top: a signals module holds no models, so it is safe before the app registry is ready.
from cohorts.signals import person_erasing


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Impact reports")

    def ready(self):
        # The receiver calls a service, which needs the models: imported once the registry is ready.
        from . import receivers

        person_erasing.connect(
            receivers.report_quotes_remove_on_erasure, dispatch_uid="reports.quotes_remove_on_erasure"
        )
