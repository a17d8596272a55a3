from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Imported at the top: a signals module holds no models, so it is safe before the app registry is ready.
from cohorts.signals import person_erasing
from modules.signals import module_delivered


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self):
        # The receivers call services, which need the models: imported once the registry is ready.
        from . import erasure, receivers

        module_delivered.connect(
            receivers.survey_open_on_module_delivered, dispatch_uid="surveys.survey_open_on_module_delivered"
        )
        person_erasing.connect(erasure.person_erase_survey_data, dispatch_uid="surveys.person_erase_survey_data")
