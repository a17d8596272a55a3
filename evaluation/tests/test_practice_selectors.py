"""The facilitators' counts and their suppression; reflections shared with a set."""

import datetime

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from cohorts.tests.factories import CohortFactory, MembershipFactory
from evaluation import selectors as practice_selectors
from evaluation.models import PracticeMoment
from evaluation.selectors import (
    COMPLEMENTARY,
    MIN_GROUP,
    SHOWN,
    SMALL,
    practice_set_reflections,
    practice_summary,
    practice_totals,
    suppress_small_groups,
)
from modules.tests.factories import ModuleFactory
from projects.tests.factories import ActionLearningSetFactory, SetMembershipFactory
from surveys import selectors as survey_selectors

from .factories import PracticeMomentFactory, participant

M = PracticeMoment.Method
W = PracticeMoment.WithWhom
LONDON = timezone.get_current_timezone()


# -- suppression, as a pure function ------------------------------------------------------------


def test_min_group_is_the_surveys_constant():
    assert practice_selectors.MIN_GROUP is survey_selectors.MIN_GROUP == 3


def test_suppress_small_groups_hides_cells_under_three_people():
    members = [{1, 2, 3}, {4, 5}, {1, 2, 3, 4}, {6, 7, 8}]
    moments = [5, 2, 9, 3]

    states = suppress_small_groups(members, moments)

    # {4, 5} is small; the hidden cells then hold 2 people, so total − shown would be a count for 2
    # people: the smallest shown cell (3 moments) is hidden too.
    assert states == [SHOWN, SMALL, SHOWN, COMPLEMENTARY]


def test_suppress_small_groups_needs_no_complement_when_the_hidden_cells_hold_three_people():
    members = [{1, 2, 3, 4}, {5, 6}, {7}, {1, 2, 3}]
    moments = [8, 3, 4, 3]

    assert suppress_small_groups(members, moments) == [SHOWN, SMALL, SMALL, SHOWN]


def test_suppress_small_groups_counts_people_not_cells_for_the_complement():
    # Two small cells, but the same two people: together still a group of two.
    members = [{1, 2}, {1, 2}, {3, 4, 5}, {1, 3, 4, 5}]
    moments = [2, 3, 4, 6]

    assert suppress_small_groups(members, moments) == [SMALL, SMALL, COMPLEMENTARY, SHOWN]


def test_suppress_small_groups_leaves_empty_cells_alone():
    # An empty cell reads "fewer than 3" but tells nothing about anyone: no complement needed.
    members = [{1, 2, 3}, set(), set(), {4, 5, 6}]

    assert suppress_small_groups(members, [4, 0, 0, 5]) == [SHOWN, SMALL, SMALL, SHOWN]


@given(
    st.lists(st.sets(st.integers(min_value=0, max_value=12), max_size=8), min_size=1, max_size=7).filter(
        lambda cells: len(set().union(*cells)) >= MIN_GROUP
    )
)
def test_suppress_small_groups_never_lets_a_small_group_be_worked_out(members):
    moments = [len(people) * 2 for people in members]

    states = suppress_small_groups(members, moments)

    hidden = [i for i, state in enumerate(states) if state != SHOWN]
    hidden_people = set().union(*(members[i] for i in hidden))
    # Every shown cell is a group of at least 3; what total − shown reveals is one too (or nobody).
    assert all(len(members[i]) >= MIN_GROUP for i, state in enumerate(states) if state == SHOWN)
    assert len(hidden_people) == 0 or len(hidden_people) >= MIN_GROUP
    assert all(state == SMALL for i, state in enumerate(states) if len(members[i]) < MIN_GROUP)


# -- the counts on real rows ----------------------------------------------------------------------


def _cells(summary, key):
    breakdown = next(b for b in summary.breakdowns if b.key == key)
    return {cell.label: cell for cell in breakdown.cells}


