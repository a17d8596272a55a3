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
        from django.db.models.signals import post_delete, post_save

        from . import erasure, receivers, structure
        from .models import Choice, Question

        module_delivered.connect(
            receivers.survey_open_on_module_delivered, dispatch_uid="surveys.survey_open_on_module_delivered"
        )
        person_erasing.connect(erasure.person_erase_survey_data, dispatch_uid="surveys.person_erase_survey_data")
        # A question set's structure is cached per version stamp (surveys.structure): every saved or
        # deleted question or choice moves its set's stamp on, whichever path made the change.
        for signal in (post_save, post_delete):
            signal.connect(structure.question_saved_or_deleted, sender=Question, dispatch_uid="surveys.structure.q")
            signal.connect(structure.choice_saved_or_deleted, sender=Choice, dispatch_uid="surveys.structure.c")
