"""Reads for the module pages and the PDSA record; each runs a fixed number of queries."""

from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, Subquery

from cohorts.models import Cohort, Membership
from surveys.selectors import SurveySummary, survey_summaries_for_cohort

from .models import ActItem, Attendance, Module, PDSACycle


@dataclass(frozen=True)
class RegisterRow:
    membership: Membership
    status: str | None

    @property
    def is_active(self) -> bool:
        return self.membership.is_active

    @property
    def status_label(self) -> str:
        return Attendance.Status(self.status).label if self.status else ""


@dataclass(frozen=True)
class AttendanceFigures:
    present: int = 0
    apologies: int = 0
    absent: int = 0
    not_recorded: int = 0

    @property
    def recorded(self) -> int:
        return self.present + self.apologies + self.absent


@dataclass
class ModulePage:
    module: Module
    modules: list[Module]
    previous: Module | None
    next: Module | None
    register: list[RegisterRow]
    figures: AttendanceFigures
    planned_adjustments: list[ActItem]
    cycle: PDSACycle | None


def _neighbours(modules: list[Module], number: int) -> tuple[Module | None, Module | None, Module | None]:
    by_number = {m.number: m for m in modules}
    return by_number.get(number), by_number.get(number - 1), by_number.get(number + 1)


def module_list_for_cohort(*, cohort: Cohort) -> list[Module]:
    """A cohort's modules in order, with their PDSA cycles joined in."""
    return list(Module.objects.filter(cohort=cohort).select_related("pdsa_cycle__updated_by").order_by("number"))


def module_register(*, module: Module) -> list[RegisterRow]:
    """Everyone on the attendance register: active participants, and withdrawn ones who have a record."""
    status = Attendance.objects.filter(module=module, membership=OuterRef("pk")).values("status")[:1]
    memberships = (
        Membership.objects.participants()
        .filter(cohort_id=module.cohort_id)
        .select_related("person")
        .annotate(attendance_status=Subquery(status))
        .filter(Q(status=Membership.Status.ACTIVE) | Q(attendance_status__isnull=False))
        .order_by("person__full_name", "pk")
    )
    return [RegisterRow(membership=m, status=m.attendance_status) for m in memberships]


def _figures_from_register(register: list[RegisterRow]) -> AttendanceFigures:
    counts = dict.fromkeys(Attendance.Status.values, 0)
    not_recorded = 0
    for row in register:
        if row.status:
            counts[row.status] += 1
        elif row.is_active:
            not_recorded += 1
    return AttendanceFigures(**counts, not_recorded=not_recorded)


def act_items_planned_for(*, cohort: Cohort, number: int) -> list[ActItem]:
    """The changes decided after module ``number - 1``, to be made in module ``number``."""
    if number <= 1:
        return []
    return list(
        ActItem.objects.filter(cycle__module__cohort=cohort, cycle__module__number=number - 1)
        .select_related("done_by")
        .order_by("created_at", "pk")
    )


def module_page(*, cohort: Cohort, number: int) -> ModulePage | None:
    """Everything the module page shows, or None when the cohort has no such module."""
    modules = module_list_for_cohort(cohort=cohort)
    module, previous, following = _neighbours(modules, number)
    if module is None:
        return None
    register = module_register(module=module)
    return ModulePage(
        module=module,
        modules=modules,
        previous=previous,
        next=following,
        register=register,
        figures=_figures_from_register(register),
        planned_adjustments=act_items_planned_for(cohort=cohort, number=number),
        cycle=getattr(module, "pdsa_cycle", None),
    )


# ---------------------------------------------------------------------------------------------
# The PDSA record


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

    @property
    def act_done(self) -> int:
        return sum(1 for item in self.act_items if item.done)


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
    active = Membership.objects.active().participants().filter(cohort=OuterRef("cohort")).values("cohort")
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
        if module.number > 5:
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


def pdsa_entry_for_module(*, cohort: Cohort, number: int) -> tuple[PDSAEntry | None, list[Module]]:
    """One module's PDSA cycle with everything its edit page shows, and the cohort's modules for navigation."""
    modules = module_list_for_cohort(cohort=cohort)
    module, previous, following = _neighbours(modules, number)
    if module is None or module.number > 5:
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
        figures=_figures_from_register(module_register(module=module)),
        survey=summaries.get(number),
        act_items=[i for i in items if i.cycle.module.number == number],
        planned_from_previous=[i for i in items if i.cycle.module.number == number - 1],
        previous_module=previous,
        next_module=following,
        moves=score_moves(summaries.get(number), summaries.get(number + 1)),
    )
    return entry, modules
