from django.db import models
from django.db.models import Q
from django.utils import timezone


class QuestionSetQuerySet(models.QuerySet):
    def current(self):
        return self.filter(is_current=True)


class SurveyQuerySet(models.QuerySet):
    def for_cohort(self, cohort):
        return self.filter(module__cohort=cohort)

    def open(self):
        return self.filter(status=self.model.Status.OPEN)

    def accepting(self, now=None):
        """Open surveys inside their opening window."""
        now = now or timezone.now()
        return self.open().filter(opens_at__lte=now, closes_at__gt=now)

    def due_to_close(self, now=None):
        now = now or timezone.now()
        return self.open().filter(closes_at__lte=now)


class InvitationQuerySet(models.QuerySet):
    def for_survey(self, survey):
        return self.filter(survey=survey)

    def responded(self):
        return self.filter(responded_at__isnull=False)

    def not_responded(self):
        return self.filter(responded_at__isnull=True)

    def with_active_membership(self):
        return self.filter(membership__status="active")

    def by_token_hash(self, token_hash):
        """The invitation any of whose links has this hash (at most one: hashes are unique)."""
        return self.filter(links__token_hash=token_hash)

    def pending(self):
        """Rows the mailer still has to deliver."""
        return self.filter(Q(status=self.model.Status.QUEUED) | Q(status=self.model.Status.SENDING))


class ResponseQuerySet(models.QuerySet):
    def for_survey(self, survey):
        return self.filter(survey=survey)
