"""The module and cohort pages' reads, statements compiled once per process (common.compiled), give
what the querysets they replace gave: the same rows, the same columns, the same related objects loaded."""

import datetime

import pytest
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from cohorts.models import Membership
from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from common.compiled import attnames
from modules import selectors
from modules.models import Attendance, Module
from modules.tests.factories import AttendanceFactory, ModuleFactory, PDSACycleFactory

pytestmark = pytest.mark.django_db


def _columns(obj, names):
    return {name: getattr(obj, name) for name in names}


@pytest.fixture
def six(cohort):
    start = timezone.now().replace(microsecond=0)
    modules = [
        ModuleFactory(
            cohort=cohort,
            number=n,
            starts_at=start + datetime.timedelta(weeks=n),
            state=Module.State.DELIVERED if n < 3 else Module.State.PLANNED,
            delivered_at=start if n < 3 else None,
        )
        for n in range(1, 7)
    ]
    PDSACycleFactory(module=modules[0], plan_intent="Try it", updated_by=UserFactory())
    PDSACycleFactory(module=modules[1], plan_intent="Again", updated_by=None)
    ModuleFactory(cohort=CohortFactory(), number=1)  # another cohort's
    return modules


def test_module_list_for_cohort_is_the_select_related_queryset(cohort, six, django_assert_num_queries):
    expected = list(Module.objects.filter(cohort=cohort).select_related("pdsa_cycle__updated_by").order_by("number"))

    with django_assert_num_queries(1):
        modules = selectors.module_list_for_cohort(cohort=cohort)
        cycles = [getattr(m, "pdsa_cycle", None) for m in modules]
        users = [c.updated_by if c else None for c in cycles]
        back = [c.module for c in cycles if c]

    assert [_columns(m, attnames(Module)) for m in modules] == [_columns(m, attnames(Module)) for m in expected]
    assert [c and c.plan_intent for c in cycles] == ["Try it", "Again", None, None, None, None]
    assert [c and c.pk for c in cycles] == [getattr(getattr(m, "pdsa_cycle", None), "pk", None) for m in expected]
    assert users[0] == expected[0].pdsa_cycle.updated_by
    assert users[0].username == expected[0].pdsa_cycle.updated_by.username
    assert users[1] is None
    assert back == modules[:2]


def test_module_register_is_the_annotated_queryset(cohort, six):
    module = six[0]
    people = [MembershipFactory(cohort=cohort) for _ in range(4)]
    AttendanceFactory(module=module, membership=people[0], status=Attendance.Status.ABSENT)
    AttendanceFactory(module=six[1], membership=people[1], status=Attendance.Status.PRESENT)  # another module
    marked_gone = MembershipFactory(
        cohort=cohort, status=Membership.Status.WITHDRAWN, withdrawn_on=datetime.date(2026, 2, 1)
    )
    AttendanceFactory(module=module, membership=marked_gone, status=Attendance.Status.APOLOGIES)
    MembershipFactory(cohort=cohort, status=Membership.Status.WITHDRAWN, withdrawn_on=datetime.date(2026, 2, 1))
    MembershipFactory(cohort=cohort, role=Membership.Role.FACILITATOR)
    MembershipFactory(cohort=CohortFactory())

    status = Attendance.objects.filter(module=module, membership=OuterRef("pk")).order_by().values("status")[:1]
    expected = list(
        Membership.objects.participants()
        .filter(cohort=cohort)
        .select_related("person")
        .annotate(attendance_status=Subquery(status))
        .filter(Q(status=Membership.Status.ACTIVE) | Q(attendance_status__isnull=False))
        .order_by("person__full_name", "pk")
    )

    register = selectors.module_register(module=module)

    assert len(register) == 5
    assert [(r.membership.pk, r.status) for r in register] == [(m.pk, m.attendance_status) for m in expected]
    shown = ("full_name", "job_title", "profession")
    assert [
        (_columns(r.membership.person, shown), r.membership.status, r.membership.withdrawn_on) for r in register
    ] == [(_columns(m.person, shown), m.status, m.withdrawn_on) for m in expected]
    assert [r.membership.person_id for r in register] == [m.person_id for m in expected]


