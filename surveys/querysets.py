from django.db import models
from django.db.models import Q
from django.utils import timezone

from cohorts.models import Cohort, Membership
from modules.models import Attendance


def survey_invitees(*, cohort: Cohort, module_id: int | None = None):
    """Who a survey invites: the cohort's active participants; for a module survey of a cohort that
    surveys only those present, the participants present at the module. The one place this rule
    lives: opening a survey and the "open it now" confirmation both use it."""
    participants = Membership.objects.filter(
        cohort=cohort, role=Membership.Role.PARTICIPANT, status=Membership.Status.ACTIVE
    )
    if module_id is not None and cohort.survey_audience == Cohort.SurveyAudience.PRESENT_ONLY:
        participants = participants.filter(
            attendances__module_id=module_id, attendances__status=Attendance.Status.PRESENT
        )
    return participants


class QuestionSetQuerySet(models.QuerySet):
    """Who owns a question set decides who sees and who changes it; this is the one place that says so."""

    def current(self):
        return self.filter(is_current=True)

    def library(self):
        return self.filter(programme__isnull=True, cohort__isnull=True)

    def visible_to_cohort(self, cohort):
        """Sets a cohort's pages may show or use: the library, its programme's and its own. Never
        another cohort's, which may hold that cohort's private choices."""
        return self.filter(
            Q(programme__isnull=True, cohort__isnull=True) | Q(programme_id=cohort.programme_id) | Q(cohort=cohort)
        )

    def editable_by(self, user, cohort=None):
        """Sets ``user`` may change in place, from ``cohort``'s pages (or, without a cohort, the admin).

        Staff: every set (from a cohort's pages, those the cohort sees). An active facilitator of the
        cohort: the cohort's own sets only; editing a programme's or library set from her cohort's
        pages gives her cohort a copy instead (services.question_sets). Anyone else: nothing.
        """
        if not user.is_authenticated:
            return self.none()
        if cohort is None:
            return self if user.is_staff else self.none()
        visible = self.visible_to_cohort(cohort)
        if user.is_staff:
            return visible
        return visible.filter(cohort=cohort, cohort__in=Cohort.objects.for_user(user))


class SurveyQuerySet(models.QuerySet):
    def for_cohort(self, cohort):
        return self.filter(cohort=cohort)

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
    def not_responded(self):
        return self.filter(responded_at__isnull=True)

    def with_active_membership(self):
        """Invitations of people still taking part (withdrawn participants get no mail)."""
        return self.filter(membership__status=Membership.Status.ACTIVE)

    def by_token_hash(self, token_hash):
        """The invitation any of whose links has this hash (at most one: hashes are unique)."""
        return self.filter(links__token_hash=token_hash)
