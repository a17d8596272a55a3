import datetime

import factory
from django.utils import timezone

from cohorts.tests.factories import CohortFactory, MembershipFactory
from modules.models import Attendance, Module


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
