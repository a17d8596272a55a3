"""The PDSA pages: each surveyed module's Plan-Do-Study-Act record beside its survey's headline figures.

The PDSA records belong to ``modules``; these pages live with the surveys because their Study step
shows survey results. Each selector runs a fixed number of queries.
"""

from dataclasses import asdict, dataclass, field

from django.db.models import Count, OuterRef, Q, Subquery

from cohorts.models import Cohort, Membership
from modules.models import ActItem, Attendance, Module, PDSACycle
from modules.selectors import (
    AttendanceFigures,
    module_attendance_figures,
    module_list_for_cohort,
    module_neighbours,
)

from .summaries import SurveySummary, survey_summaries_for_cohort


@dataclass(frozen=True)
class ScoreMove:
    """How one headline score moved from the module where a change was decided to the next one."""

    code: str
    label: str
    kind: str
    before: float
    after: float

    @property
    def precision(self) -> int:
        return 0 if self.kind == "nps" else 1

    @property
    def direction(self) -> str:
        before, after = round(self.before, self.precision), round(self.after, self.precision)
        if after > before:
            return "up"
        if after < before:
            return "down"
        return "same"


@dataclass
class PDSAEntry:
    module: Module
    cycle: PDSACycle | None
    figures: AttendanceFigures
    survey: SurveySummary | None
    act_items: list[ActItem] = field(default_factory=list)
    planned_from_previous: list[ActItem] = field(default_factory=list)
    previous_module: Module | None = None
    next_module: Module | None = None
    moves: list[ScoreMove] = field(default_factory=list)


def score_moves(before: SurveySummary | None, after: SurveySummary | None) -> list[ScoreMove]:
    """Headline scores present in both summaries, paired by question code."""
    if before is None or after is None:
        return []
    after_by_code = {code: (label, value, kind) for code, label, value, kind in after.headline}
    moves = []
    for code, label, value, kind in before.headline:
        later = after_by_code.get(code)
        if value is None or later is None or later[1] is None:
            continue
        moves.append(ScoreMove(code=code, label=label, kind=kind, before=value, after=later[1]))
    return moves


def _modules_with_figures(*, cohort: Cohort) -> list[tuple[Module, AttendanceFigures]]:
    """A cohort's modules (PDSA cycles joined) with their attendance counted in the database."""
    # Unordered: Membership's default ordering joined cohort and person into the count, for each module.
    active = Membership.objects.active().participants().filter(cohort=OuterRef("cohort")).order_by().values("cohort")
    rows = (
        Module.objects.filter(cohort=cohort)
        .select_related("pdsa_cycle")
        .annotate(
            n_present=Count("attendances", filter=Q(attendances__status=Attendance.Status.PRESENT)),
            n_apologies=Count("attendances", filter=Q(attendances__status=Attendance.Status.APOLOGIES)),
            n_absent=Count("attendances", filter=Q(attendances__status=Attendance.Status.ABSENT)),
            n_active_recorded=Count("attendances", filter=Q(attendances__membership__status=Membership.Status.ACTIVE)),
            n_active=Subquery(active.annotate(n=Count("pk")).values("n")[:1]),
        )
        .order_by("number")
    )
    return [
        (
            m,
            AttendanceFigures(
                present=m.n_present,
                apologies=m.n_apologies,
                absent=m.n_absent,
                not_recorded=max((m.n_active or 0) - m.n_active_recorded, 0),
            ),
        )
        for m in rows
    ]


def pdsa_timeline_for_cohort(*, cohort: Cohort) -> list[PDSAEntry]:
    """The five PDSA cycles of a cohort with what changed and how the headline scores moved after."""
    with_figures = _modules_with_figures(cohort=cohort)
    modules = [m for m, _figures in with_figures]
    figures = {m.pk: f for m, f in with_figures}
    items_by_number: dict[int, list[ActItem]] = {}
    for item in (
        ActItem.objects.filter(cycle__module__cohort=cohort)
        .select_related("done_by", "cycle__module")
        .order_by("created_at", "pk")
    ):
        items_by_number.setdefault(item.cycle.module.number, []).append(item)
    summaries = survey_summaries_for_cohort(cohort=cohort)
    by_number = {m.number: m for m in modules}
    entries = []
    for module in modules:
        if not module.has_survey:
            continue
        survey = summaries.get(module.number)
        entries.append(
            PDSAEntry(
                module=module,
                cycle=getattr(module, "pdsa_cycle", None),
                figures=figures.get(module.pk, AttendanceFigures()),
                survey=survey,
                act_items=items_by_number.get(module.number, []),
                planned_from_previous=items_by_number.get(module.number - 1, []),
                previous_module=by_number.get(module.number - 1),
                next_module=by_number.get(module.number + 1),
                moves=score_moves(survey, summaries.get(module.number + 1)),
            )
        )
    return entries


def pdsa_entry_values(entry: PDSAEntry, *, cohort_pk: int) -> dict:
    """What the PDSA timeline shows of one cycle, as plain values (``common.drawn`` keeps the cycle drawn
    under them)."""
    module, cycle, survey = entry.module, entry.cycle, entry.survey
    return {
        "cohort_pk": cohort_pk,
        "entry": {
            "module": {
                "number": module.number,
                "title": module.title,
                "is_delivered": module.is_delivered,
                "starts_at": module.starts_at,
            },
            "cycle": None
            if cycle is None
            else {
                "plan_intent": cycle.plan_intent,
                "plan_prediction": cycle.plan_prediction,
                "do_notes": cycle.do_notes,
                "study_reading": cycle.study_reading,
            },
            "planned_from_previous": [item.pk for item in entry.planned_from_previous],
            "figures": asdict(entry.figures),
            "survey": None
            if survey is None
            else {
                "invited": survey.invited,
                "responded": survey.responded,
                "response_rate": survey.response_rate,
                "headline": survey.headline,
                "waits_for_close": survey.waits_for_close,
                "results_url": survey.results_url,
            },
            "act_items": [{"text": i.text, "done": i.done, "done_at": i.done_at} for i in entry.act_items],
            "next_module": None if entry.next_module is None else {"number": entry.next_module.number},
            "moves": [
                {"label": m.label, "kind": m.kind, "before": m.before, "after": m.after, "direction": m.direction}
                for m in entry.moves
            ],
        },
    }


def pdsa_entry_for_module(*, cohort: Cohort, number: int) -> tuple[PDSAEntry | None, list[Module]]:
    """One module's PDSA cycle with everything its edit page shows, and the cohort's modules for navigation."""
    modules = module_list_for_cohort(cohort=cohort)
    module, previous, following = module_neighbours(modules, number)
    if module is None or not module.has_survey:
        return None, modules
    items = list(
        ActItem.objects.filter(cycle__module__cohort=cohort, cycle__module__number__in=[number - 1, number])
        .select_related("done_by", "cycle__module")
        .order_by("created_at", "pk")
    )
    summaries = survey_summaries_for_cohort(cohort=cohort)
    entry = PDSAEntry(
        module=module,
        cycle=getattr(module, "pdsa_cycle", None),
        figures=module_attendance_figures(module=module),
        survey=summaries.get(number),
        act_items=[i for i in items if i.cycle.module.number == number],
        planned_from_previous=[i for i in items if i.cycle.module.number == number - 1],
        previous_module=previous,
        next_module=following,
        moves=score_moves(summaries.get(number), summaries.get(number + 1)),
    )
    return entry, modules
