import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from modules.models import ActItem, Attendance, Module, PDSACycle
from modules.selectors import act_items_planned_for, module_page
from modules.services import (
    ActItemChange,
    act_item_set_done,
    attendance_record,
    module_mark_delivered,
    module_update,
    pdsa_cycle_update,
)
from modules.tests.factories import (
    ActItemFactory,
    AttendanceFactory,
    ModuleFactory,
    PDSACycleFactory,
    modules_for_cohort,
)
from surveys.models import Survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def module(cohort):
    return ModuleFactory(cohort=cohort, number=1, starts_at=timezone.now() - datetime.timedelta(days=1))


def _statuses(module):
    return dict(Attendance.objects.filter(module=module).values_list("membership_id", "status"))


# attendance_record


def test_attendance_record_creates_one_record_per_participant(module, participants):
    a, b, c = participants

    changed = attendance_record(module=module, statuses={a.pk: "present", b.pk: "apologies", c.pk: "absent"})

    assert changed == 3
    assert _statuses(module) == {a.pk: "present", b.pk: "apologies", c.pk: "absent"}


def test_attendance_record_updates_existing_and_counts_only_changes(module, participants):
    a, b, c = participants
    old = AttendanceFactory(module=module, membership=a, status="absent")
    AttendanceFactory(module=module, membership=b, status="present")
    old_updated_at = old.updated_at

    changed = attendance_record(module=module, statuses={a.pk: "present", b.pk: "present", c.pk: "apologies"})

    assert changed == 2  # a changed, c created, b unchanged
    assert _statuses(module) == {a.pk: "present", b.pk: "present", c.pk: "apologies"}
    assert Attendance.objects.count() == 3
    old.refresh_from_db()
    assert old.updated_at > old_updated_at


def test_attendance_record_leaves_people_not_mentioned_alone(module, participants):
    a, b, _c = participants
    AttendanceFactory(module=module, membership=b, status="apologies")

    attendance_record(module=module, statuses={a.pk: "present"})

    assert _statuses(module) == {a.pk: "present", b.pk: "apologies"}


def test_attendance_record_clears_a_mark_with_none(module, participants):
    a, b, c = participants
    AttendanceFactory(module=module, membership=a, status="present")
    AttendanceFactory(module=module, membership=b, status="absent")

    changed = attendance_record(module=module, statuses={a.pk: None, b.pk: "absent", c.pk: None})

    assert changed == 1  # a cleared; b unchanged; c had no mark to clear
    assert _statuses(module) == {b.pk: "absent"}


def test_attendance_record_clearing_takes_constant_queries(module, cohort, django_assert_max_num_queries):
    for size in (3, 30):
        people = MembershipFactory.create_batch(size, cohort=cohort)
        for person in people:
            AttendanceFactory(module=module, membership=person)
        # 6 for the register, 2 for the audit trail's one entry per cleared mark (names, one INSERT).
        with django_assert_max_num_queries(8):
            attendance_record(module=module, statuses={p.pk: None for p in people})
        assert not Attendance.objects.filter(module=module).exists()


def test_attendance_record_rejects_invalid_status_and_saves_nothing(module, participants):
    a, b, _c = participants
    AttendanceFactory(module=module, membership=a, status="absent")

    with pytest.raises(ValidationError) as excinfo:
        attendance_record(module=module, statuses={a.pk: "present", b.pk: "late"})

    assert excinfo.value.code == "invalid_status"
    assert _statuses(module) == {a.pk: "absent"}


@pytest.mark.parametrize(
    "stranger",
    [
        pytest.param(lambda cohort: MembershipFactory(), id="other-cohort"),
        pytest.param(lambda cohort: MembershipFactory(cohort=cohort, role="facilitator"), id="facilitator"),
        pytest.param(
            lambda cohort: MembershipFactory(cohort=cohort, status="withdrawn", withdrawn_on=datetime.date(2026, 2, 1)),
            id="withdrawn",
        ),
    ],
)
def test_attendance_record_rejects_people_who_are_not_active_participants(module, participants, stranger):
    outsider = stranger(module.cohort)

    with pytest.raises(ValidationError) as excinfo:
        attendance_record(module=module, statuses={participants[0].pk: "present", outsider.pk: "present"})

    assert excinfo.value.code == "not_participant"
    assert not Attendance.objects.exists()


