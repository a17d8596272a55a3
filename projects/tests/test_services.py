import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cohorts.models import Membership
from cohorts.services import membership_withdraw
from cohorts.tests.factories import CohortFactory, MembershipFactory
from projects import selectors, services
from projects.models import DataPoint, DriverNode, ProgressScore, SetMembership
from projects.tests.factories import (
    ActionLearningSetFactory,
    DataPointFactory,
    ImprovementProjectFactory,
    MeasureFactory,
    ProjectPDSACycleFactory,
    SetMembershipFactory,
)

pytestmark = pytest.mark.django_db


def test_set_membership_database_allows_one_set_per_participant_per_cohort(cohort):
    first, second = ActionLearningSetFactory(cohort=cohort), ActionLearningSetFactory(cohort=cohort)
    link = SetMembershipFactory(action_learning_set=first)

    with pytest.raises(IntegrityError), transaction.atomic():
        SetMembership.objects.create(action_learning_set=second, cohort=cohort, membership=link.membership)


def test_progress_score_database_rejects_values_off_the_scale():
    project = ImprovementProjectFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressScore.objects.create(
            project=project, score=Decimal("2.3"), recorded_at=datetime.datetime.now(datetime.UTC)
        )


def test_progress_score_record_keeps_history_and_current_score():
    project = ImprovementProjectFactory()

    services.progress_score_record(project=project, score=Decimal("1.5"), note="Team formed")
    services.progress_score_record(project=project, score="3.0")

    project.refresh_from_db()
    assert project.progress_score == Decimal("3.0")
    assert [s.score for s in project.progress_scores.all()] == [Decimal("3.0"), Decimal("1.5")]


def test_progress_score_record_rejects_value_off_the_scale():
    project = ImprovementProjectFactory()

    with pytest.raises(ValidationError):
        services.progress_score_record(project=project, score=Decimal("5.5"))
    assert project.progress_scores.count() == 0


def test_set_split_evenly_shares_participants_into_balanced_sets(cohort):
    for _ in range(30):
        MembershipFactory(cohort=cohort)
    MembershipFactory(cohort=cohort, role=Membership.Role.FACILITATOR)

    sets = services.set_split_evenly(cohort=cohort, number_of_sets=5)

    assert [s.name for s in sets] == ["Set A", "Set B", "Set C", "Set D", "Set E"]
    assert sorted(s.set_memberships.count() for s in sets) == [6, 6, 6, 6, 6]


def test_set_split_evenly_fills_smallest_sets_and_keeps_existing_members(cohort):
    existing = ActionLearningSetFactory(cohort=cohort, name="Set A")
    for _ in range(3):
        SetMembershipFactory(action_learning_set=existing)
    for _ in range(3):
        MembershipFactory(cohort=cohort)

    sets = services.set_split_evenly(cohort=cohort, number_of_sets=2)

    assert {s.name: s.set_memberships.count() for s in sets} == {"Set A": 3, "Set B": 3}


def test_set_members_assign_moves_and_removes(cohort):
    set_a, set_b = ActionLearningSetFactory(cohort=cohort), ActionLearningSetFactory(cohort=cohort)
    stay = SetMembershipFactory(action_learning_set=set_a).membership
    move = SetMembershipFactory(action_learning_set=set_a).membership
    leave = SetMembershipFactory(action_learning_set=set_b).membership

    moved = services.set_members_assign(cohort=cohort, assignments={stay: set_a, move: set_b, leave: None})

    assert moved == 2
    assert dict(SetMembership.objects.values_list("membership_id", "action_learning_set_id")) == {
        stay.pk: set_a.pk,
        move.pk: set_b.pk,
    }


def test_set_members_assign_rejects_set_of_another_cohort(cohort):
    membership = MembershipFactory(cohort=cohort)
    foreign = ActionLearningSetFactory(cohort=CohortFactory())

    with pytest.raises(ValidationError):
        services.set_members_assign(cohort=cohort, assignments={membership: foreign})
    assert not SetMembership.objects.exists()


def test_set_membership_remove_withdrawn_takes_participant_out(cohort):
    link = SetMembershipFactory(action_learning_set=ActionLearningSetFactory(cohort=cohort))

    removed = services.set_membership_remove_withdrawn(membership=link.membership)

    assert removed == 1
    assert not SetMembership.objects.exists()


def test_membership_withdraw_takes_participant_out_of_their_set_and_its_facilitation(cohort):
    the_set = ActionLearningSetFactory(cohort=cohort)
    link = SetMembershipFactory(action_learning_set=the_set)
    staying = SetMembershipFactory(action_learning_set=the_set)
    the_set.set_facilitator = link.membership
    the_set.save()

    membership_withdraw(membership=link.membership)

    assert list(SetMembership.objects.values_list("membership", flat=True)) == [staying.membership_id]
    the_set.refresh_from_db()
    assert the_set.set_facilitator is None


