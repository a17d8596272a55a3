from django.db import models


class CohortQuerySet(models.QuerySet):
    def for_user(self, user):
        """Cohorts a user may manage: all for staff, else those they actively facilitate."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        return self.filter(
            memberships__person__user=user,
            memberships__role="facilitator",
            memberships__status="active",
        )

    def for_member(self, user):
        """Cohorts a user belongs to in any role (participants included)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        return self.filter(memberships__person__user=user, memberships__status="active")


class MembershipQuerySet(models.QuerySet):
    def participants(self):
        return self.filter(role="participant")

    def facilitators(self):
        return self.filter(role="facilitator")

    def active(self):
        return self.filter(status="active")
