import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from cohorts.models import Cohort, Membership, ModuleOutline, Person
from cohorts.tests.factories import (
    CohortFactory,
    MembershipFactory,
    ModuleOutlineFactory,
    PersonFactory,
    ProgrammeFactory,
)
from modules.models import Attendance, Module
from modules.tests.factories import AttendanceFactory, ModuleFactory

pytestmark = pytest.mark.django_db


def assert_rejected(create):
    """The database itself refuses the row (bypassing model validation)."""
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_person_email_is_unique_case_insensitively_in_the_database():
    PersonFactory(email="sam@example.org")

    # bulk_create skips save(), which would lower-case the address: the constraint alone must refuse it.
    assert_rejected(lambda: Person.objects.bulk_create([Person(full_name="Sam Two", email="SAM@Example.org")]))


def test_person_save_stores_email_lower_case():
    person = PersonFactory(email="  Mixed.Case@Example.ORG ")

    assert person.email == "mixed.case@example.org"


def test_person_get_profession_display_gives_the_label_in_the_active_language():
    person = Person(profession=Person.Profession.PSYCHOLOGY)
    for profession in Person.Profession:
        person.profession = profession.value
        assert person.get_profession_display() == str(profession.label)
        assert type(person.get_profession_display()) is str
    with translation.override("en"):
        person.profession = Person.Profession.MEDICINE
        assert person.get_profession_display() == "Medicine / psychiatry"


def test_person_get_profession_display_of_an_unknown_value_is_the_value():
    assert Person(profession="astronaut").get_profession_display() == "astronaut"


def test_membership_is_unique_per_cohort():
    membership = MembershipFactory()

    assert_rejected(lambda: Membership.objects.create(cohort=membership.cohort, person=membership.person))


def test_same_person_may_join_two_cohorts():
    membership = MembershipFactory()

    other = Membership.objects.create(cohort=CohortFactory(), person=membership.person)

    assert other.pk != membership.pk


def test_withdrawn_membership_needs_a_date():
    membership = MembershipFactory()

    assert_rejected(lambda: Membership.objects.filter(pk=membership.pk).update(status="withdrawn"))


def test_active_membership_cannot_have_a_withdrawal_date():
    membership = MembershipFactory()

    assert_rejected(lambda: Membership.objects.filter(pk=membership.pk).update(withdrawn_on=datetime.date(2026, 1, 1)))


def test_cohort_must_end_after_it_starts():
    assert_rejected(lambda: CohortFactory(start_date=datetime.date(2026, 3, 1), end_date=datetime.date(2026, 2, 1)))


def test_cohort_may_end_on_its_start_day():
    cohort = CohortFactory(start_date=datetime.date(2026, 3, 1), end_date=datetime.date(2026, 3, 1))

    assert cohort.end_date == cohort.start_date


def test_cohort_status_must_be_known():
    cohort = CohortFactory()

    assert_rejected(lambda: Cohort.objects.filter(pk=cohort.pk).update(status="cancelled"))


@pytest.mark.parametrize("number", [0, 7])
def test_module_number_is_1_to_6(number):
    cohort = CohortFactory()

    assert_rejected(lambda: ModuleFactory(cohort=cohort, number=number))


def test_module_number_is_unique_per_cohort():
    module = ModuleFactory(number=2)

    assert_rejected(lambda: ModuleFactory(cohort=module.cohort, number=2))


def test_module_must_end_after_it_starts():
    now = timezone.now()

    assert_rejected(lambda: ModuleFactory(starts_at=now, ends_at=now))


def test_delivered_module_needs_a_delivery_time():
    module = ModuleFactory()

    assert_rejected(lambda: Module.objects.filter(pk=module.pk).update(state="delivered"))


def test_attendance_is_unique_per_module_and_membership():
    attendance = AttendanceFactory()

    assert_rejected(
        lambda: Attendance.objects.create(
            module=attendance.module, membership=attendance.membership, status=Attendance.Status.ABSENT
        )
    )


def test_attendance_status_must_be_known():
    attendance = AttendanceFactory()

    assert_rejected(lambda: Attendance.objects.filter(pk=attendance.pk).update(status="late"))


def test_outline_number_is_unique_per_programme():
    programme = ProgrammeFactory()
    ModuleOutlineFactory(programme=programme, number=1)

    assert_rejected(lambda: ModuleOutline.objects.create(programme=programme, number=1, title="Again"))


def test_membership_is_active_property():
    membership = MembershipFactory(status=Membership.Status.WITHDRAWN, withdrawn_on=datetime.date(2026, 1, 1))

    assert membership.is_active is False
