"""Data the pages of the projects app need, fetched in a constant number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Prefetch, Q, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from cohorts.models import Cohort, Membership, Organisation, Person
from common.compiled import CompiledQuery, attnames, instance, instances_from_row
from modules.models import Module

from . import runchart
from .charts import Marker, run_chart_layout
from .models import (
    ActionLearningSet,
    DataPoint,
    DriverNode,
    ImprovementProject,
    Measure,
    Presentation,
    ProgressScore,
    ProjectPDSACycle,
    SetAction,
    SetMeeting,
    SetMembership,
)


def _through(prefix: str, model) -> list[str]:
    return [f"{prefix}__{name}" for name in attnames(model)]


def _prefetched(obj, name: str, model, objects: list) -> None:
    """``obj.<name>.all()`` gives ``objects`` with no query, as ``prefetch_related(name)`` leaves it."""
    queryset = model._default_manager.all()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    if not hasattr(obj, "_prefetched_objects_cache"):
        obj._prefetched_objects_cache = {}
    obj._prefetched_objects_cache[name] = queryset


def _related_ids(model, name: str, *, placeholder: int) -> CompiledQuery:
    """The ids a row's many-to-many field ``name`` holds, in the related model's order, from its
    through table: a statement compiled once per process (``pk``: the row's)."""
    field = model._meta.get_field(name)
    through, source, target = field.remote_field.through, field.m2m_field_name(), field.m2m_reverse_field_name()
    order = [f"{target}__{key}" for key in field.related_model._meta.ordering]
    return CompiledQuery(
        lambda pk: through.objects.filter(**{f"{source}_id": pk}).order_by(*order).values_list(f"{target}_id"),
        pk=placeholder,
    )


def _with_related_ids(obj, name: str, statement: CompiledQuery):
    """``obj`` with ``obj.<name>.all()`` giving the related rows' ids (what a form's initial value
    reads) with no further query, from ``statement`` (``_related_ids``)."""
    model = type(obj)._meta.get_field(name).related_model
    _prefetched(obj, name, model, [instance(model, id=pk) for (pk,) in statement.fetchall(pk=obj.pk)])
    return obj


# The set list's three reads, each a statement compiled once per process (common.compiled).
_SET_LIST_SETS = CompiledQuery(
    lambda cohort_pk: ActionLearningSet.objects.for_cohort(cohort_pk).values_list(
        "pk", "name", "set_facilitator__person__full_name"
    ),
    cohort_pk=-7401,
)
_SET_LIST_MEMBERS = CompiledQuery(
    lambda cohort_pk: (
        SetMembership.objects.filter(action_learning_set__cohort=cohort_pk, membership__status=Membership.Status.ACTIVE)
        .order_by("membership__person__full_name", "pk")
        .values_list("action_learning_set_id", "membership_id", "membership__person__full_name")
    ),
    cohort_pk=-7402,
)
_SET_LIST_PROJECTS = CompiledQuery(
    lambda cohort_pk: (
        ImprovementProject.objects.for_cohort(cohort_pk)
        .order_by("title", "pk")
        .values_list("action_learning_set_id", "pk", "title")
    ),
    cohort_pk=-7403,
)


@dataclass(frozen=True)
class SetListed:
    """A set as the set list shows it: its name, its set facilitator's name (or None), its active
    members as (membership id, name) by name, and its projects as (pk, title) by title."""

    pk: int
    name: str
    facilitator: str | None
    members: tuple[tuple[int, str], ...]
    projects: tuple[tuple[int, str], ...]


def set_list_for_cohort(*, cohort) -> list[SetListed]:
    """Every set of the cohort (by name) with its active members and its projects, as plain values read
    in three statements compiled once per process."""
    members: dict[int, list] = {}
    for set_id, membership_id, name in _SET_LIST_MEMBERS.fetchall(cohort_pk=cohort.pk):
        members.setdefault(set_id, []).append((membership_id, name))
    projects: dict[int, list] = {}
    for set_id, pk, title in _SET_LIST_PROJECTS.fetchall(cohort_pk=cohort.pk):
        projects.setdefault(set_id, []).append((pk, title))
    return [
        SetListed(pk, name, facilitator, tuple(members.get(pk, ())), tuple(projects.get(pk, ())))
        for pk, name, facilitator in _SET_LIST_SETS.fetchall(cohort_pk=cohort.pk)
    ]


@dataclass
class SetPage:
    """A set's page as one user may see it; the private parts are empty unless ``private``."""

    set: ActionLearningSet
    # Whether the user is inside the set (ActionLearningSet.objects.private_to): sees and changes
    # its meetings, actions and reflections.
    private: bool
    reflections: str = ""
    # Each meeting as plain values (set_meetings_values): the page draws them once per process.
    meetings: list[dict] = field(default_factory=list)
    open_actions: list[SetAction] = field(default_factory=list)
    done_actions: list[SetAction] = field(default_factory=list)


def _set_row(user_id, cohort_pk, set_pk):
    user = get_user_model()(pk=user_id)  # signed in, not staff
    return (
        ActionLearningSet.objects.for_cohort(cohort_pk)
        .filter(pk=set_pk)
        .annotate(private=ActionLearningSet.objects.inside(user))
        .values_list(
            *attnames(ActionLearningSet),
            *_through("set_facilitator", Membership),
            *_through("set_facilitator__person", Person),
            "private",
        )
    )


# The set page's reads, each a statement compiled once per process (common.compiled): the set with its
# set facilitator and whether the user may read its private work (private_to), its active members (by
# name), its projects (by title) and, for those inside the set, its actions with their owners: the rows
# the prefetches of a queryset would give, in the same order.
_SET_ROW = CompiledQuery(_set_row, user_id=-7429, cohort_pk=-7421, set_pk=-7422)
_SET_MEMBERS = CompiledQuery(
    lambda set_pk: SetMembership.objects.filter(
        action_learning_set_id=set_pk, membership__status=Membership.Status.ACTIVE
    ).values_list(
        *attnames(SetMembership), *_through("membership", Membership), *_through("membership__person", Person)
    ),
    set_pk=-7423,
)
_SET_PROJECTS = CompiledQuery(
    lambda set_pk: (
        ImprovementProject.objects.filter(action_learning_set_id=set_pk)
        .order_by("title")
        .values_list(*attnames(ImprovementProject))
    ),
    set_pk=-7424,
)
_SET_ACTIONS = CompiledQuery(
    lambda set_pk: SetAction.objects.filter(action_learning_set_id=set_pk).values_list(
        *attnames(SetAction), *_through("owner", Membership), *_through("owner__person", Person)
    ),
    set_pk=-7425,
)


def _membership_of(membership, person, membership_id):
    """The membership of a row's left-joined columns (None where the row has none), with its person."""
    if membership_id is None:
        return None
    membership.person = person
    return membership


def set_page(*, cohort, pk: int, user) -> SetPage:
    """Name, members and projects for everyone in the cohort; meetings, actions and reflections
    are read from the database only for those the set's privacy lets in."""
    signed_in = user.is_authenticated and not user.is_staff
    row = _SET_ROW.fetchone(user_id=user.pk if signed_in else 0, cohort_pk=cohort.pk, set_pk=pk)
    if row is None:
        raise Http404
    (action_learning_set, facilitator, person), (private,) = instances_from_row(
        row, ActionLearningSet, Membership, Person
    )
    if not signed_in:  # staff and the signed-out: the rule as the queryset says it (all sets, or none)
        private = ActionLearningSet.objects.for_cohort(cohort).private_to(user).filter(pk=pk).exists()
    action_learning_set.set_facilitator = _membership_of(facilitator, person, action_learning_set.set_facilitator_id)
    members = []
    for row in _SET_MEMBERS.fetchall(set_pk=pk):
        (set_membership, membership, person), _rest = instances_from_row(row, SetMembership, Membership, Person)
        set_membership.membership = _membership_of(membership, person, set_membership.membership_id)
        members.append(set_membership)
    action_learning_set.active_set_memberships = members
    projects = [instances_from_row(row, ImprovementProject)[0][0] for row in _SET_PROJECTS.fetchall(set_pk=pk)]
    _prefetched(action_learning_set, "projects", ImprovementProject, projects)
    if not private:
        return SetPage(set=action_learning_set, private=False)
    actions = []
    for row in _SET_ACTIONS.fetchall(set_pk=pk):
        (action, owner, person), _rest = instances_from_row(row, SetAction, Membership, Person)
        action.owner = _membership_of(owner, person, action.owner_id)
        actions.append(action)
    return SetPage(
        set=action_learning_set,
        private=True,
        reflections=action_learning_set.reflections,
        meetings=set_meetings_values(set_pk=pk),
        open_actions=[a for a in actions if not a.done],
        done_actions=[a for a in actions if a.done],
    )


def _set_meeting_rows(set_pk):
    # Newest first, each meeting's attendees in the order of Membership's own ordering (as a prefetch
    # of ``attendees`` gives them); a meeting nobody is recorded at comes once, with no name.
    return (
        SetMeeting.objects.filter(action_learning_set_id=set_pk)
        .order_by("-date", "pk", "attendees__cohort", "attendees__role", "attendees__person__full_name")
        .values_list("pk", "date", "notes", "attendees__person__full_name")
    )


# The set page reads its meetings and who came to each in this one statement, compiled once per process.
_SET_MEETINGS = CompiledQuery(_set_meeting_rows, set_pk=-7341)


def set_meetings_values(*, set_pk: int) -> list[dict]:
    """The set's meetings, newest first, as plain values: pk, date, notes and the names of who came."""
    meetings: dict[int, dict] = {}
    for pk, date, notes, name in _SET_MEETINGS.fetchall(set_pk=set_pk):
        meeting = meetings.setdefault(pk, {"pk": pk, "date": date, "notes": notes, "attendees": []})
        if name is not None:
            meeting["attendees"].append(name)
    return list(meetings.values())


def set_is_editable_by(*, action_learning_set, user) -> bool:
    return ActionLearningSet.objects.editable_by(user).filter(pk=action_learning_set.pk).exists()


ASSIGNMENT_MEMBERSHIP_COLUMNS = ("id", "cohort_id", "person_id", "role", "status")
ASSIGNMENT_PERSON_COLUMNS = ("full_name", "profession", "organisation_id")


def _set_participants(cohort_pk):
    # Joined on the membership and its cohort: at most one row (setmembership_one_set_per_cohort).
    current = FilteredRelation("set_memberships", condition=Q(set_memberships__cohort=F("cohort")))
    return (
        Membership.objects.active()
        .participants()
        .filter(cohort=cohort_pk)
        .annotate(set_membership=current)
        .order_by("person__full_name")
        .values_list(
            *ASSIGNMENT_MEMBERSHIP_COLUMNS,
            *(f"person__{name}" for name in ASSIGNMENT_PERSON_COLUMNS),
            "person__organisation__name",
            "set_membership__action_learning_set_id",
        )
    )


# The set assignment's participants, compiled once per process: a cohort's worth of rows.
_SET_PARTICIPANTS = CompiledQuery(_set_participants, cohort_pk=-7405)


def set_participants_for_assignment(*, cohort) -> list[Membership]:
    """Active participants by name, each with its person (name, profession, organisation) and
    ``current_set_id`` (None when in no set: a membership is in at most one set of its cohort), in one
    statement compiled once per process; what the page shows and the service checks, no more."""
    memberships = []
    width = len(ASSIGNMENT_MEMBERSHIP_COLUMNS)
    for row in _SET_PARTICIPANTS.fetchall(cohort_pk=cohort.pk):
        membership = instance(Membership, **dict(zip(ASSIGNMENT_MEMBERSHIP_COLUMNS, row[:width], strict=True)))
        *person_values, organisation_name, membership.current_set_id = row[width:]
        person = instance(
            Person, id=membership.person_id, **dict(zip(ASSIGNMENT_PERSON_COLUMNS, person_values, strict=True))
        )
        organisation_id = person.organisation_id
        person.organisation = (
            None if organisation_id is None else instance(Organisation, id=organisation_id, name=organisation_name)
        )
        membership.person = person
        memberships.append(membership)
    return memberships


def _set_unassigned(cohort_pk):
    in_a_set = SetMembership.objects.filter(membership=OuterRef("pk"))
    return (
        Membership.objects.active()
        .participants()
        .filter(cohort=cohort_pk)
        .filter(~Exists(in_a_set))
        .order_by()
        .values("cohort_id")
        .annotate(n=Count("pk"))
        .values_list("n")
    )


# Compiled once per process, as above; no row when nobody is left out.
_SET_UNASSIGNED = CompiledQuery(_set_unassigned, cohort_pk=-7404)


def set_unassigned_count(*, cohort) -> int:
    """How many active participants are in no set (one COUNT: the set list shows only the number)."""
    row = _SET_UNASSIGNED.fetchone(cohort_pk=cohort.pk)
    return 0 if row is None else row[0]


def set_facilitators_for_choice(*, cohort):
    """Who may facilitate a set: the cohort's active facilitators and set facilitators."""
    roles = [Membership.Role.FACILITATOR, Membership.Role.SET_FACILITATOR]
    return Membership.objects.active().filter(cohort=cohort, role__in=roles).select_related("person")


# Their options (pk, name) as the set form's field reads them, compiled once per process.
_SET_FACILITATOR_ROWS = CompiledQuery(
    lambda cohort_pk: set_facilitators_for_choice(cohort=cohort_pk).values_list("pk", "person__full_name"),
    cohort_pk=-7428,
)


def set_facilitator_choice_rows(*, cohort) -> list[tuple[int, str]]:
    return _SET_FACILITATOR_ROWS.fetchall(cohort_pk=cohort.pk)


def cohort_members_for_choice(*, cohort):
    return Membership.objects.active().filter(cohort=cohort).select_related("person").order_by("person__full_name")


def set_people_for_choice(*, cohort, action_learning_set):
    """Who may be recorded at a set's meeting: the cohort's active members in the set or facilitating it."""
    in_set = cohort_members_for_choice(cohort=cohort).filter(set_memberships__action_learning_set=action_learning_set)
    facilitating = cohort_members_for_choice(cohort=cohort).filter(facilitated_sets=action_learning_set)
    return (in_set | facilitating).distinct()


# Their options (pk, name) as the form's field reads them from that queryset, compiled once per process.
_SET_PEOPLE_ROWS = CompiledQuery(
    lambda cohort_pk, set_pk: set_people_for_choice(cohort=cohort_pk, action_learning_set=set_pk).values_list(
        "pk", "person__full_name"
    ),
    cohort_pk=-7417,
    set_pk=-7418,
)


def set_people_choice_rows(*, cohort, action_learning_set) -> list[tuple[int, str]]:
    return _SET_PEOPLE_ROWS.fetchall(cohort_pk=cohort.pk, set_pk=action_learning_set.pk)


_SET_MEETING = CompiledQuery(
    lambda set_pk, pk: SetMeeting.objects.filter(action_learning_set_id=set_pk, pk=pk).values_list(
        *attnames(SetMeeting)
    ),
    set_pk=-7419,
    pk=-7420,
)


_SET_MEETING_ATTENDEE_IDS = _related_ids(SetMeeting, "attendees", placeholder=-7427)


def set_meeting_get(*, action_learning_set, pk: int, with_attendees: bool = False) -> SetMeeting:
    """The set's meeting ``pk`` (one statement compiled once per process), else 404; ``with_attendees``:
    with the ids of who came (``meeting.attendees.all()``, what its form shows), in another."""
    row = _SET_MEETING.fetchone(set_pk=action_learning_set.pk, pk=pk)
    if row is None:
        raise Http404
    (meeting,), _rest = instances_from_row(row, SetMeeting)
    return _with_related_ids(meeting, "attendees", _SET_MEETING_ATTENDEE_IDS) if with_attendees else meeting


def project_list_for_cohort(*, cohort) -> list[ImprovementProject]:
    """The cohort's projects with their set and ``measure_count`` (the list shows only how many), in one
    query."""
    return list(
        ImprovementProject.objects.for_cohort(cohort)
        .select_related("action_learning_set")
        .annotate(measure_count=Count("measures"))
    )


def _project_editable(user_id, project_pk):
    user = get_user_model()(pk=user_id)  # signed in, not staff
    return ImprovementProject.objects.editable_by(user).filter(pk=project_pk).values_list("pk")[:1]


# Every page that changes a project or its measures asks it, and the rule's three subqueries cost
# more to compile than to run: compiled once per process (common.compiled).
_PROJECT_EDITABLE = CompiledQuery(_project_editable, user_id=-7311, project_pk=-7312)


def _set_private(user_id, cohort_pk, set_pk):
    user = get_user_model()(pk=user_id)  # signed in, not staff
    sets = ActionLearningSet.objects.for_cohort(cohort_pk).private_to(user).filter(pk=set_pk)
    return sets.values_list(*attnames(ActionLearningSet))[:1]


# Every page of a set's private work opens it this way: compiled once per process, as above.
_SET_PRIVATE = CompiledQuery(_set_private, user_id=-7321, cohort_pk=-7322, set_pk=-7323)


def set_private_get(*, cohort, pk: int, user) -> ActionLearningSet:
    """The cohort's set ``pk`` if ``user`` may read its private work (``private_to``), else 404."""
    if not user.is_authenticated or user.is_staff:
        return get_object_or_404(ActionLearningSet.objects.for_cohort(cohort).private_to(user), pk=pk)
    row = _SET_PRIVATE.fetchone(user_id=user.pk, cohort_pk=cohort.pk, set_pk=pk)
    if row is None:
        raise Http404
    (action_learning_set,), _rest = instances_from_row(row, ActionLearningSet)
    return action_learning_set


def project_is_editable_by(*, project, user) -> bool:
    if not user.is_authenticated or user.is_staff:
        return ImprovementProject.objects.editable_by(user).filter(pk=project.pk).exists()
    return _PROJECT_EDITABLE.fetchone(user_id=user.pk, project_pk=project.pk) is not None


# The project page's seven reads, each a statement compiled once per process (common.compiled): the
# project with its set, its driver nodes, measures, their data points, PDSA cycles (with the change
# idea), the measures each cycle names, and its progress scores (with who recorded them). They give
# the rows the prefetches of a queryset would, in the same order (projects/tests/test_selectors.py).
_PROJECT_ROW = CompiledQuery(
    lambda cohort_pk, project_pk: (
        ImprovementProject.objects.for_cohort(cohort_pk)
        .filter(pk=project_pk)
        .values_list(*attnames(ImprovementProject), *_through("action_learning_set", ActionLearningSet))
    ),
    cohort_pk=-7391,
    project_pk=-7392,
)
_PROJECT_NODES = CompiledQuery(
    lambda project_pk: (
        DriverNode.objects.filter(project_id=project_pk).order_by("order", "pk").values_list(*attnames(DriverNode))
    ),
    project_pk=-7393,
)
# The measures in order, each with its data points by date (a row each, or one with none).
_PROJECT_MEASURES = CompiledQuery(
    lambda project_pk: (
        Measure.objects.filter(project_id=project_pk)
        .order_by(*Measure._meta.ordering, "data_points__date", "data_points__pk")
        .values_list(*attnames(Measure), *_through("data_points", DataPoint))
    ),
    project_pk=-7394,
)
# The PDSA cycles in order, each with its change idea and the measures it names, in the measures' order
# (a row each, or one with none).
_PROJECT_CYCLES = CompiledQuery(
    lambda project_pk: (
        ProjectPDSACycle.objects.filter(project_id=project_pk)
        .order_by(*ProjectPDSACycle._meta.ordering, *[f"measures__{name}" for name in Measure._meta.ordering])
        .values_list(
            *attnames(ProjectPDSACycle), *_through("change_idea", DriverNode), "measures__id", "measures__name"
        )
    ),
    project_pk=-7396,
)


def _project_cycles(project_pk: int) -> list[ProjectPDSACycle]:
    """The project's PDSA cycles with their change idea and the measures each names (id and name), as
    the prefetches of ``change_idea`` and ``measures`` give them, from ``_PROJECT_CYCLES``."""
    width = len(attnames(ProjectPDSACycle)) + len(attnames(DriverNode))
    cycles: dict[int, ProjectPDSACycle] = {}
    named: dict[int, list[Measure]] = {}
    for row in _PROJECT_CYCLES.fetchall(project_pk=project_pk):
        cycle_id = row[0]
        if cycle_id not in cycles:
            (cycle, change_idea), _rest = instances_from_row(row[:width], ProjectPDSACycle, DriverNode)
            cycle.change_idea = change_idea if cycle.change_idea_id is not None else None
            cycles[cycle_id] = cycle
            named[cycle_id] = []
        measure_id, name = row[width:]
        if measure_id is not None:
            named[cycle_id].append(instance(Measure, id=measure_id, name=name))
    for cycle_id, cycle in cycles.items():
        _prefetched(cycle, "measures", Measure, named[cycle_id])
    return list(cycles.values())


_PROJECT_SCORES = CompiledQuery(
    lambda project_pk: ProgressScore.objects.filter(project_id=project_pk).values_list(
        *attnames(ProgressScore), *_through("recorded_by", Membership), *_through("recorded_by__person", Person)
    ),
    project_pk=-7398,
)


def project_with_set(*, cohort, pk: int) -> ImprovementProject:
    """The cohort's project ``pk`` with its set (one statement compiled once per process), else 404."""
    row = _PROJECT_ROW.fetchone(cohort_pk=cohort.pk, project_pk=pk)
    if row is None:
        raise Http404
    (project, action_learning_set), _rest = instances_from_row(row, ImprovementProject, ActionLearningSet)
    project.action_learning_set = action_learning_set
    return project


_PDSA_CYCLE = CompiledQuery(
    lambda project_pk, pk: ProjectPDSACycle.objects.filter(project_id=project_pk, pk=pk).values_list(
        *attnames(ProjectPDSACycle)
    ),
    project_pk=-7411,
    pk=-7412,
)


_PDSA_CYCLE_MEASURE_IDS = _related_ids(ProjectPDSACycle, "measures", placeholder=-7426)


def pdsa_cycle_get(*, project, pk: int) -> ProjectPDSACycle:
    """The project's PDSA cycle ``pk`` with the ids of the measures it names (``cycle.measures.all()``,
    what its form shows), in two statements compiled once per process; else 404."""
    row = _PDSA_CYCLE.fetchone(project_pk=project.pk, pk=pk)
    if row is None:
        raise Http404
    (cycle,), _rest = instances_from_row(row, ProjectPDSACycle)
    return _with_related_ids(cycle, "measures", _PDSA_CYCLE_MEASURE_IDS)


# The options of a PDSA cycle's form, as (pk, label) rows in the order its fields read them.
_CHANGE_IDEA_ROWS = CompiledQuery(
    lambda project_pk: DriverNode.objects.filter(project_id=project_pk, kind=DriverNode.Kind.CHANGE_IDEA).values_list(
        "pk", "text"
    ),
    project_pk=-7413,
)
_MEASURE_ROWS = CompiledQuery(
    lambda project_pk: Measure.objects.filter(project_id=project_pk).values_list("pk", "name"),
    project_pk=-7414,
)


def pdsa_cycle_choice_rows(*, project) -> tuple[list[tuple], list[tuple]]:
    """The project's change ideas (pk, text) and measures (pk, name), each in its model's order."""
    return _CHANGE_IDEA_ROWS.fetchall(project_pk=project.pk), _MEASURE_ROWS.fetchall(project_pk=project.pk)


def _sets_editable(user_id, cohort_pk):
    user = get_user_model()(pk=user_id)  # signed in, not staff
    return ActionLearningSet.objects.for_cohort(cohort_pk).editable_by(user).values_list("pk", "name")


_SETS_EDITABLE = CompiledQuery(_sets_editable, user_id=-7415, cohort_pk=-7416)


def set_choices_editable_by(*, cohort, user) -> list[tuple[int, str]]:
    """The cohort's sets ``user`` may change (``editable_by``), as (pk, name) in the sets' order."""
    if not user.is_authenticated or user.is_staff:
        return list(ActionLearningSet.objects.for_cohort(cohort).editable_by(user).values_list("pk", "name"))
    return _SETS_EDITABLE.fetchall(user_id=user.pk, cohort_pk=cohort.pk)


def _project_row_editable(user_id, cohort_pk, project_pk):
    user = get_user_model()(pk=user_id)  # signed in, not staff
    return (
        ImprovementProject.objects.for_cohort(cohort_pk)
        .filter(pk=project_pk)
        .annotate(editable=ActionLearningSet.objects.inside(user, outer="action_learning_set__"))
        .values_list(*attnames(ImprovementProject), *_through("action_learning_set", ActionLearningSet), "editable")
    )


# The project page's project with its set and whether the user may change it (editable_by), in one.
_PROJECT_ROW_EDITABLE = CompiledQuery(_project_row_editable, user_id=-7399, cohort_pk=-7391, project_pk=-7392)


def project_get(*, cohort, pk: int, user=None) -> ImprovementProject:
    """A project with everything its page shows (its set, driver nodes, measures with their data
    points, PDSA cycles with their change idea and measures, progress scores with who recorded them),
    in five statements compiled once per process; charts and driver tree attached. With ``user``, its
    ``can_edit`` too (``project_is_editable_by``), read with the project where ``user`` is signed in
    and not staff."""
    if user is not None and user.is_authenticated and not user.is_staff:
        row = _PROJECT_ROW_EDITABLE.fetchone(user_id=user.pk, cohort_pk=cohort.pk, project_pk=pk)
        if row is None:
            raise Http404
        (project, action_learning_set), (project.can_edit,) = instances_from_row(
            row, ImprovementProject, ActionLearningSet
        )
        project.action_learning_set = action_learning_set
    else:
        project = project_with_set(cohort=cohort, pk=pk)
        if user is not None:
            project.can_edit = project_is_editable_by(project=project, user=user)

    nodes = [instances_from_row(row, DriverNode)[0][0] for row in _PROJECT_NODES.fetchall(project_pk=pk)]
    _prefetched(project, "driver_nodes", DriverNode, nodes)

    width = len(attnames(Measure))
    measures: dict[int, Measure] = {}
    points_of: dict[int, list[DataPoint]] = {}
    for row in _PROJECT_MEASURES.fetchall(project_pk=pk):
        measure_id = row[0]
        if measure_id not in measures:
            (measures[measure_id],), _rest = instances_from_row(row[:width], Measure)
            points_of[measure_id] = []
        if row[width] is not None:
            (point,), _rest = instances_from_row(row[width:], DataPoint)
            points_of[measure_id].append(point)
    for measure_id, measure in measures.items():
        _prefetched(measure, "data_points", DataPoint, points_of[measure_id])
    _prefetched(project, "measures", Measure, list(measures.values()))

    _prefetched(project, "pdsa_cycles", ProjectPDSACycle, _project_cycles(pk))

    scores = []
    for row in _PROJECT_SCORES.fetchall(project_pk=pk):
        (score, membership, person), _rest = instances_from_row(row, ProgressScore, Membership, Person)
        if score.recorded_by_id is None:
            score.recorded_by = None
        else:
            membership.person = person
            score.recorded_by = membership
        scores.append(score)
    _prefetched(project, "progress_scores", ProgressScore, scores)

    _attach_derived(project)
    return project


def _attach_derived(project):
    project.driver_tree = driver_tree(project.driver_nodes.all())
    _attach_charts(project)


def _attach_charts(project):
    cycles = list(project.pdsa_cycles.all())
    for measure in project.measures.all():
        measure.chart = measure_chart(measure=measure, cycles=cycles)


def driver_tree(nodes) -> list[dict]:
    """Nested [{node, children: [...]}] from a flat list of a project's driver nodes."""
    by_parent: dict = {}
    for node in nodes:
        by_parent.setdefault(node.parent_id, []).append(node)

    def build(parent_id):
        return [{"node": n, "children": build(n.pk)} for n in by_parent.get(parent_id, [])]

    return build(None)


def driver_outline(nodes) -> str:
    """The driver diagram as the indented outline its editor uses."""
    lines = []

    def walk(items, level):
        for item in items:
            lines.append("  " * level + "- " + item["node"].text)
            walk(item["children"], level + 1)

    walk(driver_tree(nodes), 0)
    return "\n".join(lines)


RULE_LABELS = {
    runchart.SHIFT: _("Shift"),
    runchart.TREND: _("Trend"),
    runchart.ASTRONOMICAL: _("Astronomical point"),
    runchart.TOO_FEW_RUNS: _("Too few runs"),
    runchart.TOO_MANY_RUNS: _("Too many runs"),
}
RULE_EXPLANATIONS = {
    runchart.SHIFT: _("%(size)s points in a row on one side of the median"),
    runchart.TREND: _("%(size)s points in a row all going %(direction)s"),
    runchart.ASTRONOMICAL: _("a single value far outside the usual range"),
    runchart.TOO_FEW_RUNS: _("%(runs)s runs where at least %(lower)s would be expected by chance"),
    runchart.TOO_MANY_RUNS: _("%(runs)s runs where at most %(upper)s would be expected by chance"),
}
DIRECTION_WORDS = {"up": _("up"), "down": _("down")}


@dataclass
class MeasureChart:
    analysis: runchart.RunChartAnalysis
    layout: dict
    rows: list = field(default_factory=list)
    summary: list = field(default_factory=list)


@dataclass(frozen=True)
class CycleMark:
    """What a run chart marks of a PDSA cycle: when it started, its title, the measures it names."""

    start_date: datetime.date
    title: str
    measure_ids: frozenset[int]


def measure_chart(*, measure: Measure, cycles) -> MeasureChart:
    """Run-chart analysis and SVG geometry of a measure whose data points are prefetched, with its
    project's PDSA cycles (their measures prefetched)."""
    marks = [CycleMark(c.start_date, c.title, frozenset(m.pk for m in c.measures.all())) for c in cycles]
    return measure_chart_from(measure=measure, points=list(measure.data_points.all()), marks=marks)


def measure_chart_from(*, measure: Measure, points: list[DataPoint], marks: list[CycleMark]) -> MeasureChart:
    """The same from the measure's data points in date order and its project's cycles in order: the
    cycles that name the measure are marked on its chart, or all of them if none does."""
    dates = [p.date for p in points]
    values = [p.value for p in points]
    mask = measure.baseline_mask(dates)
    analysis = runchart.analyse(values, baseline=mask)
    related = [c for c in marks if measure.pk in c.measure_ids] or marks
    markers = [Marker(date=c.start_date, label=f"PDSA {i}", title=c.title) for i, c in enumerate(related, start=1)]
    layout = run_chart_layout(dates=dates, values=values, analysis=analysis, baseline_mask=mask, markers=markers)
    rows = [
        {
            "point": p,
            "in_baseline": mask[i],
            "rules": [RULE_LABELS[r] for r in layout["points"][i]["rules"]],
        }
        for i, p in enumerate(points)
    ]
    return MeasureChart(analysis=analysis, layout=layout, rows=rows, summary=_summary(analysis, measure))


def _summary(analysis, measure) -> list[dict]:
    """Plain-language findings (rule, direction, whether it is the better direction)."""
    if not analysis.enough_data:
        return []
    findings = []
    for signal in analysis.signals:
        good = None
        if signal.direction:
            good = signal.direction == measure.better
        text = RULE_EXPLANATIONS[signal.rule] % {
            "size": len(signal.indices),
            "direction": DIRECTION_WORDS.get(signal.direction, ""),
            "runs": analysis.runs,
            "lower": analysis.runs_lower,
            "upper": analysis.runs_upper,
        }
        findings.append({"rule": signal.rule, "label": RULE_LABELS[signal.rule], "text": text, "good": good})
    return findings


# The measure page's reads, each a statement compiled once per process (common.compiled): the measure
# with its project and set, its data points by date; the project's PDSA cycles and the measures each
# names are the project page's own (_PROJECT_CYCLES).
_MEASURE_ROW = CompiledQuery(
    lambda cohort_pk, project_pk, pk: (
        Measure.objects.for_cohort(cohort_pk)
        .filter(project_id=project_pk, pk=pk)
        .values_list(
            *attnames(Measure),
            *_through("project", ImprovementProject),
            *_through("project__action_learning_set", ActionLearningSet),
        )
    ),
    cohort_pk=-7431,
    project_pk=-7432,
    pk=-7433,
)
_MEASURE_POINTS = CompiledQuery(
    lambda measure_pk: (
        DataPoint.objects.filter(measure_id=measure_pk).order_by("date").values_list(*attnames(DataPoint))
    ),
    measure_pk=-7434,
)


def measure_get(*, cohort, project_pk: int, pk: int) -> Measure:
    """The cohort's measure ``pk`` of project ``project_pk`` (else 404) with its project and set, its
    data points by date and its project's PDSA cycles with the measures each names (as prefetched),
    and its ``chart``: three statements compiled once per process."""
    row = _MEASURE_ROW.fetchone(cohort_pk=cohort.pk, project_pk=project_pk, pk=pk)
    if row is None:
        raise Http404
    (measure, project, action_learning_set), _rest = instances_from_row(
        row, Measure, ImprovementProject, ActionLearningSet
    )
    project.action_learning_set = action_learning_set
    measure.project = project
    points = [instances_from_row(row, DataPoint)[0][0] for row in _MEASURE_POINTS.fetchall(measure_pk=pk)]
    _prefetched(measure, "data_points", DataPoint, points)

    cycles = _project_cycles(project.pk)
    _prefetched(project, "pdsa_cycles", ProjectPDSACycle, cycles)

    measure.chart = measure_chart(measure=measure, cycles=cycles)
    return measure


# Module 6 -----------------------------------------------------------------------------------------


def _celebration_modules(cohort):
    return (
        Module.objects.filter(cohort=cohort)
        .filter(Q(is_celebration=True) | Q(number=6))
        .order_by("-is_celebration", "pk")
    )


def celebration_module(*, cohort) -> Module | None:
    return _celebration_modules(cohort).first()


def presentation_list_for_cohort(*, cohort) -> list[Presentation]:
    """The showcase's schedule: each slot with its set's name (its feedback is on the slot's own page)."""
    return list(Presentation.objects.for_cohort(cohort).select_related("action_learning_set"))


SCHEDULE_MODULE_COLUMNS = ("title", "starts_at", "venue")
SCHEDULE_PRESENTATION_COLUMNS = ("pk", "order", "starts_at", "ends_at", "title", "slides")


def _schedule(cohort_pk):
    module = _celebration_modules(OuterRef("pk"))
    return (
        Cohort.objects.filter(pk=cohort_pk)
        .annotate(**{f"module_{name}": Subquery(module.values(name)[:1]) for name in SCHEDULE_MODULE_COLUMNS})
        .order_by("presentations__order", "presentations__pk")
        .values_list(
            *(f"module_{name}" for name in SCHEDULE_MODULE_COLUMNS),
            *(f"presentations__{name}" for name in SCHEDULE_PRESENTATION_COLUMNS),
            "presentations__action_learning_set_id",
            "presentations__action_learning_set__name",
        )
    )


# The showcase's schedule in one statement compiled once per process: the cohort's row (always one)
# with its celebration module's columns as scalar subqueries, a row for each presentation slot.
_SCHEDULE = CompiledQuery(_schedule, cohort_pk=-7389)


def showcase_schedule(*, cohort) -> tuple[Module | None, list[Presentation]]:
    """The celebration module (``celebration_module``: its title, start and venue) and the presentation
    slots in order, each with its set's name (``presentation_list_for_cohort``), in one statement."""
    module, presentations = None, []
    width = len(SCHEDULE_MODULE_COLUMNS)
    for row in _SCHEDULE.fetchall(cohort_pk=cohort.pk):
        if module is None and row[0] is not None:
            module = instance(
                Module, cohort_id=cohort.pk, **dict(zip(SCHEDULE_MODULE_COLUMNS, row[:width], strict=True))
            )
        if row[width] is None:
            continue
        *columns, set_id, set_name = row[width:]
        values = dict(zip(SCHEDULE_PRESENTATION_COLUMNS, columns, strict=True))
        presentation = instance(
            Presentation, id=values.pop("pk"), cohort_id=cohort.pk, action_learning_set_id=set_id, **values
        )
        presentation.action_learning_set = instance(ActionLearningSet, id=set_id, cohort_id=cohort.pk, name=set_name)
        presentations.append(presentation)
    return module, presentations


def presentation_get(*, cohort, pk: int) -> Presentation:
    return get_object_or_404(
        Presentation.objects.for_cohort(cohort).select_related("action_learning_set", "project"), pk=pk
    )


def _presentation_page(user_id, membership_pk, cohort_pk, pk):
    user = get_user_model()(pk=user_id)  # signed in, not staff
    in_set = SetMembership.objects.filter(
        action_learning_set=OuterRef("action_learning_set_id"), membership=membership_pk
    )
    return (
        Presentation.objects.for_cohort(cohort_pk)
        .filter(pk=pk)
        .annotate(in_set=Exists(in_set), editable=ActionLearningSet.objects.inside(user, outer="action_learning_set__"))
        .values_list(
            *attnames(Presentation),
            *_through("action_learning_set", ActionLearningSet),
            *_through("project", ImprovementProject),
            "in_set",
            "editable",
        )
    )


# The presentation page's slot, with its set and project, whether the viewer's membership is in the set
# and whether the viewer may change the set (``editable_by``): one statement compiled once per process.
_PRESENTATION_PAGE = CompiledQuery(_presentation_page, user_id=-7441, membership_pk=-7442, cohort_pk=-7443, pk=-7444)


@dataclass
class PresentationPage:
    presentation: Presentation
    # Whether the viewer's membership is in the presenting set.
    in_set: bool
    # Whether the viewer sees the feedback and may change the slides (presentation_feedback_visible_to).
    show_feedback: bool


def presentation_page(*, cohort, pk: int, user, membership, is_cohort_facilitator: bool) -> PresentationPage:
    """The cohort's presentation ``pk`` (else 404) with its set and project (``presentation_get``), whether
    ``membership`` (the viewer's in the cohort, or None) is in its set, and whether the viewer sees its
    feedback (``presentation_feedback_visible_to``), in one statement."""
    signed_in = user.is_authenticated and not user.is_staff
    row = _PRESENTATION_PAGE.fetchone(
        user_id=user.pk if signed_in else 0,
        membership_pk=membership.pk if membership is not None else 0,
        cohort_pk=cohort.pk,
        pk=pk,
    )
    if row is None:
        raise Http404
    (presentation, action_learning_set, project), (in_set, editable) = instances_from_row(
        row, Presentation, ActionLearningSet, ImprovementProject
    )
    presentation.action_learning_set = action_learning_set
    presentation.project = project if presentation.project_id is not None else None
    if is_cohort_facilitator:
        show_feedback = True
    elif signed_in:
        show_feedback = editable
    else:  # staff and the signed-out: the rule as the queryset says it
        show_feedback = set_is_editable_by(action_learning_set=action_learning_set, user=user)
    return PresentationPage(
        presentation=presentation, in_set=membership is not None and in_set, show_feedback=show_feedback
    )


def presentation_feedback_for_page(*, presentation, shown: bool, author) -> tuple[list | None, object]:
    """The feedback the page lists (every item with its author, oldest first, if ``shown``, else None)
    and ``author``'s own (a membership, or None: none), in one statement."""
    feedback = presentation.feedback.select_related("author__person")
    if not shown:
        mine = None if author is None else feedback.filter(author=author).first()
        return None, mine
    items = list(feedback)
    mine = None if author is None else next((item for item in items if item.author_id == author.pk), None)
    return items, mine


def presentation_feedback_visible_to(*, presentation, user, is_cohort_facilitator: bool) -> bool:
    """Feedback is shown to the presenting set (and its facilitators), not to everyone."""
    if is_cohort_facilitator:
        return True
    return set_is_editable_by(action_learning_set=presentation.action_learning_set, user=user)


# What the showcase shows of a project, as rows (each a tuple of plain values), in this order.
SHOWCASE_PROJECT_COLUMNS = ("pk", "action_learning_set_id", "title", "area", "status", "aim", "progress_score")
SHOWCASE_POINT_COLUMNS = ("id", "measure_id", "date", "value", "note")
SHOWCASE_CYCLE_COLUMNS = ("pk", "project_id", "title", "start_date", "act", "study")
SHOWCASE_SCORE_COLUMNS = ("pk", "project_id", "score", "recorded_at")


@dataclass(frozen=True)
class ShowcaseProject:
    """One project of the showcase as rows of plain values, hashable, so that the rows themselves are
    the key its drawing is kept under: its set (pk, name, reflections), whether the user who reads it
    may read the set's private work, the project (``SHOWCASE_PROJECT_COLUMNS``), each measure (every
    column, ``attnames(Measure)``) with its data points in date order, its PDSA cycles in order each
    with the ids of the measures it names, and its progress scores, newest first."""

    set: tuple
    private: bool
    project: tuple
    measures: tuple[tuple[tuple, tuple[tuple, ...]], ...]
    cycles: tuple[tuple[tuple, frozenset[int]], ...]
    scores: tuple[tuple, ...]


def _in_cohort(model, cohort_pk, path="project__action_learning_set__cohort"):
    return model.objects.filter(**{path: cohort_pk})


def _showcase_projects(user_id, cohort_pk):
    user = get_user_model()(pk=user_id)  # signed in, not staff
    return (
        _in_cohort(ImprovementProject, cohort_pk, "action_learning_set__cohort")
        .annotate(private=ActionLearningSet.objects.inside(user, outer="action_learning_set__"))
        .order_by(
            "action_learning_set__name",
            "action_learning_set_id",
            "title",
            "pk",
            "-progress_scores__recorded_at",
            "-progress_scores__pk",
        )
        .values_list(
            "action_learning_set__name",
            "action_learning_set__reflections",
            "private",
            *SHOWCASE_PROJECT_COLUMNS,
            *(f"progress_scores__{name}" for name in SHOWCASE_SCORE_COLUMNS),
        )
    )


# The showcase's three reads, each a statement compiled once per process (common.compiled): the
# projects (sets by name, projects by title) each with its set, whether the user may read the set's
# private work (``private_to``) and its progress scores newest first (a row each, or one with none);
# the measures in order each with its data points by date (likewise); the PDSA cycles in order each
# with the measures it names (likewise).
_SHOWCASE_PROJECTS = CompiledQuery(_showcase_projects, user_id=-7388, cohort_pk=-7382)
_SHOWCASE_MEASURES = CompiledQuery(
    lambda cohort_pk: (
        _in_cohort(Measure, cohort_pk)
        .order_by("order", "pk", "data_points__date", "data_points__pk")
        .values_list(*attnames(Measure), *(f"data_points__{name}" for name in SHOWCASE_POINT_COLUMNS))
    ),
    cohort_pk=-7383,
)
_SHOWCASE_CYCLES = CompiledQuery(
    lambda cohort_pk: (
        _in_cohort(ProjectPDSACycle, cohort_pk)
        .order_by("start_date", "pk")
        .values_list(*SHOWCASE_CYCLE_COLUMNS, "measures")
    ),
    cohort_pk=-7385,
)


def _grouped(rows, width: int) -> dict[tuple, list[tuple]]:
    """Rows whose first ``width`` columns repeat for each of their children (a LEFT JOIN's), as each
    parent's columns with its children's columns in order (none where the join found none: their
    first column, the child's primary key, is NULL)."""
    grouped: dict[tuple, list[tuple]] = {}
    for row in rows:
        children = grouped.setdefault(row[:width], [])
        if row[width] is not None:
            children.append(row[width:])
    return grouped


def showcase_for_cohort(*, cohort, user) -> list[ShowcaseProject]:
    """Every set's projects, sets by name and projects by title, with what the showcase shows of them
    and nothing more (no members, driver diagrams, or PDSA plans: the showcase is the cohort's biggest
    page), read as plain rows in three statements compiled once per process, no model instances: each
    project's run charts are drawn from its rows and kept under them (``projects.views.showcase``). Each
    project's set says whether ``user`` may read the set's private work (``private_to``: its
    reflections). The impact report, which shows one chart a project, reads ``projects_for_report``."""
    signed_in = user.is_authenticated and not user.is_staff
    projects = _grouped(_SHOWCASE_PROJECTS.fetchall(user_id=user.pk if signed_in else 0, cohort_pk=cohort.pk), 10)
    if not signed_in:  # staff and the signed-out: the rule as the queryset says it (no set, or all)
        private_ids = set(ActionLearningSet.objects.for_cohort(cohort).private_to(user).values_list("pk", flat=True))
    measure_project = attnames(Measure).index("project_id")
    measures_of: dict[int, list] = {}
    for row, points in _grouped(_SHOWCASE_MEASURES.fetchall(cohort_pk=cohort.pk), len(attnames(Measure))).items():
        measures_of.setdefault(row[measure_project], []).append((row, tuple(points)))
    cycles_of: dict[int, list] = {}
    for row, named in _grouped(_SHOWCASE_CYCLES.fetchall(cohort_pk=cohort.pk), len(SHOWCASE_CYCLE_COLUMNS)).items():
        cycles_of.setdefault(row[1], []).append((row, frozenset(measure_id for (measure_id,) in named)))
    showcase = []
    for (name, reflections, private, *project), scores in projects.items():
        pk, set_id = project[0], project[1]
        showcase.append(
            ShowcaseProject(
                set=(set_id, name, reflections),
                private=private if signed_in else set_id in private_ids,
                project=tuple(project),
                measures=tuple(measures_of.get(pk, ())),
                cycles=tuple(cycles_of.get(pk, ())),
                scores=tuple(scores),
            )
        )
    return showcase


def showcase_measure_charts(project: ShowcaseProject) -> list[Measure]:
    """The project's measures, each with its ``chart`` (``measure_chart_from``), from its rows."""
    marks = [CycleMark(row[3], row[2], measure_ids) for row, measure_ids in project.cycles]
    measures = []
    for row, point_rows in project.measures:
        (measure,), _rest = instances_from_row(row, Measure)
        points = [instance(DataPoint, **dict(zip(SHOWCASE_POINT_COLUMNS, p, strict=True))) for p in point_rows]
        measure.chart = measure_chart_from(measure=measure, points=points, marks=marks)
        measures.append(measure)
    return measures


def key_measure(measures: list[Measure]) -> Measure | None:
    """A project's key run chart, of its measures in order: its first outcome measure, else its first."""
    return next((m for m in measures if m.kind == Measure.Kind.OUTCOME), measures[0] if measures else None)


def projects_for_report(*, cohort) -> list[ActionLearningSet]:
    """Every set with its projects (by title), each project's ``key_measure`` with its ``chart`` (or
    None): what the impact report shows, in five queries. Only the key measures' data points are read,
    and the cycles' measures with the cycles themselves."""
    projects = ImprovementProject.objects.order_by("title").prefetch_related("measures")
    sets = list(
        ActionLearningSet.objects.for_cohort(cohort)
        .only("pk", "cohort_id", "name", "reflections")
        .prefetch_related(Prefetch("projects", queryset=projects))
    )
    all_projects = [project for each in sets for project in each.projects.all()]
    for project in all_projects:
        project.key_measure = key_measure(list(project.measures.all()))
    measures = [p.key_measure for p in all_projects if p.key_measure is not None]
    if not measures:
        return sets
    points: dict[int, list[DataPoint]] = {m.pk: [] for m in measures}
    for point in DataPoint.objects.filter(measure__in=measures).only("pk", "measure_id", "date", "value"):
        points[point.measure_id].append(point)
    # One row per cycle and measure it names (one with None for a cycle naming none), in cycle order.
    cycles: dict[int, dict[int, tuple]] = {}
    rows = ProjectPDSACycle.objects.filter(project__in=[m.project_id for m in measures]).values_list(
        "project_id", "pk", "start_date", "title", "measures"
    )
    for project_id, pk, start_date, title, measure_id in rows:
        _date, _title, named = cycles.setdefault(project_id, {}).setdefault(pk, (start_date, title, set()))
        if measure_id is not None:
            named.add(measure_id)
    for measure in measures:
        marks = [
            CycleMark(start_date, title, frozenset(named))
            for start_date, title, named in cycles.get(measure.project_id, {}).values()
        ]
        measure.chart = measure_chart_from(measure=measure, points=points[measure.pk], marks=marks)
    return sets
