"""The home page's and the cohort page's reads (moved here from cohorts: they read modules too)."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from cohorts.models import Membership
from cohorts.tests.factories import CohortFactory, MembershipFactory, PersonFactory, UserFactory
from modules import selectors
from modules.models import Attendance, Module
from modules.tests.factories import AttendanceFactory, ModuleFactory

pytestmark = pytest.mark.django_db
LONDON = zoneinfo.ZoneInfo("Europe/London")


def module(cohort, number, delivered=False, title=None):
    starts_at = datetime.datetime(2026, 1, 12, 9, 30, tzinfo=LONDON) + datetime.timedelta(weeks=number)
    return ModuleFactory(
        cohort=cohort,
        number=number,
        title=title or f"Module {number}",
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=7),
        state=Module.State.DELIVERED if delivered else Module.State.PLANNED,
        delivered_at=timezone.now() if delivered else None,
    )


def test_cohort_list_for_user_annotates_progress_and_next_module(facilitator, cohort):
    module(cohort, 1, delivered=True)
    module(cohort, 2, delivered=True)
    module(cohort, 3, title="Coaching conversations")
    module(cohort, 4)
    MembershipFactory(cohort=cohort)
    MembershipFactory(cohort=cohort, status=Membership.Status.WITHDRAWN, withdrawn_on=datetime.date(2026, 2, 1))

    (row,) = selectors.cohort_list_for_user(user=facilitator)

    assert row.modules_delivered == 2
    assert row.next_module_number == 3
    assert row.next_module_title == "Coaching conversations"
    assert row.next_module_at.date() == datetime.date(2026, 2, 2)
    assert row.participants_active == 1
    assert [m.person.user for m in row.facilitator_memberships] == [facilitator]


def test_cohort_list_for_user_excludes_cohorts_not_facilitated(facilitator, cohort):
    CohortFactory()
    withdrawn_facilitator_cohort = CohortFactory()
    MembershipFactory(
        cohort=withdrawn_facilitator_cohort,
        person=facilitator.person,
        role=Membership.Role.FACILITATOR,
        status=Membership.Status.WITHDRAWN,
        withdrawn_on=datetime.date(2026, 1, 1),
    )

    assert list(selectors.cohort_list_for_user(user=facilitator)) == [cohort]


def test_cohort_list_for_user_gives_staff_every_cohort(staff_user):
    cohorts = {CohortFactory(), CohortFactory()}

    assert set(selectors.cohort_list_for_user(user=staff_user)) == cohorts


def test_cohort_list_for_member_gives_participant_cohorts_with_modules(cohort):
    user = UserFactory()
    person = PersonFactory(user=user)
    MembershipFactory(cohort=cohort, person=person)
    module(cohort, 2)
    module(cohort, 1)
    facilitated = CohortFactory()
    MembershipFactory(cohort=facilitated, person=person, role=Membership.Role.FACILITATOR)

    (row,) = selectors.cohort_list_for_member(user=user)

    assert row == cohort
    assert [m.number for m in row.module_list] == [1, 2]


def test_cohort_overview_counts_attendance_at_delivered_modules_only(cohort):
    first, second, third = module(cohort, 1, delivered=True), module(cohort, 2, delivered=True), module(cohort, 3)
    membership = MembershipFactory(cohort=cohort)
    AttendanceFactory(module=first, membership=membership, status=Attendance.Status.PRESENT)
    AttendanceFactory(module=second, membership=membership, status=Attendance.Status.ABSENT)
    AttendanceFactory(module=third, membership=membership, status=Attendance.Status.PRESENT)
    MembershipFactory(cohort=cohort, role=Membership.Role.FACILITATOR)

    overview = selectors.cohort_overview(cohort=cohort)

    (participant,) = overview.participants
    assert (participant.present_count, participant.absent_count, participant.apologies_count) == (1, 1, 0)
    assert overview.modules_delivered == 2
    assert overview.next_module == third
    assert len(overview.facilitators) == 1


def test_cohort_overview_counts_a_module_once_it_is_delivered(cohort):
    """The delivered modules are read in the same statement as the counts: delivering one counts its
    marks on the next read, and another cohort's delivered module counts for nothing here."""
    first, second = module(cohort, 1, delivered=True), module(cohort, 2)
    elsewhere = module(CohortFactory(), 1, delivered=True)
    membership = MembershipFactory(cohort=cohort)
    AttendanceFactory(module=first, membership=membership, status=Attendance.Status.APOLOGIES)
    AttendanceFactory(module=second, membership=membership, status=Attendance.Status.PRESENT)
    AttendanceFactory(module=elsewhere, membership=MembershipFactory(cohort=elsewhere.cohort))
    (before,) = selectors.cohort_overview(cohort=cohort).participants
    Module.objects.filter(pk=second.pk).update(state=Module.State.DELIVERED, delivered_at=timezone.now())

    (after,) = selectors.cohort_overview(cohort=cohort).participants

    assert (before.present_count, before.apologies_count, before.absent_count) == (0, 1, 0)
    assert (after.present_count, after.apologies_count, after.absent_count) == (1, 1, 0)


def test_cohort_overview_runs_two_queries_whatever_the_size(cohort, django_assert_num_queries):
    delivered = module(cohort, 1, delivered=True)
    for _ in range(40):
        AttendanceFactory(module=delivered, membership=MembershipFactory(cohort=cohort))

    with django_assert_num_queries(2):
        overview = selectors.cohort_overview(cohort=cohort)
        names = [m.person.full_name for m in overview.participants]
        # What the page shows of each person (the organisation is not shown, so not read).
        shown = [
            (m.person.email, m.person.job_title, m.person.team, m.person.profession) for m in overview.participants
        ]
    assert len(names) == len(shown) == 40
