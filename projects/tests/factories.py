import datetime
import decimal

import factory

from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from projects.models import (
    ActionLearningSet,
    DataPoint,
    DriverNode,
    ImprovementProject,
    Measure,
    Presentation,
    ProjectPDSACycle,
    SetMembership,
)


class ActionLearningSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionLearningSet

    cohort = factory.SubFactory(CohortFactory)
    name = factory.Sequence(lambda n: f"Set {n}")


class SetMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SetMembership

    action_learning_set = factory.SubFactory(ActionLearningSetFactory)
    cohort = factory.SelfAttribute("action_learning_set.cohort")
    membership = factory.SubFactory(MembershipFactory, cohort=factory.SelfAttribute("..cohort"))


def participant_in_set(action_learning_set, **person_kwargs):
    """A signed-in-able participant placed in ``action_learning_set``; returns the user."""
    person_kwargs.setdefault("person__user", UserFactory())
    membership = MembershipFactory(cohort=action_learning_set.cohort, **person_kwargs)
    SetMembershipFactory(action_learning_set=action_learning_set, membership=membership)
    return membership.person.user


class ImprovementProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImprovementProject

    action_learning_set = factory.SubFactory(ActionLearningSetFactory)
    title = factory.Sequence(lambda n: f"Project {n}")
    aim = "Reduce missed appointments from 20% to 10% by March 2027"


class DriverNodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DriverNode

    project = factory.SubFactory(ImprovementProjectFactory)
    kind = DriverNode.Kind.PRIMARY
    text = factory.Sequence(lambda n: f"Driver {n}")


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measure

    project = factory.SubFactory(ImprovementProjectFactory)
    name = factory.Sequence(lambda n: f"Measure {n}")
    unit = "%"


class DataPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataPoint

    measure = factory.SubFactory(MeasureFactory)
    date = factory.Sequence(lambda n: datetime.date(2026, 1, 5) + datetime.timedelta(weeks=n))
    value = decimal.Decimal("10")


class ProjectPDSACycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectPDSACycle

    project = factory.SubFactory(ImprovementProjectFactory)
    title = factory.Sequence(lambda n: f"Test {n}")
    start_date = datetime.date(2026, 2, 2)


class PresentationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Presentation

    action_learning_set = factory.SubFactory(ActionLearningSetFactory)
    cohort = factory.SelfAttribute("action_learning_set.cohort")
    order = factory.Sequence(lambda n: n + 1)
    starts_at = datetime.time(10, 0)
    ends_at = datetime.time(10, 20)
    title = factory.Sequence(lambda n: f"Presentation {n}")
