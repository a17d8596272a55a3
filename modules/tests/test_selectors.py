import datetime

import pytest

from cohorts.tests.factories import MembershipFactory
from modules.selectors import (
    AttendanceFigures,
    attendance_figures_from_register,
    module_attendance_figures,
    module_page,
    module_register,
)
from modules.tests.factories import AttendanceFactory, modules_for_cohort

pytestmark = pytest.mark.django_db


def test_module_register_lists_active_participants_and_withdrawn_with_a_record(cohort):
    modules = modules_for_cohort(cohort)
    active = MembershipFactory(cohort=cohort, person__full_name="Amira Begum")
    recorded_then_left = MembershipFactory(
        cohort=cohort, person__full_name="Ben Carter", status="withdrawn", withdrawn_on=datetime.date(2026, 3, 1)
    )
    MembershipFactory(cohort=cohort, status="withdrawn", withdrawn_on=datetime.date(2026, 3, 1))
    MembershipFactory(cohort=cohort, role="facilitator")
    MembershipFactory()  # another cohort
    AttendanceFactory(module=modules[0], membership=recorded_then_left, status="present")
    AttendanceFactory(module=modules[1], membership=active, status="absent")

    register = module_register(module=modules[0])

    assert [(row.membership, row.status, row.is_active) for row in register] == [
        (active, None, True),
        (recorded_then_left, "present", False),
    ]


def test_module_page_counts_attendance_and_finds_neighbours(cohort):
    modules = modules_for_cohort(cohort)
    people = MembershipFactory.create_batch(4, cohort=cohort)
    for membership, status in zip(people, ["present", "present", "apologies"], strict=False):
        AttendanceFactory(module=modules[2], membership=membership, status=status)

    page = module_page(cohort=cohort, number=3)

    assert (page.previous, page.module, page.next) == (modules[1], modules[2], modules[3])
    assert (page.figures.present, page.figures.apologies, page.figures.absent) == (2, 1, 0)
    assert page.figures.not_recorded == 1
    assert module_page(cohort=cohort, number=7) is None
    assert module_page(cohort=cohort, number=6).next is None


def test_module_attendance_figures_counts_what_the_register_shows(cohort, django_assert_num_queries):
    modules = modules_for_cohort(cohort)
    present, apologies, absent, unmarked = MembershipFactory.create_batch(4, cohort=cohort)
    left_absent = MembershipFactory(cohort=cohort, status="withdrawn", withdrawn_on=datetime.date(2026, 3, 1))
    MembershipFactory(cohort=cohort, status="withdrawn", withdrawn_on=datetime.date(2026, 3, 1))
    facilitator = MembershipFactory(cohort=cohort, role="facilitator")
    for membership, status in [(present, "present"), (apologies, "apologies"), (absent, "absent")]:
        AttendanceFactory(module=modules[0], membership=membership, status=status)
    AttendanceFactory(module=modules[0], membership=left_absent, status="absent")
    AttendanceFactory(module=modules[0], membership=facilitator, status="present")  # not on the register
    AttendanceFactory(module=modules[1], membership=unmarked, status="present")  # another module
    AttendanceFactory(module=modules[1], membership=present, status="absent")
    other = MembershipFactory()  # another cohort
    AttendanceFactory(module=modules_for_cohort(other.cohort)[0], membership=other, status="present")

    with django_assert_num_queries(1):
        figures = module_attendance_figures(module=modules[0])

    assert figures == AttendanceFigures(present=1, apologies=1, absent=2, not_recorded=1)
    assert figures == attendance_figures_from_register(module_register(module=modules[0]))
    assert module_attendance_figures(module=modules[2]) == AttendanceFigures(not_recorded=4)