def test_attendance_record_runs_constant_queries(django_assert_num_queries, cohort):
    small, large = ModuleFactory(cohort=cohort, number=1), ModuleFactory(cohort=cohort, number=2)
    few = MembershipFactory.create_batch(5, cohort=cohort)
    many = [*few, *MembershipFactory.create_batch(45, cohort=cohort)]
    AttendanceFactory(module=small, membership=few[0], status="absent")
    AttendanceFactory(module=large, membership=many[0], status="absent")

    # 6, and 3 for the audit entries of rows written in bulk (names, created, changed).
    with django_assert_num_queries(9) as few_queries:
        attendance_record(module=small, statuses={m.pk: "present" for m in few})
    with django_assert_num_queries(len(few_queries.captured_queries)):
        attendance_record(module=large, statuses={m.pk: "present" for m in many})

    assert Attendance.objects.filter(module=large, status="present").count() == 50


# module_mark_delivered


def test_module_mark_delivered_sets_state_and_time(module):
    before = timezone.now()

    result = module_mark_delivered(module=module)

    module.refresh_from_db()
    assert result.state == module.state == Module.State.DELIVERED
    assert module.delivered_at >= before


def test_module_mark_delivered_twice_keeps_the_first_time(module):
    first = module_mark_delivered(module=module)

    second = module_mark_delivered(module=module)

    assert second.is_delivered
    assert second.delivered_at == first.delivered_at


def test_module_mark_delivered_opens_the_survey_and_mails_each_active_participant_after_commit(
    module, django_capture_on_commit_callbacks, mailoutbox
):
    active = MembershipFactory.create_batch(3, cohort=module.cohort)
    MembershipFactory(cohort=module.cohort, status="withdrawn", withdrawn_on=datetime.date(2026, 1, 1))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        module_mark_delivered(module=module)
    assert mailoutbox == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()

    survey = Survey.objects.get(module=module)
    assert survey.status == Survey.Status.OPEN
    assert sorted(survey.invitations.values_list("membership", flat=True)) == sorted(m.pk for m in active)
    assert sorted(message.to[0] for message in mailoutbox) == sorted(m.person.email for m in active)
    assert set(survey.invitations.values_list("status", flat=True)) == {"sent"}


def test_module_mark_delivered_of_the_celebration_opens_no_survey(cohort, django_capture_on_commit_callbacks):
    celebration = ModuleFactory(
        cohort=cohort, number=6, is_celebration=True, starts_at=timezone.now() - datetime.timedelta(hours=8)
    )
    MembershipFactory(cohort=cohort)

    with django_capture_on_commit_callbacks(execute=True):
        module_mark_delivered(module=celebration)

    assert not Survey.objects.filter(module=celebration).exists()


def test_module_mark_delivered_refuses_a_module_that_has_not_started(cohort):
    future = ModuleFactory(cohort=cohort, number=2, starts_at=timezone.now() + datetime.timedelta(days=3))

    with pytest.raises(ValidationError) as excinfo:
        module_mark_delivered(module=future)

    assert excinfo.value.code == "not_started"
    assert "once it has started" in excinfo.value.messages[0]
    future.refresh_from_db()
    assert future.state == Module.State.PLANNED
    assert future.delivered_at is None


# module_update


def _details(module, **overrides):
    data = {
        "title": module.title,
        "topics": module.topics,
        "starts_at": module.starts_at,
        "ends_at": module.ends_at,
        "venue": module.venue,
    }
    return {**data, **overrides}


def test_module_update_saves_the_details(module):
    starts = timezone.now() + datetime.timedelta(days=10)

    module_update(
        module=module,
        **_details(
            module,
            title="Wicked problems",
            venue="Room 2",
            starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=6),
        ),
    )

    module.refresh_from_db()
    assert (module.title, module.venue, module.starts_at) == ("Wicked problems", "Room 2", starts)


def test_module_update_rejects_an_end_before_the_start(module):
    original_end = module.ends_at

    with pytest.raises(ValidationError) as excinfo:
        module_update(module=module, **_details(module, ends_at=module.starts_at - datetime.timedelta(hours=1)))

    assert "ends_at" in excinfo.value.error_dict
    module.refresh_from_db()
    assert module.ends_at == original_end


def test_module_update_keeps_a_delivered_module_in_the_past(module):
    module = module_mark_delivered(module=module)
    future = timezone.now() + datetime.timedelta(days=5)

    with pytest.raises(ValidationError) as excinfo:
        module_update(module=module, **_details(module, starts_at=future, ends_at=future + datetime.timedelta(hours=7)))

    assert "starts_at" in excinfo.value.error_dict


# pdsa_cycle_update and act items


def _cycle_fields(**overrides):
    fields = {"plan_intent": "Intent", "plan_prediction": "Prediction", "do_notes": "Notes", "study_reading": "Reading"}
    return {**fields, **overrides}


