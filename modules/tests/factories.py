import datetime
import zoneinfo

import factory
from django.utils import timezone

from cohorts.models import Person
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


# A cohort's six modules four weeks apart from Monday 12 January 2026, 09:30 London time, the first
# ``delivered`` of them delivered; and participants present at every delivered module.
COHORT_START = datetime.datetime(2026, 1, 12, 9, 30, tzinfo=zoneinfo.ZoneInfo("Europe/London"))


def make_modules(cohort, delivered=3):
    start = COHORT_START
    modules = []
    for number in range(1, 7):
        is_delivered = number <= delivered
        modules.append(
            ModuleFactory(
                cohort=cohort,
                number=number,
                title=f"Topic {number}",
                starts_at=start + datetime.timedelta(weeks=4 * (number - 1)),
                ends_at=start + datetime.timedelta(weeks=4 * (number - 1), hours=7),
                state=Module.State.DELIVERED if is_delivered else Module.State.PLANNED,
                delivered_at=timezone.now() if is_delivered else None,
            )
        )
    return modules


def add_participants(cohort, modules, count):
    professions = list(Person.Profession.values)
    delivered = [m for m in modules if m.is_delivered]
    for index in range(count):
        membership = MembershipFactory(cohort=cohort, person__profession=professions[index % len(professions)])
        for module in delivered:
            AttendanceFactory(module=module, membership=membership, status=Attendance.Status.PRESENT)
