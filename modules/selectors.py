"""Reads for the module pages and the home and cohort pages; each runs a fixed number of queries.
(The PDSA pages, which show survey results too, read in ``surveys.selectors.pdsa``.)"""

import hashlib
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, FilteredRelation, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from cohorts.charts import profession_chart
from cohorts.models import Cohort, Membership, ModuleOutline, Organisation, Person, Programme
from cohorts.selectors import ProfessionCount, profession_mix
from common.compiled import CompiledQuery, attnames, instance, instances_from_row, row_columns
from common.models import choice_label

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


def _modules_with_cycles(cohort_pk):
    return Module.objects.filter(cohort_id=cohort_pk).order_by("number").values_list(*row_columns(_MODULE_ROW))


# A module with its PDSA cycle and who last saved it: the columns of each, in this order.
_MODULE_ROW = ((Module, ""), (PDSACycle, "pdsa_cycle__"), (get_user_model(), "pdsa_cycle__updated_by__"))
# The module and PDSA pages read these on every request: compiled once per process (common.compiled), as
# compiling the statement cost more CPU than running it (issue 14).
_MODULES_WITH_CYCLES = CompiledQuery(_modules_with_cycles, cohort_pk=-7403)


def module_list_for_cohort(*, cohort: Cohort) -> list[Module]:
    """A cohort's modules in order, with their PDSA cycles (None where a module has none) and each
    cycle's ``updated_by`` loaded, as ``select_related("pdsa_cycle__updated_by")`` loads them."""
    modules = []
    for row in _MODULES_WITH_CYCLES.fetchall(cohort_pk=cohort.pk):
        (module, cycle, user), _rest = instances_from_row(row, *(model for model, _prefix in _MODULE_ROW))
        if cycle.pk is None:
            cycle = None
        else:
            _CYCLE_UPDATED_BY.set_cached_value(cycle, None if user.pk is None else user)
            _CYCLE_MODULE.set_cached_value(cycle, module)
        _MODULE_CYCLE.set_cached_value(module, cycle)
        modules.append(module)
    return modules


_MODULE_CYCLE = Module.pdsa_cycle.related
_CYCLE_MODULE = PDSACycle.module.field
_CYCLE_UPDATED_BY = PDSACycle.updated_by.field


_REGISTER_MEMBERSHIP = ("id", "cohort_id", "person_id", "role", "status", "withdrawn_on")
_REGISTER_PERSON = ("id", "full_name", "job_title", "profession")


def _register(module_pk, cohort_pk):
    # Unordered: one row at most (one mark per module and person), and Attendance's default ordering
    # would join module, cohort and person again for each row of the register.
    status = Attendance.objects.filter(module_id=module_pk, membership=OuterRef("pk")).order_by().values("status")[:1]
    return (
        Membership.objects.participants()
        .filter(cohort_id=cohort_pk)
        .annotate(attendance_status=Subquery(status))
        .filter(Q(status=Membership.Status.ACTIVE) | Q(attendance_status__isnull=False))
        .order_by("person__full_name", "pk")
        # Only what the register shows and its version needs: a cohort's worth of rows.
        .values_list(*_REGISTER_MEMBERSHIP, *("person__" + name for name in _REGISTER_PERSON), "attendance_status")
    )


# The module page reads the register on every request: compiled once per process (common.compiled).
_REGISTER = CompiledQuery(_register, module_pk=-7404, cohort_pk=-7405)


def module_register(*, module: Module) -> list[RegisterRow]:
    """Everyone on the attendance register: active participants, and withdrawn ones who have a record.
    Each row's membership holds only the columns above (the others deferred), with its person."""
    rows = []
    split = len(_REGISTER_MEMBERSHIP)
    for row in _REGISTER.fetchall(module_pk=module.pk, cohort_pk=module.cohort_id):
        membership = instance(Membership, **dict(zip(_REGISTER_MEMBERSHIP, row[:split], strict=True)))
        person = instance(Person, **dict(zip(_REGISTER_PERSON, row[split:-1], strict=True)))
        _MEMBERSHIP_PERSON.set_cached_value(membership, person)
        rows.append(RegisterRow(membership=membership, status=row[-1]))
    return rows


_MEMBERSHIP_PERSON = Membership.person.field


