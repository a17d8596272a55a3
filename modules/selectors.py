"""Reads for the module pages; each runs a fixed number of queries. (The PDSA pages, which show survey
results too, read in ``surveys.selectors.pdsa``.)"""

from dataclasses import dataclass

from django.db.models import OuterRef, Q, Subquery

from cohorts.models import Cohort, Membership

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


def module_neighbours(modules: list[Module], number: int) -> tuple[Module | None, Module | None, Module | None]:
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


def attendance_figures_from_register(register: list[RegisterRow]) -> AttendanceFigures:
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
    module, previous, following = module_neighbours(modules, number)
    if module is None:
        return None
    register = module_register(module=module)
    return ModulePage(
        module=module,
        modules=modules,
        previous=previous,
        next=following,
        register=register,
        figures=attendance_figures_from_register(register),
        planned_adjustments=act_items_planned_for(cohort=cohort, number=number),
        cycle=getattr(module, "pdsa_cycle", None),
    )
