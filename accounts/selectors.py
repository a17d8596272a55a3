"""Reads of the participants' way in: the "my programme" page."""

from dataclasses import dataclass, field

from django.db.models import F, Value

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


def _my_memberships_with_modules(user_id):
    # Each membership once a module of its cohort (once, with no module, if it has none). Cohorts that
    # start the same day come by name, as on the home page (they came in no set order before).
    return (
        _active_memberships(user_id)
        .order_by("-cohort__start_date", "cohort__name", "pk", "cohort__modules__number")
        .values_list(
            "pk",
            "role",
            "cohort_id",
            "cohort__name",
            "cohort__programme__name",
            "cohort__modules__pk",
            "cohort__modules__title",
            "cohort__modules__starts_at",
            "cohort__modules__venue",
            "cohort__modules__state",
        )
    )


# A set of one of the person's memberships, once a project of it (once, with none, if it has none):
# the columns of both kinds of set (the membership's own set, kind 0; a set it facilitates, kind 1),
# then what the rows are ordered by.
_SET_COLUMNS = ("action_learning_set_id", "set_name", "project_pk", "project_title", "project_status")
_SET_SORTED_BY = ("kind", "cohort_start_date", "cohort_name")
_SET_ORDER = ("kind", "-cohort_start_date", "cohort_name", "set_name", "project_title", "project_pk")


def _set_rows(sets, *, owner: str, kind: int, to_set: str):
    """``sets`` (rows that lead to a set through ``to_set``, "" for sets themselves) as rows of
    ``_SET_COLUMNS`` and ``_SET_SORTED_BY`` after the membership in ``owner``."""
    extra = {} if to_set else {"action_learning_set_id": F("pk")}
    return (
        sets.annotate(
            kind=Value(kind),
            **extra,
            set_name=F(f"{to_set}name"),
            project_pk=F(f"{to_set}projects__pk"),
            project_title=F(f"{to_set}projects__title"),
            project_status=F(f"{to_set}projects__status"),
            cohort_start_date=F(f"{to_set}cohort__start_date"),
            cohort_name=F(f"{to_set}cohort__name"),
        )
        .values_list(owner, *_SET_COLUMNS, *_SET_SORTED_BY)
        .order_by()
    )


def _my_sets_with_projects(user_id):
    mine = _active_memberships(user_id).values("pk")
    own = SetMembership.objects.filter(membership_id__in=mine)
    facilitated = ActionLearningSet.objects.filter(set_facilitator_id__in=mine)
    return (
        _set_rows(own, owner="membership_id", kind=0, to_set="action_learning_set__")
        .union(_set_rows(facilitated, owner="set_facilitator_id", kind=1, to_set=""), all=True)
        .order_by(*_SET_ORDER)
    )


_MY_MEMBERSHIPS_WITH_MODULES = CompiledQuery(_my_memberships_with_modules, user_id=-7501)
_MY_SETS_WITH_PROJECTS = CompiledQuery(_my_sets_with_projects, user_id=-7503)


def my_programme(*, user) -> list[ProgrammeEntry]:
    """The signed-in person's active cohorts, newest first: module dates, open surveys, their set (or,
    for a set facilitator in no set, the first set they facilitate) and its projects. Read as flat rows
    in two statements (each membership with its cohort's modules; their sets, own and facilitated,
    with the sets' projects) and the open surveys', no model instances: a facilitator of ten cohorts has
    sixty modules and thirty sets, which as prefetched instances were most of the page's time, and each
    statement cost a round trip, planning and execution (issue 14). The two that depend only on the
    person are compiled once per process (``common.compiled``)."""
    rows = _MY_MEMBERSHIPS_WITH_MODULES.fetchall(user_id=user.pk)
    if not rows:
        return []
    memberships: dict[int, tuple] = {}
    modules: dict[int, list[dict]] = {}
    for pk, role, cohort_pk, cohort_name, programme, module_pk, title, starts_at, venue, state in rows:
        if pk not in memberships:
            memberships[pk] = (role, cohort_pk, cohort_name, programme)
            modules[pk] = []
        if module_pk is not None:
            delivered = state == Module.State.DELIVERED
            modules[pk].append({"title": title, "starts_at": starts_at, "venue": venue, "delivered": delivered})
    # Their set, else (a set facilitator in no set) the first set they facilitate; each set's projects
    # by title.
    sets: dict[int, tuple[int, str]] = {}
    projects: dict[int, dict[int, dict]] = {}
    for membership_id, set_pk, name, project_pk, title, status, *_order in _MY_SETS_WITH_PROJECTS.fetchall(
        user_id=user.pk
    ):
        sets.setdefault(membership_id, (set_pk, name))
        shown = projects.setdefault(set_pk, {})
        if project_pk is not None and project_pk not in shown:
            status_label = choice_label(ImprovementProject.Status, status)
            shown[project_pk] = {"pk": project_pk, "title": title, "status_label": status_label}
    open_surveys: dict[int, list] = {}
    for row in open_invitations_for_user(user=user):
        open_surveys.setdefault(row.invitation.membership_id, []).append(row)
    entries = []
    for pk, (role, cohort_pk, cohort_name, programme) in memberships.items():
        set_pk, set_name = sets.get(pk, (None, ""))
        entries.append(
            ProgrammeEntry(
                membership_pk=pk,
                cohort_pk=cohort_pk,
                cohort_name=cohort_name,
                programme=programme,
                role=role,
                modules=modules[pk],
                set_pk=set_pk,
                set_name=set_name,
                projects=list(projects.get(set_pk, {}).values()) if set_pk else [],
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