def register_version(register: list[RegisterRow]) -> str:
    """A token of the register's marks (common.versions): the same marks give the same token."""
    marks = ";".join(
        f"{row.membership.pk}:{row.status or ''}" for row in sorted(register, key=lambda r: r.membership.pk)
    )
    return hashlib.sha256(marks.encode()).hexdigest()[:32]


def attendance_figures_from_register(register: list[RegisterRow]) -> AttendanceFigures:
    counts = dict.fromkeys(Attendance.Status.values, 0)
    not_recorded = 0
    for row in register:
        if row.status:
            counts[row.status] += 1
        elif row.is_active:
            not_recorded += 1
    return AttendanceFigures(**counts, not_recorded=not_recorded)


def module_attendance_figures(*, module: Module) -> AttendanceFigures:
    """The register's figures counted in the database (one query), for a page that shows them without
    the register: what ``attendance_figures_from_register(module_register(module=module))`` gives."""
    row = _ATTENDANCE_FIGURES.fetchone(module_pk=module.pk, cohort_pk=module.cohort_id)
    return AttendanceFigures(**dict(zip(_FIGURE_NAMES, row, strict=True))) if row else AttendanceFigures()


_FIGURE_NAMES = (*Attendance.Status.values, "not_recorded")


def _attendance_figures(module_pk, cohort_pk):
    return (
        Membership.objects.participants()
        .filter(cohort_id=cohort_pk)
        .alias(mark=FilteredRelation("attendances", condition=Q(attendances__module_id=module_pk)))
        .values("cohort_id")
        .annotate(
            **{status: Count("pk", filter=Q(mark__status=status)) for status in Attendance.Status.values},
            not_recorded=Count("pk", filter=Q(status=Membership.Status.ACTIVE, mark__isnull=True)),
        )
        .order_by()
        .values_list(*_FIGURE_NAMES)
    )


# The module and PDSA pages count the register on every request: compiled once per process
# (common.compiled), as compiling it cost more CPU than running it (issue 14). No participants: no row.
_ATTENDANCE_FIGURES = CompiledQuery(_attendance_figures, module_pk=-7401, cohort_pk=-7402)


def _act_items_of_module(cohort_pk, number):
    return (
        ActItem.objects.filter(cycle__module__cohort_id=cohort_pk, cycle__module__number=number)
        .order_by("created_at", "pk")
        .values_list(*row_columns(_ACT_ITEM_ROW))
    )


# An act item with who ticked it off: the columns of each, in this order.
_ACT_ITEM_ROW = ((ActItem, ""), (get_user_model(), "done_by__"))
# The module page reads them on every request: compiled once per process (common.compiled). The number's
# placeholder is in its field's range (Django finds nothing for an out-of-range value without a query).
_ACT_ITEMS_OF_MODULE = CompiledQuery(_act_items_of_module, cohort_pk=-7414, number=7415)


def act_items_planned_for(*, cohort: Cohort, number: int) -> list[ActItem]:
    """The changes decided after module ``number - 1``, to be made in module ``number``, each with its
    ``done_by`` loaded (None if not ticked off), in one statement."""
    if number <= 1:
        return []
    items = []
    for row in _ACT_ITEMS_OF_MODULE.fetchall(cohort_pk=cohort.pk, number=number - 1):
        (item, user), _rest = instances_from_row(row, *(model for model, _prefix in _ACT_ITEM_ROW))
        ActItem.done_by.field.set_cached_value(item, None if user.pk is None else user)
        items.append(item)
    return items


def module_get(*, cohort: Cohort, number: int) -> Module | None:
    """Module ``number`` of the cohort (None when it has none), for a page that shows it alone."""
    module = Module.objects.filter(cohort=cohort, number=number).first()
    if module is not None:
        module.cohort = cohort
    return module


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


def module_pager_values(page: ModulePage, *, url_name: str, label: str) -> dict:
    """What ``modules/partials/_module_pager.html`` shows under the module page, as plain values
    (``common.drawn`` keeps the pager drawn under them): each module's number, title and whether it has
    a survey and was delivered, and which one is shown, its previous and its next."""

    def shown(module: Module | None) -> dict | None:
        if module is None:
            return None
        return {
            "number": module.number,
            "title": module.title,
            "has_survey": module.has_survey,
            "is_delivered": module.is_delivered,
        }

    return {
        "modules": [shown(m) for m in page.modules],
        "module": {"number": page.module.number},
        "previous": shown(page.previous),
        "next": shown(page.next),
        "cohort": {"pk": page.module.cohort_id},
        "url_name": url_name,
        "pager_label": label,
        "pdsa_only": False,
    }