def test_cohort_overview_is_the_annotated_queryset(cohort, six):
    for n, membership in enumerate([MembershipFactory(cohort=cohort) for _ in range(3)]):
        for module in six[: n + 1]:
            AttendanceFactory(module=module, membership=membership, status=Attendance.Status.PRESENT)
        AttendanceFactory(module=six[4], membership=membership, status=Attendance.Status.ABSENT)  # planned
    MembershipFactory(cohort=cohort, status=Membership.Status.WITHDRAWN, withdrawn_on=datetime.date(2026, 2, 1))
    MembershipFactory(cohort=cohort, role=Membership.Role.SET_FACILITATOR)
    MembershipFactory(cohort=CohortFactory())
    delivered = Q(attendances__module__state=Module.State.DELIVERED)
    expected = list(
        Membership.objects.filter(cohort=cohort)
        .select_related("person")
        .annotate(
            present_count=Count("attendances", filter=delivered & Q(attendances__status=Attendance.Status.PRESENT)),
            absent_count=Count("attendances", filter=delivered & Q(attendances__status=Attendance.Status.ABSENT)),
        )
        .order_by("status", "person__full_name", "pk")
    )

    overview = selectors.cohort_overview(cohort=cohort)
    members = overview.participants + overview.facilitators

    assert sorted(m.pk for m in members) == sorted(m.pk for m in expected)
    assert [(m.pk, m.present_count, m.absent_count, m.apologies_count) for m in overview.participants] == [
        (m.pk, m.present_count, m.absent_count, 0) for m in expected if m.role == Membership.Role.PARTICIPANT
    ]
    shown = ("full_name", "email", "job_title", "profession", "team")
    assert [_columns(m.person, shown) for m in overview.participants] == [
        _columns(m.person, shown) for m in expected if m.role == Membership.Role.PARTICIPANT
    ]
    assert [m.get_role_display() for m in overview.facilitators] == ["Set facilitator"]
    assert [m.number for m in overview.modules] == [1, 2, 3, 4, 5, 6]
    assert [m.pk for m in overview.modules] == [m.pk for m in six]
    assert all(m.cohort is cohort for m in overview.modules)
    assert overview.modules_delivered == 2
    assert overview.next_module.number == 3


def test_cohort_list_for_facilitator_is_cohort_list_for_user(facilitator, cohort, six, django_assert_num_queries):
    from modules.templatetags.cohort_cards import cohort_card_values

    finished = CohortFactory(status="finished", start_date=datetime.date(2025, 1, 6))
    for other in (finished, CohortFactory(start_date=datetime.date(2026, 3, 2), name="Alpha")):
        MembershipFactory(cohort=other, person=facilitator.person, role=Membership.Role.FACILITATOR)
        MembershipFactory(cohort=other, role=Membership.Role.FACILITATOR)
    MembershipFactory(cohort=cohort, role=Membership.Role.FACILITATOR, person__full_name="Aisha Bello")
    MembershipFactory(
        cohort=cohort, role=Membership.Role.FACILITATOR, status="withdrawn", withdrawn_on=datetime.date(2026, 2, 1)
    )
    for _ in range(3):
        MembershipFactory(cohort=cohort)
    CohortFactory()  # not theirs

    for status in ("", "finished", "running", "planned"):
        expected = [cohort_card_values(c) for c in selectors.cohort_list_for_user(user=facilitator, status=status)]
        with django_assert_num_queries(2 if expected else 1):
            cards = [
                cohort_card_values(c) for c in selectors.cohort_list_for_facilitator(user=facilitator, status=status)
            ]
        assert cards == expected
    assert len([cohort_card_values(c) for c in selectors.cohort_list_for_facilitator(user=facilitator)]) == 3
    card = next(
        c
        for c in map(cohort_card_values, selectors.cohort_list_for_facilitator(user=facilitator))
        if c["pk"] == cohort.pk
    )
    assert card["modules_delivered"] == 2
    assert card["participants_active"] == 3
    assert card["next_module_number"] == 3
    assert "Aisha Bello" in card["facilitators"]


def test_act_items_planned_for_are_the_select_related_queryset(cohort, six, django_assert_num_queries):
    from modules.models import ActItem
    from modules.tests.factories import ActItemFactory

    cycle = six[0].pdsa_cycle
    ticked_by = UserFactory(first_name="Sam", last_name="Okafor")
    items = [
        ActItemFactory(cycle=cycle, text="Later", done=True, done_at=timezone.now(), done_by=ticked_by),
        ActItemFactory(cycle=cycle, text="Open"),
    ]
    ActItem.objects.filter(pk=items[0].pk).update(created_at=timezone.now() + datetime.timedelta(minutes=5))
    ActItemFactory(cycle=six[1].pdsa_cycle, text="For module 3")
    expected = list(
        ActItem.objects.filter(cycle__module__cohort=cohort, cycle__module__number=1)
        .select_related("done_by")
        .order_by("created_at", "pk")
    )

    with django_assert_num_queries(1):
        planned = selectors.act_items_planned_for(cohort=cohort, number=2)
        shown = [(i.pk, i.text, i.done, i.done_at, i.done_by and i.done_by.get_full_name()) for i in planned]

    assert shown == [(i.pk, i.text, i.done, i.done_at, i.done_by and i.done_by.get_full_name()) for i in expected]
    assert [i.text for i in planned] == ["Open", "Later"]
    assert shown[1][4] == "Sam Okafor"
    assert selectors.act_items_planned_for(cohort=cohort, number=1) == []