def test_set_list_selector_ignores_withdrawn_members(cohort):
    the_set = ActionLearningSetFactory(cohort=cohort)
    active = SetMembershipFactory(action_learning_set=the_set)
    withdrawn = SetMembershipFactory(action_learning_set=the_set)
    membership_withdraw(membership=withdrawn.membership)

    [listed] = selectors.set_list_for_cohort(cohort=cohort)

    assert listed.members == ((active.membership_id, active.membership.person.full_name),)


def test_set_unassigned_count_counts_active_participants_in_no_set(cohort):
    the_set = ActionLearningSetFactory(cohort=cohort)
    SetMembershipFactory(action_learning_set=the_set)
    MembershipFactory.create_batch(2, cohort=cohort)
    MembershipFactory(cohort=cohort, role=Membership.Role.FACILITATOR)
    membership_withdraw(membership=MembershipFactory(cohort=cohort))
    MembershipFactory(cohort=CohortFactory())

    assert selectors.set_unassigned_count(cohort=cohort) == 2


def test_driver_diagram_replace_builds_tree_and_keeps_linked_change_idea():
    project = ImprovementProjectFactory()
    services.driver_diagram_replace(project=project, outline="- Safe handover\n  - Same tool\n    - SBAR sheet\n")
    idea = DriverNode.objects.get(kind="change_idea")
    ProjectPDSACycleFactory(project=project, change_idea=idea)

    services.driver_diagram_replace(
        project=project,
        outline="- Safe handover\n  - Same tool\n    - SBAR sheet\n    - Huddle\n- Patients know the plan\n",
    )

    tree = selectors.driver_tree(project.driver_nodes.all())
    assert [item["node"].text for item in tree] == ["Safe handover", "Patients know the plan"]
    assert [c["node"].text for c in tree[0]["children"][0]["children"]] == ["SBAR sheet", "Huddle"]
    assert DriverNode.objects.get(kind="change_idea", text="SBAR sheet").pk == idea.pk


def test_driver_diagram_replace_refuses_to_drop_change_idea_of_a_pdsa_cycle():
    project = ImprovementProjectFactory()
    services.driver_diagram_replace(project=project, outline="- Safe handover\n  - Same tool\n    - SBAR sheet\n")
    ProjectPDSACycleFactory(project=project, change_idea=DriverNode.objects.get(kind="change_idea"))

    with pytest.raises(ValidationError, match="SBAR sheet"), transaction.atomic():
        services.driver_diagram_replace(project=project, outline="- Safe handover\n")

    assert project.driver_nodes.count() == 3


def test_driver_outline_parse_reports_bad_indentation():
    with pytest.raises(ValidationError) as error:
        services.driver_outline_parse("  - starts indented\n- fine\n      - too deep\n")

    assert len(error.value.messages) == 2


def test_driver_outline_round_trips():
    project = ImprovementProjectFactory()
    outline = "- A\n  - B\n    - C\n- D"
    services.driver_diagram_replace(project=project, outline=outline)

    assert selectors.driver_outline(project.driver_nodes.all()) == outline


def test_data_points_import_saves_all_rows_and_updates_existing_dates():
    measure = MeasureFactory()
    DataPointFactory(measure=measure, date=datetime.date(2026, 3, 2), value=1)

    result = services.data_points_import(
        measure=measure, text='date,value,note\n2026-03-02,45,corrected\n09/03/2026,50%\n2026-03-16,"1,200",busy week'
    )

    assert (result.created, result.updated) == (2, 1)
    assert list(measure.data_points.values_list("value", flat=True)) == [Decimal(45), Decimal(50), Decimal(1200)]


def test_data_points_import_with_a_bad_row_saves_nothing_and_names_each_row():
    measure = MeasureFactory()

    with pytest.raises(ValidationError) as error:
        services.data_points_import(measure=measure, text="2026-03-02,45\n2026-13-09,50\n2026-03-16,lots\n2026-03-02,3")

    messages = error.value.messages
    assert any(m.startswith("Row 2:") for m in messages)
    assert any(m.startswith("Row 3:") for m in messages)
    assert any(m.startswith("Row 4:") for m in messages)
    assert DataPoint.objects.count() == 0


def test_data_points_import_accepts_tab_separated_rows_pasted_from_a_spreadsheet():
    measure = MeasureFactory()

    result = services.data_points_import(measure=measure, text="02/03/2026\t12\n09/03/2026\t14\tafter huddle")

    assert result.created == 2
    assert measure.data_points.get(date=datetime.date(2026, 3, 9)).note == "after huddle"


def test_presentation_feedback_give_refuses_own_set(cohort):
    from projects.tests.factories import PresentationFactory

    presentation = PresentationFactory(action_learning_set=ActionLearningSetFactory(cohort=cohort))
    own = SetMembershipFactory(action_learning_set=presentation.action_learning_set).membership
    peer = MembershipFactory(cohort=cohort)

    with pytest.raises(ValidationError):
        services.presentation_feedback_give(presentation=presentation, author=own, went_well="Great")
    services.presentation_feedback_give(presentation=presentation, author=peer, went_well="Clear aim")
    services.presentation_feedback_give(presentation=presentation, author=peer, went_well="Clear aim, good data")

    assert [f.went_well for f in presentation.feedback.all()] == ["Clear aim, good data"]
