"""Reads of the participants' way in: the "my programme" page."""

from dataclasses import dataclass, field

from cohorts.models import Membership
from common.compiled import CompiledQuery
from common.models import choice_label
from modules.models import Module
from projects.models import ActionLearningSet, ImprovementProject, SetMembership
from surveys.selectors import open_invitations_for_user

from .calendar import token_hash
from .models import CalendarFeed


@dataclass
class ProgrammeEntry:
    """One of the person's active cohorts as plain values: its modules (title, starts_at, venue,
    delivered) and their set's projects (pk, title, status_label) included."""

    membership_pk: int
    cohort_pk: int
    cohort_name: str
    programme: str
    role: str
    modules: list[dict]
    set_pk: int | None
    set_name: str
    projects: list[dict]
    open_surveys: list = field(default_factory=list)


def user_is_active_member(*, user) -> bool:
    """Whether the account belongs to someone in a cohort now: who may use a sign-in link."""
    return Membership.objects.active().filter(person__user=user).exists()


def calendar_modules(*, user) -> list[Module]:
    """The modules of every cohort the person is an active member of, in date order (one query)."""
    return list(
        Module.objects.filter(
            cohort__memberships__person__user=user, cohort__memberships__status=Membership.Status.ACTIVE
        )
        .select_related("cohort")
        .order_by("starts_at", "number")
        .distinct()
    )


def calendar_feed_of(*, user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


def user_for_calendar_token(*, token: str):
    """The active account whose feed has this token, or None (unknown, switched off, disabled)."""
    feeds = CalendarFeed.objects.filter(token_hash=token_hash(token), user__is_active=True)
    feed = feeds.select_related("user").first()
    return feed.user if feed is not None else None


def _active_memberships(user_id):
    return Membership.objects.active().filter(person__user_id=user_id)


def _my_memberships(user_id):
    return (
        _active_memberships(user_id)
        .order_by("-cohort__start_date")
        .values_list("pk", "role", "cohort_id", "cohort__name", "cohort__programme__name")
    )


def _my_modules(user_id):
    return (
        Module.objects.filter(cohort_id__in=_active_memberships(user_id).values("cohort_id"))
        .order_by("number")
        .values_list("cohort_id", "title", "starts_at", "venue", "state")
    )


def _my_sets(user_id):
    return (
        SetMembership.objects.filter(membership_id__in=_active_memberships(user_id).values("pk"))
        .order_by("pk")
        .values_list("membership_id", "action_learning_set_id", "action_learning_set__name")
    )


def _my_facilitated_sets(user_id):
    return (
        ActionLearningSet.objects.filter(set_facilitator_id__in=_active_memberships(user_id).values("pk"))
        .order_by("cohort", "name")
        .values_list("set_facilitator_id", "pk", "name")
    )


_MY_MEMBERSHIPS = CompiledQuery(_my_memberships, user_id=-7501)
_MY_MODULES = CompiledQuery(_my_modules, user_id=-7502)
_MY_SETS = CompiledQuery(_my_sets, user_id=-7503)
_MY_FACILITATED_SETS = CompiledQuery(_my_facilitated_sets, user_id=-7504)


def my_programme(*, user) -> list[ProgrammeEntry]:
    """The signed-in person's active cohorts, newest first: module dates, open surveys, their set (or,
    for a set facilitator in no set, the first set they facilitate) and its projects. Read as flat rows
    (five statements and the open surveys'), no model instances: a facilitator of ten cohorts has sixty
    modules and thirty sets, which as prefetched instances were most of the page's time (issue 14). The
    four statements that depend only on the person are compiled once per process (``common.compiled``)."""
    memberships = _MY_MEMBERSHIPS.fetchall(user_id=user.pk)
    if not memberships:
        return []
    modules: dict[int, list[dict]] = {}
    for cohort_id, title, starts_at, venue, state in _MY_MODULES.fetchall(user_id=user.pk):
        delivered = state == Module.State.DELIVERED
        modules.setdefault(cohort_id, []).append(
            {"title": title, "starts_at": starts_at, "venue": venue, "delivered": delivered}
        )
    # Their set, else (a set facilitator in no set) the first set they facilitate.
    sets: dict[int, tuple[int, str]] = {}
    for membership_id, set_pk, name in _MY_SETS.fetchall(user_id=user.pk):
        sets.setdefault(membership_id, (set_pk, name))
    for membership_id, set_pk, name in _MY_FACILITATED_SETS.fetchall(user_id=user.pk):
        sets.setdefault(membership_id, (set_pk, name))
    projects: dict[int, list[dict]] = {}
    for set_pk, pk, title, status in (
        ImprovementProject.objects.filter(action_learning_set_id__in={set_pk for set_pk, _name in sets.values()})
        .order_by("title")
        .values_list("action_learning_set_id", "pk", "title", "status")
    ):
        status_label = choice_label(ImprovementProject.Status, status)
        projects.setdefault(set_pk, []).append({"pk": pk, "title": title, "status_label": status_label})
    open_surveys: dict[int, list] = {}
    for row in open_invitations_for_user(user=user):
        open_surveys.setdefault(row.invitation.membership_id, []).append(row)
    entries = []
    for pk, role, cohort_pk, cohort_name, programme in memberships:
        set_pk, set_name = sets.get(pk, (None, ""))
        entries.append(
            ProgrammeEntry(
                membership_pk=pk,
                cohort_pk=cohort_pk,
                cohort_name=cohort_name,
                programme=programme,
                role=role,
                modules=modules.get(cohort_pk, []),
                set_pk=set_pk,
                set_name=set_name,
                projects=projects.get(set_pk, []) if set_pk else [],
                open_surveys=open_surveys.get(pk, []),
            )
        )
    return entries


def programme_entry_values(entry: ProgrammeEntry) -> dict:
    """What "my programme" shows of one cohort, as plain values (``common.drawn`` keeps the section
    drawn under them)."""
    return {
        "entry": {
            "cohort_pk": entry.cohort_pk,
            "cohort_name": entry.cohort_name,
            "programme": entry.programme,
            "role": entry.role,
            "role_label": choice_label(Membership.Role, entry.role),
            "open_surveys": [
                {
                    "invitation_pk": row.invitation.pk,
                    "module_number": row.module.number if row.module else None,
                    "module_title": row.module.title if row.module else "",
                    "survey_title": "" if row.module else row.survey.title,  # a module survey is named by its module
                    "closes_at": row.closes_at,
                    "responded": row.responded,
                    "can_answer": row.can_answer,
                }
                for row in entry.open_surveys
            ],
            "modules": entry.modules,
            "set_pk": entry.set_pk,
            "set_name": entry.set_name,
            "projects": entry.projects,
        }
    }
