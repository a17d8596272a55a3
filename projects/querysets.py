"""Permission-aware querysets of the projects app, built on cohorts' access rule
(``Cohort.objects.for_user`` and ``for_member``; cohort-level access itself is checked by
cohorts.middleware.CohortAccessMiddleware).

Who may do what:
- staff and active facilitators of a cohort: see and edit everything of that cohort;
- a set facilitator: edits the sets they facilitate and those sets' projects;
- an active participant in a set: edits their set's meetings, actions and projects;
- every other active member of the cohort: sees each set's name, members and projects, and no
  set's meetings, actions or reflections (``ActionLearningSetQuerySet.private_to``).
Withdrawn memberships give no rights at all.
"""

from django.db import models
from django.db.models import Q

from cohorts.models import Cohort, Membership


class ActionLearningSetQuerySet(models.QuerySet):
    def for_cohort(self, cohort):
        return self.filter(cohort=cohort)

    def private_to(self, user):
        """Sets whose meetings, actions and reflections the user may read.

        Action-learning sets work on the promise that what is said in the set stays in the set: its
        members, its set facilitator, the cohort's facilitators and staff. Everyone else in the
        cohort sees only the set's name, members and projects.
        """
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        active = Membership.Status.ACTIVE
        facilitated = self.filter(cohort__in=Cohort.objects.for_user(user)).values("pk")
        set_facilitated = self.filter(set_facilitator__person__user=user, set_facilitator__status=active).values("pk")
        member_of = self.filter(
            set_memberships__membership__person__user=user,
            set_memberships__membership__status=active,
        ).values("pk")
        return self.filter(Q(pk__in=facilitated) | Q(pk__in=set_facilitated) | Q(pk__in=member_of))

    def editable_by(self, user):
        """Sets whose meetings, actions, reflections and projects the user may change: the same
        people who may read the set's private work, no more and no fewer."""
        return self.private_to(user)


class ImprovementProjectQuerySet(models.QuerySet):
    def for_cohort(self, cohort):
        return self.filter(action_learning_set__cohort=cohort)

    def editable_by(self, user):
        # projects.models imports this module, so ActionLearningSet is reached through the relation.
        ActionLearningSet = self.model.action_learning_set.field.related_model
        return self.filter(action_learning_set__in=ActionLearningSet.objects.editable_by(user).values("pk"))


class MeasureQuerySet(models.QuerySet):
    def for_cohort(self, cohort):
        return self.filter(project__action_learning_set__cohort=cohort)


class PresentationQuerySet(models.QuerySet):
    def for_cohort(self, cohort):
        return self.filter(cohort=cohort)
