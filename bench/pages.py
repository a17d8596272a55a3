"""The pages the page benchmark requests: every GET page in the URLconf, as the roles that use it,
with every id in the URL taken from one big running cohort of the scale data.

Found by walking the URLconf, so a new page is measured without anyone adding it here. A URL kwarg
nobody knows how to fill is reported (``Skipped``), never silently left out.
"""

from dataclasses import dataclass

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from cohorts.models import Cohort, Membership
from evaluation.models import PracticeMoment
from projects.models import ImprovementProject, Measure, Presentation, ProjectPDSACycle, SetAction, SetMeeting
from reports.models import KeyImpact
from surveys.models import Survey
from surveys.services import question_set_default

# A view's ``cohort_access``, as the access middleware reads it (a string, so that this module does
# not depend on where the middleware lives).
FACILITATOR, MEMBER = "facilitator", "member"

# Signed-in pages that are Django's own account pages, not the app's; and the bench's own views.
NOT_APP_PAGES = {"logout", "password_change", "password_change_done", "bench_bare", "bench_bare_form"}
# The module whose page a URL shows, where module 1 (delivered, survey closed) is not the one to show.
NUMBER_FOR = {"modules:module_mark_delivered": 5, "modules:module_update": 5}


@dataclass(frozen=True)
class Page:
    name: str
    role: str  # "facilitator" or "participant"
    url: str


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str


@dataclass
class BigCohort:
    """The cohort and the objects of it that URLs name."""

    cohort: Cohort
    facilitator: Membership
    participant: Membership

    @classmethod
    def find(cls) -> "BigCohort":
        cohort = Cohort.objects.filter(name__endswith="(big)").first()
        if cohort is None:
            raise LookupError("no big cohort: load the scale data first (manage.py bench_load)")
        facilitator = (
            cohort.memberships.filter(role=Membership.Role.FACILITATOR, person__user__isnull=False)
            .select_related("person__user")
            .order_by("pk")
            .first()
        )
        participant = (
            cohort.memberships.filter(
                role=Membership.Role.PARTICIPANT,
                person__user__isnull=False,
                set_memberships__isnull=False,
                practice_moments__isnull=False,
            )
            .select_related("person__user")
            .order_by("pk")
            .first()
        )
        return cls(cohort=cohort, facilitator=facilitator, participant=participant)

    def values(self) -> dict:
        """URL kwarg -> value ("name.kwarg" for a kwarg that means different things on different URLs)."""
        participant = self.participant
        action_learning_set = participant.set_memberships.get().action_learning_set
        project = ImprovementProject.objects.filter(action_learning_set=action_learning_set).order_by("pk").first()
        measure = Measure.objects.filter(project=project).order_by("order", "pk").first()
        question_set = question_set_default()
        return {
            "cohort_pk": self.cohort.pk,
            "membership_pk": participant.pk,
            "number": 1,
            "fmt": "csv",
            "surveys:question_set_detail.pk": question_set.pk,
            "surveys:question_update.pk": question_set.pk,
            "question_pk": question_set.questions.order_by("order", "pk").first().pk,
            "set_pk": action_learning_set.pk,
            "meeting_pk": SetMeeting.objects.filter(action_learning_set=action_learning_set).order_by("pk").first().pk,
            "action_pk": SetAction.objects.filter(action_learning_set=action_learning_set).order_by("pk").first().pk,
            "project_pk": project.pk,
            "measure_pk": measure.pk,
            "point_pk": measure.data_points.order_by("pk").first().pk,
            "cycle_pk": ProjectPDSACycle.objects.filter(project=project).order_by("pk").first().pk,
            "presentation_pk": Presentation.objects.filter(project=project).order_by("pk").first().pk,
            "moment_pk": PracticeMoment.objects.filter(membership=participant).order_by("pk").first().pk,
            "programme_pk": self.cohort.programme_id,
            "kind": Survey.Kind.SELF_PRE,
            "impact_pk": KeyImpact.objects.filter(report__cohort=self.cohort).order_by("pk").first().pk,
        }


def _walk(resolver, namespace="", kwargs=()):
    for entry in resolver.url_patterns:
        names = (*kwargs, *getattr(entry.pattern, "converters", {}))
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            yield from _walk(entry, f"{namespace}{entry.namespace}:" if entry.namespace else namespace, names)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", names, entry.callback


def _required_access(callback) -> str:
    view_class = getattr(callback, "view_class", None)
    return getattr(view_class, "cohort_access", None) or getattr(callback, "cohort_access", FACILITATOR)


def _answers_get(callback) -> bool:
    view_class = getattr(callback, "view_class", None)
    return view_class is None or hasattr(view_class, "get")


def discover(big: BigCohort) -> tuple[list[Page], list[Skipped]]:
    """Every signed-in GET page of the app, for each role that may open it."""
    values = big.values()
    pages, skipped, seen = [], [], set()
    for name, kwarg_names, callback in _walk(get_resolver()):
        if name in seen or name in NOT_APP_PAGES or not _answers_get(callback):
            continue
        seen.add(name)
        if getattr(callback, "login_required", True) is False:
            continue  # public pages: the survey pages are measured by bench_submit.py
        kwargs = {}
        for kwarg in kwarg_names:
            key = f"{name}.{kwarg}" if f"{name}.{kwarg}" in values else kwarg
            if key not in values:
                break
            kwargs[kwarg] = NUMBER_FOR.get(name, values[key]) if kwarg == "number" else values[key]
        else:
            url = reverse(name, kwargs=kwargs)
            access = _required_access(resolve(url).func) if "cohort_pk" in kwargs else MEMBER
            pages.append(Page(name, "facilitator", url))
            if access != FACILITATOR:
                pages.append(Page(name, "participant", url))
            continue
        skipped.append(Skipped(name, f"no value for the URL kwarg {kwarg!r} (add it to bench/pages.py)"))
    return pages, skipped


def session_for(user) -> str:
    """A signed-in session for ``user`` in the database, as a sign-in would leave it; its key."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key
