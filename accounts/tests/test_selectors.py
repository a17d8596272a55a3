""" "My programme"'s reads: each membership with its cohort's modules, and its sets (own and facilitated)
with their projects, read in two statements (issue 14); every change shows on the next read."""

import datetime

import pytest

from accounts import selectors
from cohorts.models import Membership
from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from modules.models import Module
from modules.tests.factories import ModuleFactory
from projects.models import ImprovementProject
from projects.tests.factories import ActionLearningSetFactory, ImprovementProjectFactory, SetMembershipFactory

pytestmark = pytest.mark.django_db


def _shown(entries):
    return [
        (
            e.cohort_name,
            e.role,
            [m["title"] for m in e.modules],
            e.set_name,
            [(p["title"], p["status_label"]) for p in e.projects],
        )
        for e in entries
    ]


def test_my_programme_reads_memberships_modules_sets_and_projects(django_assert_num_queries):
    user = UserFactory()
    older = CohortFactory(name="Older", start_date=datetime.date(2025, 1, 6))
    newer = CohortFactory(name="Newer", start_date=datetime.date(2026, 1, 5))
    empty = CohortFactory(name="Also new, no modules", start_date=datetime.date(2026, 1, 5))
    participant = MembershipFactory(cohort=older, person__user=user)
    person = participant.person
    set_facilitator = MembershipFactory(cohort=newer, person=person, role=Membership.Role.SET_FACILITATOR)
    MembershipFactory(cohort=empty, person=person, role=Membership.Role.FACILITATOR)
    MembershipFactory(
        cohort=CohortFactory(name="Withdrawn"),
        person=person,
        status="withdrawn",
        withdrawn_on=datetime.date(2026, 1, 1),
    )
    for number, title in ((2, "Second"), (1, "First")):
        ModuleFactory(cohort=older, number=number, title=title)
    ModuleFactory(cohort=newer, number=1, title="Newer first")
    own = ActionLearningSetFactory(cohort=older, name="Own set")
    SetMembershipFactory(action_learning_set=own, membership=participant)
    ImprovementProjectFactory(action_learning_set=own, title="Zebra crossings")
    ImprovementProjectFactory(action_learning_set=own, title="Apple a day", status=ImprovementProject.Status.STOPPED)
    # A set facilitator in no set sees the first set they facilitate by name (and its projects only).
    ImprovementProjectFactory(
        action_learning_set=ActionLearningSetFactory(cohort=newer, name="B set", set_facilitator=set_facilitator),
        title="Not shown",
    )
    ActionLearningSetFactory(cohort=newer, name="A set", set_facilitator=set_facilitator)

    with django_assert_num_queries(3):  # the two reads and the open surveys'
        entries = selectors.my_programme(user=user)

    assert _shown(entries) == [
        ("Also new, no modules", "facilitator", [], "", []),
        ("Newer", "set_facilitator", ["Newer first"], "A set", []),
        (
            "Older",
            "participant",
            ["First", "Second"],
            "Own set",
            [("Apple a day", "Stopped"), ("Zebra crossings", "Idea")],
        ),
    ]


def test_my_programme_own_set_comes_before_a_facilitated_one():
    membership = MembershipFactory(role=Membership.Role.SET_FACILITATOR, person__user=UserFactory())
    own = ActionLearningSetFactory(cohort=membership.cohort, name="Z own")
    SetMembershipFactory(action_learning_set=own, membership=membership)
    ActionLearningSetFactory(cohort=membership.cohort, name="A facilitated", set_facilitator=membership)

    (entry,) = selectors.my_programme(user=membership.person.user)

    assert (entry.set_pk, entry.set_name) == (own.pk, "Z own")


def test_my_programme_shows_every_change_on_the_next_read():
    membership = MembershipFactory(person__user=UserFactory())
    user = membership.person.user
    module = ModuleFactory(cohort=membership.cohort, number=1, title="Before")
    own = ActionLearningSetFactory(cohort=membership.cohort, name="Set before")
    SetMembershipFactory(action_learning_set=own, membership=membership)
    project = ImprovementProjectFactory(action_learning_set=own, title="Project before")
    selectors.my_programme(user=user)
    Module.objects.filter(pk=module.pk).update(title="After", state=Module.State.DELIVERED, delivered_at=module.ends_at)
    type(own).objects.filter(pk=own.pk).update(name="Set after")
    ImprovementProject.objects.filter(pk=project.pk).update(
        title="Project after", status=ImprovementProject.Status.STOPPED
    )
    ImprovementProjectFactory(action_learning_set=own, title="A new project")

    (entry,) = selectors.my_programme(user=user)

    assert [(m["title"], m["delivered"]) for m in entry.modules] == [("After", True)]
    assert entry.set_name == "Set after"
    assert [(p["title"], p["status_label"]) for p in entry.projects] == [
        ("A new project", "Idea"),
        ("Project after", "Stopped"),
    ]
