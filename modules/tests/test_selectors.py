import datetime

import pytest

from cohorts.tests.factories import MembershipFactory
from modules.selectors import (
    ScoreMove,
    module_page,
    module_register,
    pdsa_entry_for_module,
    pdsa_timeline_for_cohort,
    score_moves,
)
from modules.tests.factories import ActItemFactory, AttendanceFactory, PDSACycleFactory, modules_for_cohort
from modules.tests.surveydata import survey_with_results
from surveys.selectors import SurveySummary

pytestmark = pytest.mark.django_db


def _summary(headline):
    return SurveySummary(survey=None, invited=10, responded=8, response_rate=0.8, headline=headline, results_url="")


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


@pytest.mark.parametrize(
    ("kind", "before", "after", "direction"),
    [
        ("mean", 3.5, 4.2, "up"),
        ("mean", 4.2, 3.9, "down"),
        ("mean", 4.04, 3.96, "same"),  # both 4.0 as shown
        ("nps", 20.0, 20.4, "same"),
        ("nps", 20.0, -5.0, "down"),
    ],
)
def test_score_move_direction_follows_the_values_as_shown(kind, before, after, direction):
    move = ScoreMove(code="q", label="Q", kind=kind, before=before, after=after)

    assert move.direction == direction


def test_score_moves_pairs_questions_with_values_in_both_surveys():
    before = _summary([("usefulness", "Useful", 3.2, "mean"), ("confidence", "Confident", None, "mean")])
    after = _summary([("usefulness", "Useful", 4.1, "mean"), ("confidence", "Confident", 3.0, "mean")])

    moves = score_moves(before, after)

    assert [(m.code, m.before, m.after, m.direction) for m in moves] == [("usefulness", 3.2, 4.1, "up")]
    assert score_moves(before, None) == []


def test_pdsa_timeline_shows_cycles_changes_and_score_moves(cohort):
    modules = modules_for_cohort(cohort)
    people = MembershipFactory.create_batch(5, cohort=cohort)
    survey_with_results(module=modules[0], memberships=people, usefulness=[3, 3, 4, 2], recommend=[6, 7, 9, 5])
    survey_with_results(module=modules[1], memberships=people, usefulness=[5, 4, 4, 5, 4], recommend=[9, 9, 10, 8, 6])
    cycle = PDSACycleFactory(module=modules[0], study_reading="More group work wanted")
    ActItemFactory(cycle=cycle, text="More small-group time")
    AttendanceFactory(module=modules[0], membership=people[0], status="present")
    AttendanceFactory(module=modules[0], membership=people[1], status="absent")

    entries = pdsa_timeline_for_cohort(cohort=cohort)

    assert [e.module.number for e in entries] == [1, 2, 3, 4, 5]
    first, second = entries[0], entries[1]
    assert first.cycle == cycle
    assert [i.text for i in first.act_items] == ["More small-group time"]
    assert [i.text for i in second.planned_from_previous] == ["More small-group time"]
    assert (first.figures.present, first.figures.absent, first.figures.not_recorded) == (1, 1, 3)
    assert (first.survey.invited, first.survey.responded) == (5, 4)
    moves = {m.code: m for m in first.moves}
    assert moves["usefulness"].before == pytest.approx(3.0)
    assert moves["usefulness"].after == pytest.approx(4.4)
    assert moves["usefulness"].direction == "up"
    # NPS: module 1 has 1 promoter and 2 detractors of 4 (-25); module 2 has 3 of 5 and 1 of 5 (+40).
    assert (moves["recommend"].before, moves["recommend"].after) == (pytest.approx(-25), pytest.approx(40))
    assert "confidence" not in moves
    assert second.moves == []  # no survey after module 3 yet


def test_pdsa_entry_for_module_has_planned_and_own_items(cohort):
    modules = modules_for_cohort(cohort)
    ActItemFactory(cycle=PDSACycleFactory(module=modules[0]), text="From module 1")
    ActItemFactory(cycle=PDSACycleFactory(module=modules[1]), text="For module 3")

    entry, navigation = pdsa_entry_for_module(cohort=cohort, number=2)

    assert [i.text for i in entry.planned_from_previous] == ["From module 1"]
    assert [i.text for i in entry.act_items] == ["For module 3"]
    assert (entry.previous_module, entry.next_module) == (modules[0], modules[2])
    assert len(navigation) == 6
    assert pdsa_entry_for_module(cohort=cohort, number=6)[0] is None