def test_pdsa_cycle_update_creates_the_cycle_with_its_act_items(module):
    user = UserFactory()

    cycle = pdsa_cycle_update(
        module=module,
        act_items=[ActItemChange(text="More small-group time in module 2"), ActItemChange(text="   ")],
        by=user,
        **_cycle_fields(),
    )

    assert PDSACycle.objects.get() == cycle
    assert (cycle.plan_intent, cycle.study_reading, cycle.updated_by) == ("Intent", "Reading", user)
    assert list(cycle.act_items.values_list("text", flat=True)) == ["More small-group time in module 2"]


def test_pdsa_cycle_update_changes_and_removes_act_items(module):
    cycle = PDSACycleFactory(module=module)
    keep, edit, drop = ActItemFactory.create_batch(3, cycle=cycle)

    pdsa_cycle_update(
        module=module,
        act_items=[
            ActItemChange(pk=keep.pk, text=keep.text),
            ActItemChange(pk=edit.pk, text="Use participants' own cases"),
            ActItemChange(pk=drop.pk, text=drop.text, delete=True),
            ActItemChange(text="AI practice in triads"),
        ],
        **_cycle_fields(),
    )

    assert sorted(cycle.act_items.values_list("text", flat=True)) == sorted(
        [keep.text, "Use participants' own cases", "AI practice in triads"]
    )


def test_pdsa_cycle_update_rejects_another_cycles_item_and_saves_nothing(module, cohort):
    other = ActItemFactory(text="Someone else's change")
    cycle = PDSACycleFactory(module=module, plan_intent="Before")

    with pytest.raises(ValidationError):
        pdsa_cycle_update(
            module=module,
            act_items=[ActItemChange(text="New"), ActItemChange(pk=other.pk, text="Hijacked")],
            **_cycle_fields(plan_intent="After"),
        )

    cycle.refresh_from_db()
    other.refresh_from_db()
    assert cycle.plan_intent == "Before"
    assert other.text == "Someone else's change"
    assert not cycle.act_items.exists()


def test_pdsa_cycle_update_rejects_emptying_an_existing_item(module):
    item = ActItemFactory(cycle=PDSACycleFactory(module=module), text="Keep me")

    with pytest.raises(ValidationError):
        pdsa_cycle_update(module=module, act_items=[ActItemChange(pk=item.pk, text="  ")], **_cycle_fields())

    item.refresh_from_db()
    assert item.text == "Keep me"


def test_pdsa_cycle_update_refuses_module_6(cohort):
    celebration = ModuleFactory(cohort=cohort, number=6, is_celebration=True)

    with pytest.raises(ValidationError):
        pdsa_cycle_update(module=celebration, **_cycle_fields())

    assert not PDSACycle.objects.exists()


def test_act_item_set_done_records_who_and_when_and_can_be_undone(module):
    item = ActItemFactory(cycle=PDSACycleFactory(module=module))
    user = UserFactory()

    done = act_item_set_done(act_item=item, done=True, by=user)
    again = act_item_set_done(act_item=item, done=True, by=UserFactory())

    assert done.done
    assert done.done_by == user
    assert done.done_at is not None
    assert again.done_at == done.done_at
    assert again.done_by == user

    undone = act_item_set_done(act_item=item, done=False, by=user)

    item.refresh_from_db()
    assert (undone.done, item.done, item.done_at, item.done_by) == (False, False, None, None)


def test_act_items_of_module_n_are_planned_for_module_n_plus_1(cohort):
    modules = modules_for_cohort(cohort)
    first = pdsa_cycle_update(
        module=modules[0], act_items=[ActItemChange(text="More small-group time")], **_cycle_fields()
    )
    pdsa_cycle_update(module=modules[1], act_items=[ActItemChange(text="Use own cases")], **_cycle_fields())
    other_cohort_modules = modules_for_cohort(CohortFactory())
    pdsa_cycle_update(module=other_cohort_modules[0], act_items=[ActItemChange(text="Not ours")], **_cycle_fields())

    planned_for_2 = act_items_planned_for(cohort=cohort, number=2)
    page_of_3 = module_page(cohort=cohort, number=3)

    assert [i.text for i in planned_for_2] == ["More small-group time"]
    assert planned_for_2[0].cycle_id == first.pk
    assert [i.text for i in page_of_3.planned_adjustments] == ["Use own cases"]
    assert module_page(cohort=cohort, number=1).planned_adjustments == []
    assert ActItem.objects.count() == 3
