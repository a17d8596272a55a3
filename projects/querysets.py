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
from django.db.models import Exists, OuterRef, Q

from cohorts.models import Membership


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
        return self.filter(self.inside(user))

    def inside(self, user, outer: str = ""):
        """``private_to`` as a condition on a set (reached from the queryset's rows through ``outer``,
        e.g. ``"action_learning_set__"``), for a signed-in user who is not staff: one of the user's
        active memberships facilitates the set's cohort (``Cohort.objects.for_user``), facilitates the
        set, or is in it. One EXISTS over the user's memberships, which PostgreSQL plans in about half
        the time of three IN subqueries and runs in about half (issue 14)."""
        SetMembership = self.model.set_memberships.rel.related_model
        in_set = SetMembership.objects.filter(
            membership=OuterRef("pk"), action_learning_set=OuterRef(OuterRef(f"{outer}pk"))
        )
        memberships = Membership.objects.filter(person__user=user, status=Membership.Status.ACTIVE).filter(
            Q(role=Membership.Role.FACILITATOR, cohort=OuterRef(f"{outer}cohort"))
            | Q(pk=OuterRef(f"{outer}set_facilitator"))
            | Exists(in_set)
        )
        return Exists(memberships)

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
        if not user.is_authenticated or user.is_staff:
            return self.filter(action_learning_set__in=ActionLearningSet.objects.editable_by(user).values("pk"))
        return self.filter(ActionLearningSet.objects.inside(user, outer="action_learning_set__"))


class MeasureQuerySet(models.QuerySet):
    def for_cohort(self, cohort):
        return self.filter(project__action_learning_set__cohort=cohort)


class PresentationQuerySet(models.QuerySet):
    def for_cohort(self, cohort):
        return self.filter(cohort=cohort)