# ---------------------------------------------------------------------------------------------
# The home page and the cohort page: cohorts with their modules (here, not in cohorts, because
# cohorts sits below modules)


def _next_module(field_name: str):
    return Subquery(
        Module.objects.filter(cohort=OuterRef("pk"), state=Module.State.PLANNED)
        .order_by("number")
        .values(field_name)[:1]
    )


def _count_subquery(queryset):
    """A correlated COUNT(*) that does not multiply rows the way joined aggregates do."""
    return Coalesce(
        Subquery(queryset.order_by().values("cohort").annotate(n=Count("pk")).values("n"), output_field=IntegerField()),
        0,
    )


def _with_progress(cohorts):
    return cohorts.annotate(
        modules_delivered=_count_subquery(Module.objects.filter(cohort=OuterRef("pk"), state=Module.State.DELIVERED)),
        participants_active=_count_subquery(
            Membership.objects.filter(
                cohort=OuterRef("pk"), role=Membership.Role.PARTICIPANT, status=Membership.Status.ACTIVE
            )
        ),
        next_module_number=_next_module("number"),
        next_module_title=_next_module("title"),
        next_module_at=_next_module("starts_at"),
    ).order_by("-start_date", "name")


_PROGRESS = ("modules_delivered", "participants_active", "next_module_number", "next_module_title", "next_module_at")


def cohort_list_for_user(*, user, status: str = ""):
    """The cohorts a user manages (all for staff), of one status if given, with progress and their
    facilitators, in two queries."""
    cohorts = Cohort.objects.for_user(user)
    if status:
        cohorts = cohorts.filter(status=status)
    return _with_progress(cohorts.select_related("programme", "commissioner")).prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.facilitators().active().select_related("person"),
            to_attr="facilitator_memberships",
        )
    )


# A cohort with its programme and commissioner: the columns of each, in this order.
_COHORT_ROW = ((Cohort, ""), (Programme, "programme__"), (Organisation, "commissioner__"))


def _facilitated(user_id):
    # The user's own cohorts as Cohort.objects.for_user gives them to anyone but staff.
    return Cohort.objects.for_user(get_user_model()(pk=user_id, is_staff=False))


def _facilitated_cohorts(user_id, status=None):
    cohorts = _facilitated(user_id) if status is None else _facilitated(user_id).filter(status=status)
    columns = row_columns(_COHORT_ROW)
    return _with_progress(cohorts).values_list(*columns, *_PROGRESS)


def _facilitators_of_facilitated(user_id):
    # Membership's default ordering, as the prefetch of cohort_list_for_user.
    return (
        Membership.objects.facilitators()
        .active()
        .filter(cohort__in=_facilitated(user_id))
        .values_list("id", "cohort_id", "person_id", "role", "status", "person__id", "person__full_name")
    )


# A facilitator's home page reads these on every request: compiled once per process (common.compiled),
# as compiling them cost more CPU than running them (issue 14).
_FACILITATED_COHORTS = CompiledQuery(_facilitated_cohorts, user_id=-7408)
_FACILITATED_COHORTS_OF_STATUS = CompiledQuery(_facilitated_cohorts, user_id=-7409, status="status-placeholder")
_FACILITATORS_OF_FACILITATED = CompiledQuery(_facilitators_of_facilitated, user_id=-7410)


def cohort_list_for_facilitator(*, user, status: str = "") -> list[Cohort]:
    """``cohort_list_for_user`` for anyone but staff, as a list (the cohorts they facilitate are few, so
    all are read and the page paged from them): each cohort with its programme, commissioner, the same
    progress annotations and ``facilitator_memberships`` (each with its person's name), in two queries."""
    if not user.is_authenticated:
        return []
    if status:
        rows = _FACILITATED_COHORTS_OF_STATUS.fetchall(user_id=user.pk, status=status)
    else:
        rows = _FACILITATED_COHORTS.fetchall(user_id=user.pk)
    if not rows:
        return []
    facilitators: dict[int, list[Membership]] = {}
    for (
        pk,
        cohort_id,
        person_id,
        role,
        membership_status,
        person_pk,
        full_name,
    ) in _FACILITATORS_OF_FACILITATED.fetchall(user_id=user.pk):
        membership = instance(
            Membership, id=pk, cohort_id=cohort_id, person_id=person_id, role=role, status=membership_status
        )
        _MEMBERSHIP_PERSON.set_cached_value(membership, instance(Person, id=person_pk, full_name=full_name))
        facilitators.setdefault(cohort_id, []).append(membership)
    cohorts = []
    for row in rows:
        (cohort, programme, commissioner), progress = instances_from_row(row, *(m for m, _prefix in _COHORT_ROW))
        _COHORT_PROGRAMME.set_cached_value(cohort, programme)
        _COHORT_COMMISSIONER.set_cached_value(cohort, commissioner)
        for name, value in zip(_PROGRESS, progress, strict=True):
            setattr(cohort, name, value)
        cohort.facilitator_memberships = facilitators.get(cohort.pk, [])
        cohorts.append(cohort)
    return cohorts


