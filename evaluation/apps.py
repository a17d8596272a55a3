from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Imported at the top: a signals module holds no models, so it is safe before the app registry is ready.
from cohorts.signals import person_erasing
from modules.signals import module_delivered


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = _("Evaluation")

    def ready(self):
        # The receivers call services, which need the models: imported once the registry is ready.
        # services registers the nudge's outbox builder (web processes and workers both need it).
        from . import erasure, receivers, services  # noqa: F401

        module_delivered.connect(
            receivers.evaluation_surveys_open_on_programme_delivered,
            dispatch_uid="evaluation.evaluation_surveys_open_on_programme_delivered",
        )
        person_erasing.connect(
            erasure.person_erase_evaluation_data, dispatch_uid="evaluation.person_erase_evaluation_data"
        )
