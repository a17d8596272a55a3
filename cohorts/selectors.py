"""Read-side queries for the cohort pages; each returns everything its page loops over."""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from modules.models import Attendance, Module

from .models import Cohort, Membership, Organisation, Person

MODULES_PER_COHORT = 6


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


def cohort_list_for_user(*, user):
    """The cohorts a user manages (all for staff), with progress and their facilitators, in two queries."""
    return (
        Cohort.objects.for_user(user)
        .select_related("programme", "commissioner")
        .annotate(
            modules_delivered=_count_subquery(
                Module.objects.filter(cohort=OuterRef("pk"), state=Module.State.DELIVERED)
            ),
            participants_active=_count_subquery(
                Membership.objects.filter(
                    cohort=OuterRef("pk"), role=Membership.Role.PARTICIPANT, status=Membership.Status.ACTIVE
                )
            ),
            next_module_number=_next_module("number"),
            next_module_title=_next_module("title"),
            next_module_at=_next_module("starts_at"),
        )
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.facilitators().active().select_related("person"),
                to_attr="facilitator_memberships",
            )
        )
        .order_by("-start_date", "name")
    )


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
class ProfessionCount:
    code: str
    label: str
    count: int
    percent: int


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


def profession_mix(memberships) -> list[ProfessionCount]:
    """The mix of professions among the given (already loaded) memberships, largest first."""
    counts = Counter(m.person.profession for m in memberships)
    total = sum(counts.values())
    labels = dict(Person.Profession.choices)
    return [
        ProfessionCount(code=code, label=str(labels.get(code, code)), count=n, percent=round(100 * n / total))
        for code, n in sorted(counts.items(), key=lambda item: (-item[1], str(labels.get(item[0], item[0]))))
    ]


def cohort_overview(*, cohort: Cohort) -> CohortOverview:
    """The cohort page's data in two queries whatever the cohort's size: modules, and memberships with counts."""
    modules = list(cohort.modules.order_by("number"))
    delivered_attendance = Q(attendances__module__state=Module.State.DELIVERED)
    memberships = list(
        Membership.objects.filter(cohort=cohort)
        .select_related("person", "person__organisation")
        .annotate(
            present_count=Count(
                "attendances", filter=delivered_attendance & Q(attendances__status=Attendance.Status.PRESENT)
            ),
            apologies_count=Count(
                "attendances", filter=delivered_attendance & Q(attendances__status=Attendance.Status.APOLOGIES)
            ),
            absent_count=Count(
                "attendances", filter=delivered_attendance & Q(attendances__status=Attendance.Status.ABSENT)
            ),
        )
        .order_by("status", "person__full_name", "pk")
    )
    participants = [m for m in memberships if m.role == Membership.Role.PARTICIPANT]
    facilitators = [m for m in memberships if m.role != Membership.Role.PARTICIPANT and m.is_active]
    active = [m for m in participants if m.is_active]
    return CohortOverview(
        modules=modules,
        participants=participants,
        facilitators=facilitators,
        modules_delivered=sum(1 for m in modules if m.is_delivered),
        next_module=next((m for m in modules if not m.is_delivered), None),
        professions=profession_mix(active),
    )


def organisation_choices():
    return Organisation.objects.order_by("name")
