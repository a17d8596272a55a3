"""The PDSA pages: each surveyed module's Plan-Do-Study-Act record beside its survey's headline figures.

The PDSA records belong to ``modules``; these pages live with the surveys because their Study step
shows survey results. Each selector runs a fixed number of queries.
"""

from dataclasses import asdict, dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Q, Subquery

from cohorts.models import Cohort, Membership
from common.compiled import CompiledQuery, instances_from_row, row_columns
from modules.models import ActItem, Attendance, Module, PDSACycle
from modules.selectors import AttendanceFigures, module_attendance_figures, module_list_for_cohort, module_neighbours

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


# The PDSA pages' reads, each a statement compiled once per process (common.compiled): rows of several
# models' columns, read back into instances as select_related would give them.
_MODULE_CYCLE_ROW = ((Module, ""), (PDSACycle, "pdsa_cycle__"))
_ITEM_ROW = ((ActItem, ""), (get_user_model(), "done_by__"), (PDSACycle, "cycle__"), (Module, "cycle__module__"))


def _items(cohort_pk):
    return (
        ActItem.objects.filter(cycle__module__cohort=cohort_pk)
        .order_by("created_at", "pk")
        .values_list(*row_columns(_ITEM_ROW))
    )


def _items_of_two(cohort_pk, before, number):
    return (
        ActItem.objects.filter(cycle__module__cohort=cohort_pk, cycle__module__number__in=[before, number])
        .order_by("created_at", "pk")
        .values_list(*row_columns(_ITEM_ROW))
    )


_ACT_ITEMS = CompiledQuery(_items, cohort_pk=-7423)
# Module numbers are small positive integers: a negative placeholder would make the ORM drop the query.
_ACT_ITEMS_OF_TWO = CompiledQuery(_items_of_two, cohort_pk=-7424, before=32011, number=32012)


def _module_from_row(row, cohort: Cohort) -> tuple[Module, tuple]:
    """A module of the cohort with its PDSA cycle (None if it has none), from a row that starts with
    ``_MODULE_CYCLE_ROW``'s columns; and the rest of the row."""
    (module, cycle), rest = instances_from_row(row, *(model for model, _prefix in _MODULE_CYCLE_ROW))
    module.cohort = cohort
    if cycle.pk is None:
        cycle = None
    else:
        cycle.module = module
    Module.pdsa_cycle.related.set_cached_value(module, cycle)
    return module, rest


def _act_items(rows) -> list[ActItem]:
    items = []
    for row in rows:
        (item, done_by, cycle, module), _rest = instances_from_row(row, *(model for model, _ in _ITEM_ROW))
        cycle.module = module
        item.cycle, item.done_by = cycle, done_by if done_by.pk is not None else None
        items.append(item)
    return items


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


def _modules_with_figures_rows(cohort_pk):
    # Unordered: Membership's default ordering joined cohort and person into the count, for each module.
    active = Membership.objects.active().participants().filter(cohort=OuterRef("cohort")).order_by().values("cohort")
    return (
        Module.objects.filter(cohort=cohort_pk)
        .annotate(
            n_present=Count("attendances", filter=Q(attendances__status=Attendance.Status.PRESENT)),
            n_apologies=Count("attendances", filter=Q(attendances__status=Attendance.Status.APOLOGIES)),
            n_absent=Count("attendances", filter=Q(attendances__status=Attendance.Status.ABSENT)),
            n_active_recorded=Count("attendances", filter=Q(attendances__membership__status=Membership.Status.ACTIVE)),
            n_active=Subquery(active.annotate(n=Count("pk")).values("n")[:1]),
        )
        .order_by("number")
        .values_list(
            *row_columns(_MODULE_CYCLE_ROW), "n_present", "n_apologies", "n_absent", "n_active_recorded", "n_active"
        )
    )


_MODULES_WITH_FIGURES = CompiledQuery(_modules_with_figures_rows, cohort_pk=-7422)