_COHORT_PROGRAMME = Cohort.programme.field
_COHORT_COMMISSIONER = Cohort.commissioner.field


def cohort_list_for_member(*, user):
    """Cohorts a user belongs to as participant or set facilitator, with their modules (two queries)."""
    if not user.is_authenticated:
        return Cohort.objects.none()
    return (
        Cohort.objects.filter(
            memberships__person__user=user,
            memberships__status=Membership.Status.ACTIVE,
            memberships__role__in=[Membership.Role.PARTICIPANT, Membership.Role.SET_FACILITATOR],
        )
        .select_related("programme", "commissioner")
        .prefetch_related(Prefetch("modules", queryset=Module.objects.order_by("number"), to_attr="module_list"))
        .order_by("-start_date", "name")
    )


@dataclass
class CohortOverview:
    """Everything the cohort page shows besides the cohort itself."""

    modules: list
    participants: list
    facilitators: list
    modules_delivered: int
    next_module: Module | None
    professions: list[ProfessionCount] = field(default_factory=list)

    @property
    def active_participants(self):
        return [m for m in self.participants if m.is_active]

    @property
    def withdrawn_participants(self):
        return [m for m in self.participants if not m.is_active]

    @classmethod
    def split(cls, *, modules: list, members: list) -> "CohortOverview":
        """The overview of ``modules`` in order and ``members`` in page order, each with ``role`` and
        ``is_active`` (memberships, or the impact report's lighter rows): every participant, withdrawn
        ones too, and the active members of every other role. No profession mix."""
        return cls(
            modules=modules,
            participants=[m for m in members if m.role == Membership.Role.PARTICIPANT],
            facilitators=[m for m in members if m.role != Membership.Role.PARTICIPANT and m.is_active],
            modules_delivered=sum(1 for m in modules if m.is_delivered),
            next_module=next((m for m in modules if not m.is_delivered), None),
        )


_OVERVIEW_MEMBERSHIP = ("id", "cohort_id", "person_id", "role", "status", "withdrawn_on")
_OVERVIEW_PERSON = ("id", "full_name", "email", "job_title", "profession", "team")
_OVERVIEW_COUNTS = ("present_count", "apologies_count", "absent_count")


def _overview_modules(cohort_pk):
    return Module.objects.filter(cohort_id=cohort_pk).order_by("number").values_list(*attnames(Module))


def _overview_members(cohort_pk):
    # The cohort's delivered modules as a subquery PostgreSQL runs once and hashes, rather than a join
    # to each attendance's module: a third of the statement's time on the scale data's big cohort
    # (execution 1.2 -> 0.8 ms, issue 14). An attendance's module is always one of its membership's
    # cohort's (modules.services records it so), so the counts are the same.
    delivered = Module.objects.filter(cohort_id=cohort_pk, state=Module.State.DELIVERED).values("pk")
    delivered_attendance = Q(attendances__module_id__in=delivered)
    return (
        Membership.objects.filter(cohort_id=cohort_pk)
        .annotate(
            present_count=Count(
                "attendances", filter=Q(attendances__status=Attendance.Status.PRESENT) & delivered_attendance
            ),
            apologies_count=Count(
                "attendances", filter=Q(attendances__status=Attendance.Status.APOLOGIES) & delivered_attendance
            ),
            absent_count=Count(
                "attendances", filter=Q(attendances__status=Attendance.Status.ABSENT) & delivered_attendance
            ),
        )
        .order_by("status", "person__full_name", "pk")
        # Only what the page shows: a cohort's worth of rows, each a dozen columns to parse otherwise.
        .values_list(*_OVERVIEW_MEMBERSHIP, *("person__" + name for name in _OVERVIEW_PERSON), *_OVERVIEW_COUNTS)
    )