@pytest.mark.django_db
def test_practice_summary_shows_nothing_until_three_people_have_logged(cohort):
    people = [participant(cohort) for _ in range(5)]
    for membership in people[:2]:
        PracticeMomentFactory.create_batch(4, membership=membership)

    summary = practice_summary(cohort=cohort)

    assert summary.visible is False
    assert summary.active_participants == 5
    assert summary.loggers is None
    assert summary.total_moments is None
    assert summary.breakdowns == []


@pytest.mark.django_db
def test_practice_summary_counts_by_method_with_whom_and_interval(cohort):
    start = datetime.datetime(2026, 1, 12, 9, tzinfo=datetime.UTC)
    for number in range(1, 4):
        ModuleFactory(cohort=cohort, number=number, starts_at=start + datetime.timedelta(weeks=4 * (number - 1)))
    people = [participant(cohort) for _ in range(6)]
    for _ in range(3):
        participant(cohort)  # logs nothing
    day1, day2, day3 = datetime.date(2026, 1, 20), datetime.date(2026, 2, 9), datetime.date(2026, 3, 20)
    for membership in people[:4]:
        PracticeMomentFactory(membership=membership, date=day1, method=M.GROW, with_whom=W.TEAM)
        PracticeMomentFactory(membership=membership, date=day3, method=M.APPRECIATIVE_INQUIRY, with_whom=W.TEAM)
    for membership in people[4:]:
        PracticeMomentFactory(membership=membership, date=day2, method=M.GROW, with_whom=W.COLLEAGUE)
    # Neither a withdrawn participant's moments nor another cohort's count.
    gone = participant(cohort, status="withdrawn", withdrawn_on=datetime.date(2026, 2, 1))
    PracticeMomentFactory.create_batch(3, membership=gone, method=M.PDSA)
    PracticeMomentFactory.create_batch(3, membership=participant(CohortFactory()), method=M.PDSA)

    summary = practice_summary(cohort=cohort)

    assert summary.visible
    assert (summary.active_participants, summary.loggers, summary.total_moments) == (9, 6, 10)
    assert summary.share_percent == 67
    by_method = _cells(summary, "method")
    assert (
        by_method["A GROW coaching conversation"].moments,
        by_method["A GROW coaching conversation"].participants,
    ) == (6, 6)
    assert by_method["Appreciative Inquiry"].moments == 4
    assert by_method["A PDSA test"].state == SMALL
    assert by_method["A PDSA test"].moments == 0
    by_whom = _cells(summary, "with_whom")
    # 2 colleagues' moments by 2 people: small, and the other empty cells cannot balance it, so the
    # smallest shown cell ("My team", the only one) is hidden too.
    assert by_whom["A colleague"].state == SMALL
    assert by_whom["My team"].state == COMPLEMENTARY
    by_interval = _cells(summary, "interval")
    assert list(by_interval) == [
        "Between module 1 and module 2",
        "Between module 2 and module 3",
        "After module 3",
    ]
    # 4, 2 (small) and 4 moments: one of the two 4s (the first, on a tie) is hidden with the 2.
    assert by_interval["Between module 2 and module 3"].state == SMALL
    assert by_interval["Between module 1 and module 2"].state == COMPLEMENTARY
    assert by_interval["After module 3"].moments == 4


@pytest.mark.django_db
def test_practice_summary_counts_a_moment_on_a_module_day_after_that_module(cohort):
    ModuleFactory(cohort=cohort, number=1, starts_at=datetime.datetime(2026, 1, 12, 9, tzinfo=datetime.UTC))
    ModuleFactory(cohort=cohort, number=2, starts_at=datetime.datetime(2026, 2, 9, 9, tzinfo=datetime.UTC))
    for _ in range(3):
        PracticeMomentFactory(membership=participant(cohort), date=datetime.date(2026, 2, 9))

    by_interval = _cells(practice_summary(cohort=cohort), "interval")

    assert by_interval["After module 2"].moments == 3
    assert by_interval["Between module 1 and module 2"].state == SMALL


