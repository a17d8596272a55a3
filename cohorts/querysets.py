"""Who may see which cohort: the one owner of the access rule (cohorts.middleware and other apps'
permission querysets build on ``Cohort.objects.for_user`` and ``for_member``)."""

from django.db import models


class CohortQuerySet(models.QuerySet):
    def _membership_model(self):
        # cohorts.models imports this module, so Membership (and its Role and Status) is reached
        # through the relation instead of an import.
        return self.model.memberships.rel.related_model

    def for_user(self, user):
        """Cohorts a user may manage: all for staff, else those they actively facilitate."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        Membership = self._membership_model()
        return self.filter(
            memberships__person__user=user,
            memberships__role=Membership.Role.FACILITATOR,
            memberships__status=Membership.Status.ACTIVE,
        )

    def for_member(self, user):
        """Cohorts a user may see: all for staff, else those they actively belong to in any role."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        Membership = self._membership_model()
        return self.filter(memberships__person__user=user, memberships__status=Membership.Status.ACTIVE)


class MembershipQuerySet(models.QuerySet):
    def participants(self):
        return self.filter(role=self.model.Role.PARTICIPANT)

    def facilitators(self):
        return self.filter(role=self.model.Role.FACILITATOR)

    def active(self):
        return self.filter(status=self.model.Status.ACTIVE)

    def beyond_participant_of(self, cohort_id):
        """Memberships other than as a participant of ``cohort_id`` (another role, another cohort): a
        person who has one may not have their e-mail changed by that cohort's facilitators
        (``cohorts.services.person_email_editable``)."""
        return self.exclude(cohort_id=cohort_id, role=self.model.Role.PARTICIPANT)

    def giving_access(self, user):
        """The memberships through which a user who is not staff sees cohorts (``CohortQuerySet.for_member``):
        their active ones, in any role."""
        if not user.is_authenticated:
            return self.none()
        return self.active().filter(person__user=user)
