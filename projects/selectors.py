"""Data the pages of the projects app need, fetched in a constant number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from cohorts.models import Membership
from common.compiled import CompiledQuery, attnames, instance
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


def _active_set_memberships(*, names_only: bool = False):
    queryset = SetMembership.objects.filter(membership__status=Membership.Status.ACTIVE).select_related(
        "membership__person"
    )
    if names_only:
        # The list names the whole cohort: loading every column of three rows a person (timestamps above
        # all) cost more than running the query.
        queryset = queryset.only("action_learning_set_id", "membership__person__full_name")
    return Prefetch("set_memberships", queryset=queryset, to_attr="active_set_memberships")


def set_list_for_cohort(*, cohort) -> list[ActionLearningSet]:
    """Every set with its active members (each with the person's name only) and its projects."""
    return list(
        ActionLearningSet.objects.for_cohort(cohort)
        .select_related("set_facilitator__person")
        .prefetch_related(
            _active_set_memberships(names_only=True),
            Prefetch("projects", queryset=ImprovementProject.objects.order_by("title")),
        )
    )


@dataclass
class SetPage:
    """A set's page as one user may see it; the private parts are empty unless ``private``."""

    set: ActionLearningSet
    # Whether the user is inside the set (ActionLearningSet.objects.private_to): sees and changes
    # its meetings, actions and reflections.
    private: bool
    reflections: str = ""
    meetings: list[SetMeeting] = field(default_factory=list)
    open_actions: list[SetAction] = field(default_factory=list)
    done_actions: list[SetAction] = field(default_factory=list)


def set_page(*, cohort, pk: int, user) -> SetPage:
    """Name, members and projects for everyone in the cohort; meetings, actions and reflections
    are read from the database only for those the set's privacy lets in."""
    private = ActionLearningSet.objects.for_cohort(cohort).private_to(user).filter(pk=pk).exists()
    prefetches = [
        _active_set_memberships(),
        Prefetch("projects", queryset=ImprovementProject.objects.order_by("title")),
    ]
    if private:
        prefetches += [
            Prefetch(
                "meetings",
                queryset=SetMeeting.objects.prefetch_related(
                    Prefetch("attendees", queryset=Membership.objects.select_related("person"))
                ),
            ),
            Prefetch("actions", queryset=SetAction.objects.select_related("owner__person")),
        ]
    queryset = (
        ActionLearningSet.objects.for_cohort(cohort)
        .select_related("set_facilitator__person")
        .prefetch_related(*prefetches)
    )
    action_learning_set = get_object_or_404(queryset, pk=pk)
    if not private:
        return SetPage(set=action_learning_set, private=False)
    actions = list(action_learning_set.actions.all())
    return SetPage(
        set=action_learning_set,
        private=True,
        reflections=action_learning_set.reflections,
        meetings=list(action_learning_set.meetings.all()),
        open_actions=[a for a in actions if not a.done],
        done_actions=[a for a in actions if a.done],
    )


def set_ids_private_to(*, cohort, user) -> set[int]:
    return set(ActionLearningSet.objects.for_cohort(cohort).private_to(user).values_list("pk", flat=True))


def set_is_editable_by(*, action_learning_set, user) -> bool:
    return ActionLearningSet.objects.editable_by(user).filter(pk=action_learning_set.pk).exists()


def set_participants_for_assignment(*, cohort) -> list[Membership]:
    """Active participants, each with ``current_set_id`` (None when in no set)."""
    memberships = list(
        Membership.objects.active()
        .participants()
        .filter(cohort=cohort)
        .select_related("person__organisation")
        # What the page shows and the service checks: a cohort's worth of rows, three models each.
        .only(
            *("cohort_id", "person_id", "role", "status"),
            *("person__full_name", "person__profession", "person__organisation__name"),
        )
        .order_by("person__full_name")
    )
    current = dict(SetMembership.objects.filter(cohort=cohort).values_list("membership_id", "action_learning_set_id"))
    for membership in memberships:
        membership.current_set_id = current.get(membership.pk)
    return memberships


def set_unassigned_count(*, cohort) -> int:
    """How many active participants are in no set (one COUNT: the set list shows only the number)."""
    in_a_set = SetMembership.objects.filter(membership=OuterRef("pk"))
    return Membership.objects.active().participants().filter(cohort=cohort).filter(~Exists(in_a_set)).count()


def cohort_members_for_choice(*, cohort):
    return Membership.objects.active().filter(cohort=cohort).select_related("person").order_by("person__full_name")


def project_list_for_cohort(*, cohort) -> list[ImprovementProject]:
    return list(
        ImprovementProject.objects.for_cohort(cohort)
        .select_related("action_learning_set")
        .prefetch_related(Prefetch("measures", queryset=Measure.objects.only("pk", "project_id", "name")))
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
    return instance(ActionLearningSet, **dict(zip(attnames(ActionLearningSet), row, strict=True)))


def project_is_editable_by(*, project, user) -> bool:
    if not user.is_authenticated or user.is_staff:
        return ImprovementProject.objects.editable_by(user).filter(pk=project.pk).exists()
    return _PROJECT_EDITABLE.fetchone(user_id=user.pk, project_pk=project.pk) is not None


def _project_prefetches():
    return [
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
    ]


def project_get(*, cohort, pk: int) -> ImprovementProject:
    """A project with everything its page shows; charts and driver tree attached."""
    queryset = (
        ImprovementProject.objects.for_cohort(cohort)
        .select_related("action_learning_set__set_facilitator__person")
        .prefetch_related(*_project_prefetches())
    )
    project = get_object_or_404(queryset, pk=pk)
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


def measure_get(*, cohort, project_pk: int, pk: int) -> Measure:
    queryset = (
        Measure.objects.for_cohort(cohort)
        .filter(project_id=project_pk)
        .select_related("project__action_learning_set")
        .prefetch_related(
            Prefetch("data_points", queryset=DataPoint.objects.order_by("date")),
            Prefetch(
                "project__pdsa_cycles",
                queryset=ProjectPDSACycle.objects.prefetch_related(
                    Prefetch("measures", queryset=Measure.objects.only("pk"))
                ),
            ),
        )
    )
    measure = get_object_or_404(queryset, pk=pk)
    measure.chart = measure_chart(measure=measure, cycles=list(measure.project.pdsa_cycles.all()))
    return measure


# Module 6 -----------------------------------------------------------------------------------------


def celebration_module(*, cohort) -> Module | None:
    return (
        Module.objects.filter(cohort=cohort)
        .filter(Q(is_celebration=True) | Q(number=6))
        .order_by("-is_celebration")
        .first()
    )


def presentation_list_for_cohort(*, cohort) -> list[Presentation]:
    """The showcase's schedule: each slot with its set's name (its feedback is on the slot's own page)."""
    return list(Presentation.objects.for_cohort(cohort).select_related("action_learning_set"))


def presentation_get(*, cohort, pk: int) -> Presentation:
    return get_object_or_404(
        Presentation.objects.for_cohort(cohort).select_related("action_learning_set", "project"), pk=pk
    )


def presentation_feedback_visible_to(*, presentation, user, is_cohort_facilitator: bool) -> bool:
    """Feedback is shown to the presenting set (and its facilitators), not to everyone."""
    if is_cohort_facilitator:
        return True
    return set_is_editable_by(action_learning_set=presentation.action_learning_set, user=user)


def showcase_for_cohort(*, cohort) -> list[ActionLearningSet]:
    """Every set with its projects, charts, PDSA history and scores: what the showcase shows, nothing
    more (no members, driver diagrams, or PDSA plans: the showcase is the cohort's biggest page). The
    impact report, which shows one chart a project, reads ``projects_for_report``."""
    data_points = DataPoint.objects.only("pk", "measure_id", "date", "value", "note").order_by("date")
    cycles = ProjectPDSACycle.objects.only("pk", "project_id", "title", "start_date", "act", "study").prefetch_related(
        Prefetch("measures", queryset=Measure.objects.only("pk"))
    )
    projects = ImprovementProject.objects.order_by("title").prefetch_related(
        Prefetch("measures", queryset=Measure.objects.prefetch_related(Prefetch("data_points", queryset=data_points))),
        Prefetch("pdsa_cycles", queryset=cycles),
        Prefetch("progress_scores", queryset=ProgressScore.objects.only("pk", "project_id", "score", "recorded_at")),
    )
    sets = list(
        ActionLearningSet.objects.for_cohort(cohort)
        .only("pk", "cohort_id", "name", "reflections")
        .prefetch_related(Prefetch("projects", queryset=projects))
    )
    for action_learning_set in sets:
        for project in action_learning_set.projects.all():
            _attach_charts(project)
    return sets


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