@pytest.mark.django_db
def test_practice_summary_leaves_out_intervals_that_have_not_begun(cohort):
    today = timezone.localdate()
    cohort.start_date = today - datetime.timedelta(days=30)
    cohort.save()
    for number, days in ((1, -30), (2, 0), (3, 1)):
        starts_at = datetime.datetime.combine(today + datetime.timedelta(days=days), datetime.time(9), tzinfo=LONDON)
        ModuleFactory(cohort=cohort, number=number, starts_at=starts_at)
    for _ in range(3):
        PracticeMomentFactory(membership=participant(cohort), date=today)

    by_interval = _cells(practice_summary(cohort=cohort), "interval")

    assert list(by_interval) == ["Between module 1 and module 2", "Between module 2 and module 3"]
    assert by_interval["Between module 2 and module 3"].moments == 3


@pytest.mark.django_db
def test_practice_summary_says_all_but_one_or_two_instead_of_counting_them(cohort):
    people = [participant(cohort) for _ in range(5)]
    for membership in people[:4]:
        PracticeMomentFactory(membership=membership)

    summary = practice_summary(cohort=cohort)

    assert summary.all_but_few
    assert summary.share_percent is None


# -- reflections shared with a set ----------------------------------------------------------------


@pytest.mark.django_db
def test_practice_set_reflections_shows_the_sets_shared_moments_to_members_and_set_facilitator(cohort):
    set_facilitator = MembershipFactory(cohort=cohort, role="set_facilitator")
    ours = ActionLearningSetFactory(cohort=cohort, name="Set A", set_facilitator=set_facilitator)
    theirs = ActionLearningSetFactory(cohort=cohort, name="Set B")
    me, mate, other = participant(cohort), participant(cohort), participant(cohort)
    SetMembershipFactory(action_learning_set=ours, membership=me)
    SetMembershipFactory(action_learning_set=ours, membership=mate)
    SetMembershipFactory(action_learning_set=theirs, membership=other)
    shared = PracticeMomentFactory(membership=mate, reflection="Shared with A", shared_with_set=True)
    PracticeMomentFactory(membership=mate, reflection="Private to mate")
    PracticeMomentFactory(membership=other, reflection="Shared with B", shared_with_set=True)

    for viewer in (me, mate, set_facilitator):
        entries = practice_set_reflections(membership=viewer)
        assert [(e.action_learning_set, e.moments) for e in entries] == [(ours, [shared])]
    assert [e.moments[0].reflection for e in practice_set_reflections(membership=other)] == ["Shared with B"]
    assert practice_set_reflections(membership=None) == []
    facilitator = MembershipFactory(cohort=cohort, role="facilitator")
    assert practice_set_reflections(membership=facilitator) == []


@pytest.mark.django_db
def test_practice_totals_are_the_summarys_figures_without_its_breakdowns(cohort):
    people = [participant(cohort) for _ in range(5)]
    PracticeMomentFactory.create_batch(4, membership=people[0])
    PracticeMomentFactory(membership=people[1])
    gone = participant(cohort, status="withdrawn", withdrawn_on=datetime.date(2026, 2, 1))
    PracticeMomentFactory.create_batch(3, membership=gone)
    PracticeMomentFactory.create_batch(3, membership=participant(CohortFactory()))
    assert practice_totals(cohort=cohort) == practice_summary(cohort=cohort)  # two loggers: nothing shown

    PracticeMomentFactory.create_batch(2, membership=people[2])
    totals, summary = practice_totals(cohort=cohort), practice_summary(cohort=cohort)

    assert totals.visible
    assert summary.visible
    assert (totals.active_participants, totals.loggers, totals.total_moments) == (5, 3, 7)
    assert (summary.active_participants, summary.loggers, summary.total_moments) == (5, 3, 7)
    assert totals.breakdowns == []
