from django.db import models


class ModuleQuerySet(models.QuerySet):
    def with_survey(self):
        """Modules followed by a survey (``Module.SURVEY_NUMBERS``)."""
        return self.filter(number__in=self.model.SURVEY_NUMBERS)