def _modules_with_figures(*, cohort: Cohort) -> list[tuple[Module, AttendanceFigures]]:
    """A cohort's modules (PDSA cycles joined) with their attendance counted in the database."""
    with_figures = []
    for row in _MODULES_WITH_FIGURES.fetchall(cohort_pk=cohort.pk):
        module, (n_present, n_apologies, n_absent, n_active_recorded, n_active) = _module_from_row(row, cohort)
        figures = AttendanceFigures(
            present=n_present,
            apologies=n_apologies,
            absent=n_absent,
            not_recorded=max((n_active or 0) - n_active_recorded, 0),
        )
        with_figures.append((module, figures))
    return with_figures


def pdsa_timeline_for_cohort(*, cohort: Cohort) -> list[PDSAEntry]:
    """The five PDSA cycles of a cohort with what changed and how the headline scores moved after."""
    with_figures = _modules_with_figures(cohort=cohort)
    modules = [m for m, _figures in with_figures]
    figures = {m.pk: f for m, f in with_figures}
    items_by_number: dict[int, list[ActItem]] = {}
    for item in _act_items(_ACT_ITEMS.fetchall(cohort_pk=cohort.pk)):
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
            "survey": _survey_summary_values(survey),
            "act_items": [{"text": i.text, "done": i.done, "done_at": i.done_at} for i in entry.act_items],
            "next_module": None if entry.next_module is None else {"number": entry.next_module.number},
            "moves": _moves_values(entry.moves),
        },
    }


def pdsa_entry_for_module(*, cohort: Cohort, number: int) -> tuple[PDSAEntry | None, list[Module]]:
    """One module's PDSA cycle with everything its edit page shows, and the cohort's modules for navigation."""
    modules = module_list_for_cohort(cohort=cohort)
    for module in modules:
        module.cohort = cohort
    module, previous, following = module_neighbours(modules, number)
    if module is None or not module.has_survey:
        return None, modules
    items = _act_items(_ACT_ITEMS_OF_TWO.fetchall(cohort_pk=cohort.pk, before=number - 1, number=number))
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


def _survey_summary_values(survey: SurveySummary | None) -> dict | None:
    if survey is None:
        return None
    return {
        "invited": survey.invited,
        "responded": survey.responded,
        "response_rate": survey.response_rate,
        "headline": survey.headline,
        "waits_for_close": survey.waits_for_close,
        "results_url": survey.results_url,
    }


def _moves_values(moves: list[ScoreMove]) -> list[dict]:
    return [
        {"label": m.label, "kind": m.kind, "before": m.before, "after": m.after, "direction": m.direction}
        for m in moves
    ]


def pdsa_record_values(entry: PDSAEntry, modules: list[Module], *, cohort: Cohort, here: str, pager_label: str) -> dict:
    """The PDSA record page's parts around its form, as plain values for ``common.drawn``: the
    breadcrumbs (modules/partials/_breadcrumbs.html), the Study step's survey summary and score moves
    (surveys/partials/_survey_summary.html, _moves.html) and the pager of the cohort's PDSA cycles
    (modules/partials/_module_pager.html), each the context its partial reads."""
    module, number = entry.module, entry.module.number

    def neighbour(m: Module | None) -> dict | None:
        return None if m is None else {"number": m.number, "title": m.title, "has_survey": m.has_survey}

    return {
        "breadcrumbs": {
            "cohort": {"pk": cohort.pk, "name": cohort.name},
            "module": {"number": number},
            "here": here,
        },
        "summary": {"survey": _survey_summary_values(entry.survey)},
        "moves": {"moves": _moves_values(entry.moves), "before_number": number, "after_number": number + 1},
        "pager": {
            "modules": [
                {"number": m.number, "title": m.title, "is_delivered": m.is_delivered, "has_survey": m.has_survey}
                for m in modules
            ],
            "module": {"number": module.number},
            "previous": neighbour(entry.previous_module),
            "next": neighbour(entry.next_module),
            "url_name": "surveys:pdsa_cycle_update",
            "cohort": {"pk": cohort.pk},
            "pdsa_only": True,
            "pager_label": pager_label,
        },
    }
