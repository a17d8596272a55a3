"""The projects pages' reads compiled once per process (issue 14) give what the querysets they
replaced gave."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Prefetch
from django.http import Http404

from cohorts.models import Membership
from cohorts.tests.factories import CohortFactory, MembershipFactory
from projects import selectors
from projects.models import DataPoint, DriverNode, ImprovementProject, Measure, ProgressScore, ProjectPDSACycle
from projects.tests.factories import (
    DataPointFactory,
    DriverNodeFactory,
    ImprovementProjectFactory,
    MeasureFactory,
    ProjectPDSACycleFactory,
)

pytestmark = pytest.mark.django_db


def _project_with_prefetches(cohort, pk):
    """The queryset ``project_get`` read before its statements were compiled."""
    return (
        ImprovementProject.objects.for_cohort(cohort)
        .select_related("action_learning_set")
        .prefetch_related(
            Prefetch("driver_nodes", queryset=DriverNode.objects.order_by("order", "pk")),
            Prefetch(
                "measures",
                queryset=Measure.objects.prefetch_related(
                    Prefetch("data_points", queryset=DataPoint.objects.order_by("date"))
                ),
            ),
            Prefetch(
                "pdsa_cycles",
                queryset=ProjectPDSACycle.objects.select_related("change_idea").prefetch_related(
                    Prefetch("measures", queryset=Measure.objects.only("pk", "name"))
                ),
            ),
            Prefetch("progress_scores", queryset=ProgressScore.objects.select_related("recorded_by__person")),
        )
        .get(pk=pk)
    )


def _fields(obj, *names):
    return tuple(getattr(obj, name) for name in names)


def _shown(project) -> dict:
    """Everything of a project its page reads, as plain values."""
    return {
        "project": _fields(project, "pk", "title", "area", "status", "aim", "problem", "stakeholders"),
        "score": project.progress_score,
        "set": _fields(project.action_learning_set, "pk", "name", "cohort_id"),
        "nodes": [_fields(n, "pk", "parent_id", "kind", "text", "order") for n in project.driver_nodes.all()],
        "measures": [
            (
                _fields(m, "pk", "name", "kind", "better", "unit", "baseline_points"),
                [_fields(p, "pk", "date", "value", "note") for p in m.data_points.all()],
                m.chart.layout,
                m.chart.summary,
            )
            for m in project.measures.all()
        ],
        "cycles": [
            (
                _fields(c, "pk", "title", "start_date", "end_date", "plan", "act", "act_notes"),
                c.change_idea and c.change_idea.text,
                [(m.pk, m.name) for m in c.measures.all()],
            )
            for c in project.pdsa_cycles.all()
        ],
        "scores": [
            (
                _fields(s, "pk", "score", "note", "recorded_at"),
                s.recorded_by and (s.recorded_by.pk, s.recorded_by.person.full_name),
            )
            for s in project.progress_scores.all()
        ],
    }


@pytest.fixture
def full_project(cohort):
    project = ImprovementProjectFactory(action_learning_set__cohort=cohort, problem="Lost notes", progress_score="2")
    primary = DriverNodeFactory(project=project, order=2, text="Shared handover sheet")
    idea = DriverNodeFactory(project=project, parent=primary, kind=DriverNode.Kind.CHANGE_IDEA, text="Use SBAR")
    DriverNodeFactory(project=project, order=1, text="Time for handover")
    first, second = MeasureFactory(project=project, order=2), MeasureFactory(project=project, order=1, name="Delays")
    for week, value in enumerate([5, 7, 6, 8, 9, 11, 12, 13, 14, 15]):
        DataPointFactory(measure=first, date=datetime.date(2026, 3, 2) - datetime.timedelta(weeks=week), value=value)
    DataPointFactory(measure=second, value=Decimal("1.5"), note="first week")
    cycle = ProjectPDSACycleFactory(project=project, change_idea=idea, start_date=datetime.date(2026, 2, 9))
    cycle.measures.set([first, second])
    ProjectPDSACycleFactory(project=project, start_date=datetime.date(2026, 1, 5), act="adopt")
    recorder = MembershipFactory(cohort=cohort, role=Membership.Role.FACILITATOR)
    at = datetime.datetime(2026, 2, 1, 9, tzinfo=datetime.UTC)
    ProgressScore.objects.create(project=project, score="1", recorded_by=recorder, note="Started", recorded_at=at)
    ProgressScore.objects.create(project=project, score="2", recorded_at=at + datetime.timedelta(days=7))
    ImprovementProjectFactory(action_learning_set=project.action_learning_set)  # another project, not read
    return project


def test_project_get_gives_what_the_prefetching_queryset_gives(cohort, full_project):
    expected = _project_with_prefetches(cohort, full_project.pk)
    selectors._attach_derived(expected)

    project = selectors.project_get(cohort=cohort, pk=full_project.pk)

    assert _shown(project) == _shown(expected)
    assert len(_shown(project)["measures"][0][1]) == 1  # ordered as the measures' own order
    assert [n["node"].text for n in project.driver_tree] == ["Time for handover", "Shared handover sheet"]


def test_project_get_reads_in_five_queries_and_none_more_when_shown(cohort, full_project, django_assert_num_queries):
    with django_assert_num_queries(5):
        project = selectors.project_get(cohort=cohort, pk=full_project.pk)
        _shown(project)


def test_project_get_of_another_cohort_or_missing_is_404(cohort, full_project):
    with pytest.raises(Http404):
        selectors.project_get(cohort=CohortFactory(), pk=full_project.pk)
    with pytest.raises(Http404):
        selectors.project_get(cohort=cohort, pk=full_project.pk + 1000)


def test_project_get_of_a_bare_project(cohort):
    project = ImprovementProjectFactory(action_learning_set__cohort=cohort)

    shown = _shown(selectors.project_get(cohort=cohort, pk=project.pk))

    assert (shown["nodes"], shown["measures"], shown["cycles"], shown["scores"]) == ([], [], [], [])


# The set list ----------------------------------------------------------------------------------


def test_set_list_for_cohort_gives_sets_by_name_with_active_members_and_projects(cohort):
    from cohorts.services import membership_withdraw
    from projects.tests.factories import ActionLearningSetFactory, SetMembershipFactory

    facilitator = MembershipFactory(cohort=cohort, role=Membership.Role.SET_FACILITATOR, person__full_name="Ann Lee")
    birch = ActionLearningSetFactory(cohort=cohort, name="Birch", set_facilitator=facilitator)
    alder = ActionLearningSetFactory(cohort=cohort, name="Alder")
    zoe = SetMembershipFactory(action_learning_set=birch, membership__person__full_name="Zoe Ray")
    bob = SetMembershipFactory(action_learning_set=birch, membership__person__full_name="Bob Day")
    gone = SetMembershipFactory(action_learning_set=birch, membership__person__full_name="Cy Gone")
    membership_withdraw(membership=gone.membership)
    second = ImprovementProjectFactory(action_learning_set=birch, title="Wards")
    first = ImprovementProjectFactory(action_learning_set=birch, title="Clinics")
    ActionLearningSetFactory(name="Elsewhere")  # another cohort's

    listed = selectors.set_list_for_cohort(cohort=cohort)

    assert [s.pk for s in listed] == [alder.pk, birch.pk]
    assert listed[0] == selectors.SetListed(alder.pk, "Alder", None, (), ())
    assert listed[1].facilitator == "Ann Lee"
    assert listed[1].members == ((bob.membership_id, "Bob Day"), (zoe.membership_id, "Zoe Ray"))
    assert listed[1].projects == ((first.pk, "Clinics"), (second.pk, "Wards"))


def test_set_unassigned_count_is_zero_when_everyone_is_in_a_set(cohort):
    from projects.tests.factories import SetMembershipFactory

    assert selectors.set_unassigned_count(cohort=cohort) == 0
    SetMembershipFactory(action_learning_set__cohort=cohort)
    assert selectors.set_unassigned_count(cohort=cohort) == 0


# The form pages' reads ---------------------------------------------------------------------------


def test_project_with_set_pdsa_cycle_get_and_set_meeting_get_stay_inside_their_parent(cohort, full_project):
    from projects.models import SetMeeting

    other = ImprovementProjectFactory(action_learning_set__cohort=cohort)
    cycle = full_project.pdsa_cycles.first()
    meeting = SetMeeting.objects.create(
        action_learning_set=full_project.action_learning_set, date=datetime.date(2026, 3, 4), notes="Met"
    )

    project = selectors.project_with_set(cohort=cohort, pk=full_project.pk)
    assert (project.pk, project.action_learning_set.name) == (full_project.pk, full_project.action_learning_set.name)
    assert selectors.pdsa_cycle_get(project=full_project, pk=cycle.pk).title == cycle.title
    assert selectors.set_meeting_get(action_learning_set=full_project.action_learning_set, pk=meeting.pk).notes == "Met"
    for call in (
        lambda: selectors.project_with_set(cohort=CohortFactory(), pk=full_project.pk),
        lambda: selectors.pdsa_cycle_get(project=other, pk=cycle.pk),
        lambda: selectors.set_meeting_get(action_learning_set=other.action_learning_set, pk=meeting.pk),
    ):
        with pytest.raises(Http404):
            call()


def test_pdsa_cycle_choice_rows_are_the_form_fields_rows(full_project):
    ideas, measures = selectors.pdsa_cycle_choice_rows(project=full_project)

    assert ideas == list(full_project.driver_nodes.filter(kind="change_idea").values_list("pk", "text"))
    assert measures == list(full_project.measures.values_list("pk", "name"))
    assert len(ideas) == 1
    assert len(measures) == 2


def test_set_people_choice_rows_are_the_querysets_rows(cohort):
    from projects.tests.factories import ActionLearningSetFactory, SetMembershipFactory

    facilitator = MembershipFactory(cohort=cohort, role=Membership.Role.SET_FACILITATOR, person__full_name="Ann Lee")
    the_set = ActionLearningSetFactory(cohort=cohort, set_facilitator=facilitator)
    SetMembershipFactory(action_learning_set=the_set, membership__person__full_name="Zoe Ray")
    SetMembershipFactory(action_learning_set=the_set, membership__person__full_name="Bob Day")
    SetMembershipFactory(action_learning_set__cohort=cohort)  # in another set

    rows = selectors.set_people_choice_rows(cohort=cohort, action_learning_set=the_set)

    queryset = selectors.set_people_for_choice(cohort=cohort, action_learning_set=the_set)
    assert rows == list(queryset.values_list("pk", "person__full_name"))
    assert [name for _pk, name in rows] == ["Ann Lee", "Bob Day", "Zoe Ray"]


def test_set_choices_editable_by_follow_the_edit_rule(cohort, facilitator):
    from cohorts.tests.factories import UserFactory
    from projects.models import ActionLearningSet
    from projects.tests.factories import ActionLearningSetFactory, participant_in_set

    birch, alder = (
        ActionLearningSetFactory(cohort=cohort, name="Birch"),
        ActionLearningSetFactory(cohort=cohort, name="Alder"),
    )
    member = participant_in_set(birch)
    ActionLearningSetFactory(name="Elsewhere")
    staff = UserFactory(is_staff=True)

    for user, expected in (
        (member, [(birch.pk, "Birch")]),
        (facilitator, [(alder.pk, "Alder"), (birch.pk, "Birch")]),
        (UserFactory(), []),
        (staff, [(alder.pk, "Alder"), (birch.pk, "Birch")]),
    ):
        rows = selectors.set_choices_editable_by(cohort=cohort, user=user)
        editable = ActionLearningSet.objects.for_cohort(cohort).editable_by(user).values_list("pk", "name")
        assert rows == list(editable) == expected


# The set page ----------------------------------------------------------------------------------


def _set_shown(page) -> dict:
    the_set = page.set
    facilitator = the_set.set_facilitator
    return {
        "set": (the_set.pk, the_set.name, the_set.reflections),
        "facilitator": facilitator and (facilitator.pk, facilitator.person.full_name),
        "members": [
            (sm.pk, sm.membership_id, sm.membership.person.full_name, sm.membership.person.job_title)
            for sm in the_set.active_set_memberships
        ],
        "projects": [(p.pk, p.title, p.get_status_display()) for p in the_set.projects.all()],
        "private": page.private,
        "actions": [
            (a.pk, a.description, a.done, a.due_date, a.owner and a.owner.person.full_name)
            for a in [*page.open_actions, *page.done_actions]
        ],
    }


def test_set_page_gives_what_the_prefetching_queryset_gives(cohort, facilitator):
    from cohorts.services import membership_withdraw
    from cohorts.tests.factories import UserFactory
    from projects.models import ActionLearningSet, SetAction
    from projects.tests.factories import ActionLearningSetFactory, SetMembershipFactory, participant_in_set

    set_facilitator = MembershipFactory(cohort=cohort, role=Membership.Role.SET_FACILITATOR, person__full_name="Al B")
    the_set = ActionLearningSetFactory(cohort=cohort, set_facilitator=set_facilitator, reflections="We learnt")
    member = participant_in_set(the_set, person__full_name="Zoe Ray", person__job_title="Nurse")
    owner = SetMembershipFactory(action_learning_set=the_set, membership__person__full_name="Bob Day").membership
    gone = SetMembershipFactory(action_learning_set=the_set)
    membership_withdraw(membership=gone.membership)
    ImprovementProjectFactory(action_learning_set=the_set, title="Wards")
    ImprovementProjectFactory(action_learning_set=the_set, title="Clinics")
    SetAction.objects.create(action_learning_set=the_set, description="Ask", owner=owner)
    SetAction.objects.create(action_learning_set=the_set, description="Done it", done=True)
    SetAction.objects.create(action_learning_set=the_set, description="Soon", due_date=datetime.date(2026, 3, 1))
    bare = ActionLearningSetFactory(cohort=cohort)
    outsider = participant_in_set(bare)

    for user, pk in ((member, the_set.pk), (facilitator, the_set.pk), (outsider, the_set.pk), (member, bare.pk)):
        page = selectors.set_page(cohort=cohort, pk=pk, user=user)
        expected = (
            ActionLearningSet.objects.select_related("set_facilitator__person")
            .prefetch_related(
                Prefetch(
                    "set_memberships",
                    queryset=selectors.SetMembership.objects.filter(
                        membership__status=Membership.Status.ACTIVE
                    ).select_related("membership__person"),
                    to_attr="active_set_memberships",
                ),
                Prefetch("projects", queryset=ImprovementProject.objects.order_by("title")),
            )
            .get(pk=pk)
        )
        actions = list(SetAction.objects.filter(action_learning_set=expected).select_related("owner__person"))
        private = pk == the_set.pk and user != outsider
        reference = selectors.SetPage(
            set=expected,
            private=private,
            open_actions=[a for a in actions if not a.done] if private else [],
            done_actions=[a for a in actions if a.done] if private else [],
        )
        assert _set_shown(page) == _set_shown(reference)
    assert _set_shown(selectors.set_page(cohort=cohort, pk=the_set.pk, user=member))["actions"][0][1] == "Soon"
    with pytest.raises(Http404):
        selectors.set_page(cohort=CohortFactory(), pk=the_set.pk, user=UserFactory(is_staff=True))


def test_pdsa_cycle_get_and_set_meeting_get_carry_what_their_forms_show(cohort, full_project):
    from projects.forms import PDSACycleForm, SetMeetingForm
    from projects.models import SetMeeting

    cycle = full_project.pdsa_cycles.get(change_idea__isnull=False)
    meeting = SetMeeting.objects.create(
        action_learning_set=full_project.action_learning_set, date=datetime.date(2026, 3, 4)
    )
    people = MembershipFactory.create_batch(2, cohort=cohort)
    meeting.attendees.set(people)

    read_cycle = selectors.pdsa_cycle_get(project=full_project, pk=cycle.pk)
    read_meeting = selectors.set_meeting_get(
        action_learning_set=full_project.action_learning_set, pk=meeting.pk, with_attendees=True
    )

    assert sorted(m.pk for m in read_cycle.measures.all()) == sorted(cycle.measures.values_list("pk", flat=True))
    assert len(read_cycle.measures.all()) == 2
    assert sorted(p.pk for p in read_meeting.attendees.all()) == sorted(p.pk for p in people)
    rows = ([], [])
    assert sorted(
        PDSACycleForm(project=full_project, choice_rows=rows, instance=read_cycle)["measures"].value()
    ) == sorted(PDSACycleForm(project=full_project, choice_rows=rows, instance=cycle)["measures"].value())
    assert sorted(SetMeetingForm(people=None, people_rows=[], instance=read_meeting)["attendees"].value()) == sorted(
        p.pk for p in people
    )


def test_set_facilitator_choice_rows_are_the_set_forms_rows(cohort, facilitator):
    from cohorts.services import membership_withdraw
    from projects.forms import SetForm

    MembershipFactory(cohort=cohort, role=Membership.Role.SET_FACILITATOR, person__full_name="Ann Lee")
    membership_withdraw(membership=MembershipFactory(cohort=cohort, role=Membership.Role.SET_FACILITATOR))
    MembershipFactory(cohort=cohort)  # a participant
    MembershipFactory(role=Membership.Role.FACILITATOR)  # another cohort's

    rows = selectors.set_facilitator_choice_rows(cohort=cohort)

    assert rows == list(SetForm(cohort=cohort).fields["set_facilitator"].choices)[1:]
    assert len(rows) == 2
    assert list(SetForm(cohort=cohort, facilitator_rows=rows).fields["set_facilitator"].choices)[1:] == rows


def _schedule_shown(module, presentations):
    return (
        None if module is None else (module.title, module.starts_at, module.venue),
        [
            (p.pk, p.order, p.starts_at, p.ends_at, p.title, bool(p.slides), p.action_learning_set.name)
            for p in presentations
        ],
    )


def test_showcase_schedule_gives_the_celebration_module_and_slots_as_their_own_reads(django_assert_num_queries):
    from modules.models import Module
    from modules.tests.factories import ModuleFactory
    from projects.tests.factories import ActionLearningSetFactory, PresentationFactory

    cohort = CohortFactory()
    Module.objects.filter(cohort=cohort).delete()

    def check():
        with django_assert_num_queries(1):
            got = selectors.showcase_schedule(cohort=cohort)
        expected = (selectors.celebration_module(cohort=cohort), selectors.presentation_list_for_cohort(cohort=cohort))
        assert _schedule_shown(*got) == _schedule_shown(*expected)
        return got

    assert check() == (None, [])
    ModuleFactory(cohort=cohort, number=5, title="Not the celebration")
    assert check() == (None, [])
    ModuleFactory(cohort=cohort, number=6, title="Module six", venue="Hall")
    assert check()[0].title == "Module six"
    ModuleFactory(cohort=cohort, number=4, title="The celebration", is_celebration=True, venue="Garden")
    assert check()[0].venue == "Garden"
    alder, birch = (
        ActionLearningSetFactory(cohort=cohort, name="Alder"),
        ActionLearningSetFactory(cohort=cohort, name="Birch"),
    )
    PresentationFactory(action_learning_set=birch, order=2, slides="slides/b.pdf")
    PresentationFactory(action_learning_set=alder, order=1)
    PresentationFactory(action_learning_set=alder, order=3)
    PresentationFactory()  # another cohort's
    module, presentations = check()
    assert [p.order for p in presentations] == [1, 2, 3]
    assert [p.action_learning_set.name for p in presentations] == ["Alder", "Birch", "Alder"]
    assert module.title == "The celebration"
    Module.objects.filter(cohort=cohort).delete()
    assert check()[0] is None


def test_set_participants_for_assignment_gives_each_participants_set_in_one_statement(django_assert_num_queries):
    from projects.models import SetMembership
    from projects.tests.factories import ActionLearningSetFactory, participant_in_set

    cohort = CohortFactory()
    alder, birch = ActionLearningSetFactory(cohort=cohort), ActionLearningSetFactory(cohort=cohort)
    in_alder, in_birch = participant_in_set(alder), participant_in_set(birch)
    in_none = MembershipFactory(cohort=cohort)
    participant_in_set(ActionLearningSetFactory())  # another cohort's
    with django_assert_num_queries(1):
        participants = selectors.set_participants_for_assignment(cohort=cohort)
    got = {m.pk: m.current_set_id for m in participants}
    expected = dict(SetMembership.objects.filter(cohort=cohort).values_list("membership_id", "action_learning_set_id"))
    assert got == {pk: expected.get(pk) for pk in got}
    membership = {user: Membership.objects.get(person__user=user, cohort=cohort).pk for user in (in_alder, in_birch)}
    assert got == {membership[in_alder]: alder.pk, membership[in_birch]: birch.pk, in_none.pk: None}
    Membership.objects.filter(pk=in_none.pk).update(person=MembershipFactory(person__organisation=None).person)
    withdrawn = MembershipFactory(cohort=cohort)
    Membership.objects.filter(pk=withdrawn.pk).update(
        status=Membership.Status.WITHDRAWN, withdrawn_on=cohort.start_date
    )
    MembershipFactory(cohort=cohort, role=Membership.Role.FACILITATOR)
    expected = Membership.objects.active().participants().filter(cohort=cohort).order_by("person__full_name")

    def shown(memberships):
        return [
            (
                m.pk,
                m.role,
                m.is_active,
                m.person.full_name,
                m.person.get_profession_display(),
                str(m.person.organisation or ""),
            )
            for m in memberships
        ]

    rows = shown(selectors.set_participants_for_assignment(cohort=cohort))
    assert rows == shown(expected)
    assert "" in [row[-1] for row in rows]


def test_presentation_feedback_for_page_lists_it_to_those_who_see_it_and_finds_the_authors_own(
    django_assert_num_queries,
):
    from projects.models import PresentationFeedback
    from projects.tests.factories import PresentationFactory

    presentation = PresentationFactory()
    cohort = presentation.cohort
    first, second, outsider = (MembershipFactory(cohort=cohort) for _ in range(3))
    for author, text in ((second, "Second"), (first, "First")):
        PresentationFeedback.objects.create(presentation=presentation, author=author, went_well=text)
    PresentationFeedback.objects.create(presentation=PresentationFactory(), author=outsider, went_well="Elsewhere")
    for shown in (True, False):
        for author in (first, second, outsider, None):
            expected_mine = PresentationFeedback.objects.filter(presentation=presentation, author=author).first()
            with django_assert_num_queries(0 if not shown and author is None else 1):
                feedback, mine = selectors.presentation_feedback_for_page(
                    presentation=presentation, shown=shown, author=author
                )
            assert mine == (expected_mine if author is not None else None)
            if shown:
                assert [item.went_well for item in feedback] == ["Second", "First"]
                assert [item.author.person.full_name for item in feedback] == [
                    second.person.full_name,
                    first.person.full_name,
                ]
            else:
                assert feedback is None


def test_project_list_for_cohort_counts_each_projects_measures_in_one_query(django_assert_num_queries):
    from projects.tests.factories import ActionLearningSetFactory

    cohort = CohortFactory()
    action_learning_set = ActionLearningSetFactory(cohort=cohort)
    bare = ImprovementProjectFactory(action_learning_set=action_learning_set, title="A bare project")
    measured = ImprovementProjectFactory(action_learning_set=action_learning_set, title="B measured")
    for _ in range(3):
        DataPointFactory(measure=MeasureFactory(project=measured))
    MeasureFactory(project=ImprovementProjectFactory())  # another cohort's
    with django_assert_num_queries(1):
        projects = selectors.project_list_for_cohort(cohort=cohort)
        shown = [(p.pk, p.action_learning_set.name, p.measure_count) for p in projects]
    assert shown == [(bare.pk, action_learning_set.name, 0), (measured.pk, action_learning_set.name, 3)]
