"""Reads of the participants' way in: the "my programme" page."""

from dataclasses import dataclass, field

from django.db.models import Prefetch

from cohorts.models import Membership
from modules.models import Module
from projects.models import ActionLearningSet, ImprovementProject, SetMembership
from surveys.selectors import open_invitations_for_user

from .calendar import token_hash
from .models import CalendarFeed


@dataclass
class ProgrammeEntry:
    membership: Membership
    modules: list
    action_learning_set: ActionLearningSet | None
    projects: list
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


def my_programme(*, user) -> list[ProgrammeEntry]:
    """The signed-in person's active cohorts: module dates, open surveys, their set and its projects."""
    memberships = list(
        Membership.objects.active()
        .filter(person__user=user)
        .select_related("cohort__programme", "person")
        .prefetch_related(
            Prefetch("cohort__modules", queryset=Module.objects.order_by("number")),
            Prefetch(
                "set_memberships",
                queryset=SetMembership.objects.select_related("action_learning_set").prefetch_related(
                    Prefetch("action_learning_set__projects", queryset=ImprovementProject.objects.order_by("title"))
                ),
            ),
            Prefetch(
                "facilitated_sets",
                queryset=ActionLearningSet.objects.prefetch_related(
                    Prefetch("projects", queryset=ImprovementProject.objects.order_by("title"))
                ),
            ),
        )
        .order_by("-cohort__start_date")
    )
    open_surveys: dict[int, list] = {}
    for row in open_invitations_for_user(user=user):
        open_surveys.setdefault(row.invitation.membership_id, []).append(row)
    entries = []
    for membership in memberships:
        set_links = list(membership.set_memberships.all())
        action_learning_set = set_links[0].action_learning_set if set_links else None
        if action_learning_set is None and membership.facilitated_sets.all():
            action_learning_set = membership.facilitated_sets.all()[0]
        entries.append(
            ProgrammeEntry(
                membership=membership,
                modules=list(membership.cohort.modules.all()),
                action_learning_set=action_learning_set,
                projects=list(action_learning_set.projects.all()) if action_learning_set else [],
                open_surveys=open_surveys.get(membership.pk, []),
            )
        )
    return entries


def programme_entry_values(entry: ProgrammeEntry) -> dict:
    """What "my programme" shows of one cohort, as plain values (``common.drawn`` keeps the section
    drawn under them)."""
    membership, cohort = entry.membership, entry.membership.cohort
    als = entry.action_learning_set
    return {
        "entry": {
            "cohort_pk": cohort.pk,
            "cohort_name": cohort.name,
            "programme": str(cohort.programme),
            "role": membership.role,
            "role_label": membership.get_role_display(),
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
            "modules": [
                {"title": m.title, "starts_at": m.starts_at, "venue": m.venue, "delivered": m.is_delivered}
                for m in entry.modules
            ],
            "set_pk": als.pk if als else None,
            "set_name": als.name if als else "",
            "projects": [
                {"pk": p.pk, "title": p.title, "status_label": p.get_status_display()} for p in entry.projects
            ],
        }
    }
