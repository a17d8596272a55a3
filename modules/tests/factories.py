import datetime

import factory
from django.utils import timezone

from cohorts.tests.factories import CohortFactory, MembershipFactory
from modules.models import ActItem, Attendance, Module, PDSACycle


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    cohort = factory.SubFactory(CohortFactory)
    number = 1
    title = factory.LazyAttribute(lambda m: f"Module {m.number}")
    starts_at = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0))
    ends_at = factory.LazyAttribute(lambda m: m.starts_at + datetime.timedelta(hours=7))


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    module = factory.SubFactory(ModuleFactory)
    membership = factory.SubFactory(MembershipFactory, cohort=factory.SelfAttribute("..module.cohort"))
    status = Attendance.Status.PRESENT


class PDSACycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PDSACycle

    module = factory.SubFactory(ModuleFactory)


class ActItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActItem

    cycle = factory.SubFactory(PDSACycleFactory)
    text = factory.Sequence(lambda n: f"Change {n}")


def modules_for_cohort(cohort, *, first_starts_at=None, weeks_apart=4):
    """The six modules of a cohort, four weeks apart from ``first_starts_at`` (default: 12 weeks ago)."""
    start = first_starts_at or timezone.now().replace(microsecond=0) - datetime.timedelta(weeks=12)
    return [
        ModuleFactory(
            cohort=cohort,
            number=number,
            starts_at=start + datetime.timedelta(weeks=weeks_apart * (number - 1)),
            is_celebration=number == 6,
        )
        for number in range(1, 7)
    ]