# The cohort page reads these on every request: compiled once per process (common.compiled), as
# compiling them cost more CPU than running them (issue 14).
_OVERVIEW_MODULES = CompiledQuery(_overview_modules, cohort_pk=-7406)
_OVERVIEW_MEMBERS = CompiledQuery(_overview_members, cohort_pk=-7407)


def cohort_overview(*, cohort: Cohort) -> CohortOverview:
    """The cohort page's data in two queries whatever the cohort's size: modules (each with its cohort),
    and memberships (only the columns above, the others deferred) with their person and attendance counts."""
    modules = []
    for row in _OVERVIEW_MODULES.fetchall(cohort_pk=cohort.pk):
        (module,), _rest = instances_from_row(row, Module)
        _MODULE_COHORT.set_cached_value(module, cohort)
        modules.append(module)
    memberships = []
    person_end = len(_OVERVIEW_MEMBERSHIP) + len(_OVERVIEW_PERSON)
    for row in _OVERVIEW_MEMBERS.fetchall(cohort_pk=cohort.pk):
        membership = instance(
            Membership, **dict(zip(_OVERVIEW_MEMBERSHIP, row[: len(_OVERVIEW_MEMBERSHIP)], strict=True))
        )
        person = instance(
            Person, **dict(zip(_OVERVIEW_PERSON, row[len(_OVERVIEW_MEMBERSHIP) : person_end], strict=True))
        )
        _MEMBERSHIP_PERSON.set_cached_value(membership, person)
        membership.present_count, membership.apologies_count, membership.absent_count = row[person_end:]
        memberships.append(membership)
    overview = CohortOverview.split(modules=modules, members=memberships)
    overview.professions = profession_mix(overview.active_participants)
    return overview


_MODULE_COHORT = Module.cohort.field


def module_timeline_values(overview: CohortOverview, cohort: Cohort) -> dict:
    """What ``cohorts/partials/_module_timeline.html`` shows on the cohort page, as plain values
    (``common.drawn`` keeps the timeline drawn under them): each module's number, title, state and its
    label, times, venue, whether it is the celebration and whether it is the next one."""
    next_pk = overview.next_module.pk if overview.next_module is not None else None
    return {
        "cohort_pk": cohort.pk,
        "modules": [
            {
                "number": m.number,
                "title": m.title,
                "state": m.state,
                "state_label": choice_label(Module.State, m.state),
                "starts_at": m.starts_at,
                "ends_at": m.ends_at,
                "venue": m.venue,
                "is_celebration": m.is_celebration,
                "is_next": m.pk == next_pk,
            }
            for m in overview.modules
        ],
    }


def profession_mix_values(overview: CohortOverview) -> dict:
    """What ``cohorts/partials/_profession_mix.html`` shows on the cohort page, as plain values
    (``common.drawn`` keeps it drawn under them): the chart's geometry and each profession's label,
    count and share."""
    return {
        "profession_chart": profession_chart(overview.professions),
        "professions": [{"label": p.label, "count": p.count, "percent": p.percent} for p in overview.professions],
    }


def participant_table_values(overview: CohortOverview, cohort: Cohort) -> dict:
    """What the cohort page's participant table shows, as plain values (``common.drawn`` keeps the table
    drawn under them)."""
    # Each profession's label once, not once a row (what ``Person.get_profession_display`` gives).
    professions = {
        code: choice_label(Person.Profession, code) for code in {m.person.profession for m in overview.participants}
    }
    return {
        "cohort_pk": cohort.pk,
        "delivered": overview.modules_delivered,
        "rows": [
            {
                "pk": m.pk,
                "name": m.person.full_name,
                "email": m.person.email,
                "job_title": m.person.job_title,
                "profession": professions[m.person.profession],
                "team": m.person.team,
                "active": m.is_active,
                "withdrawn_on": m.withdrawn_on,
                "present": m.present_count,
                "apologies": m.apologies_count,
            }
            for m in overview.participants
        ],
    }


def outline_for_programme(*, programme: Programme) -> list[ModuleOutline]:
    """The programme's module outline, in order (one query): what a new cohort's modules are made from."""
    return list(programme.outlines.order_by("number"))
