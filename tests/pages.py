"""Every page of the URLconf, generated, for tests that must cover every page (accessibility now).

A page added later is picked up without anyone listing it:

1. ``url_patterns()`` walks the URLconf (the admin aside: it is Django's, not ours).
2. Patterns that cannot be opened with GET are left out automatically (``is_post_only``); the
   few GET patterns that are not pages (downloads) are left out by name in ``EXCLUDED``, with
   the reason. ``uncovered()`` lists patterns that are neither checked nor excluded: a test
   asserts that it is empty.
3. ``roles_for()`` decides who opens each page: signed out for public views, the cohort's
   facilitator for facilitator-only cohort URLs, a participant *and* a facilitator for cohort
   URLs participants may open (they see different controls), every signed-in role for the
   rest.
4. URL keyword arguments are filled from the demo (``manage.py load_demo``) by their name
   (``demo_prepare``); a new page whose URL uses a new name fails loudly until a value is
   added there.
5. ``VARIANTS`` adds states the default fill does not reach: another module's state, error
   states of the main forms, links that no longer work, the 403 and 404 pages.

Nothing here drives a browser; a form to submit is described as data (``Submit``) and the
browser test does the pressing, so that other generated tests (e.g. query counts) can reuse it.
"""

from __future__ import annotations

import contextlib
import enum
from dataclasses import dataclass, field

from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db.models import Max
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from sesame.utils import get_query_string

from cohorts.access import FACILITATOR, MEMBER
from cohorts.middleware import _required_access
from cohorts.models import Cohort, Membership
from common.models import SentEmail
from demo import scenario as demo
from evaluation import demo_finished
from projects.models import ActionLearningSet, ImprovementProject, Presentation
from reports.models import KeyImpact
from surveys.services import invitation_issue_token, survey_open_and_invite


class Role(enum.StrEnum):
    SIGNED_OUT = "signed-out"
    FACILITATOR = "facilitator"
    PARTICIPANT = "participant"
    STAFF = "staff"


SIGNED_IN = (Role.FACILITATOR, Role.PARTICIPANT, Role.STAFF)

# GET patterns that are not pages. Everything else is checked: adding a pattern here is a
# decision, so say why.
EXCLUDED = {
    "cohorts:participant_import_template": "a CSV file to download (the template of a registration list), not a page",
    "surveys:survey_export": "a CSV or XLSX file to download (the survey's responses), not a page",
    "cohorts:participant_import_template_xlsx": "an Excel file to download (the registration list's template)",
    "cohorts:participant_export": "a CSV or XLSX file to download (the participant list), not a page",
    "modules:attendance_export": "a CSV or XLSX file to download (the attendance register), not a page",
    "projects:slides_download": "the uploaded slides themselves (a PDF or PowerPoint file), not a page",
    "reports:report_pdf": "the impact report as a PDF file to download, not a page",
    "reports:report_xlsx": "the impact report's data as an XLSX file to download, not a page",
    "accounts:my_calendar": "an iCalendar (.ics) file of the module dates to download, not a page",
    "accounts:calendar_feed": "an iCalendar feed for calendar programs, not a page",
    "healthz": "a JSON health report for load balancers and uptime monitors, not a page",
}

# Who opens a page, where the general rule (``roles_for``) would be wrong.
ROLE_OVERRIDES = {
    # A participant who facilitates nothing is sent straight on to "my programme" (checked on its own).
    "home": (Role.FACILITATOR, Role.STAFF),
    # The practice log is the participant's own (facilitators see only counts, on practice_summary).
    **{
        f"evaluation:{name}": (Role.PARTICIPANT,)
        for name in (
            "practice_moment_list",
            "practice_moment_create",
            "practice_moment_update",
            "practice_moment_delete",
            "practice_nudges_update",
            "practice_set_reflections",
        )
    },
    # A participant's own quotes and consent (a facilitator's account has none to show).
    "accounts:my_quotes": (Role.PARTICIPANT,),
    # The provider's staff only: a programme's cohorts side by side, and planning the next cohort.
    "evaluation:programme_list": (Role.STAFF,),
    "evaluation:programme_detail": (Role.STAFF,),
    "modules:cohort_create": (Role.STAFF,),
    # Taking a published impact report back to draft is for the provider's staff only.
    "reports:report_unpublish": (Role.STAFF,),
}


@dataclass(frozen=True)
class Pattern:
    name: str
    route: str
    callback: object
    kwarg_names: tuple[str, ...]


def _walk(resolver, namespace="", route="", kwarg_names=()):
    for entry in resolver.url_patterns:
        names = kwarg_names + tuple(n for n in getattr(entry.pattern, "converters", {}) if n not in kwarg_names)
        here = route + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            child = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, child, here, names)
        elif isinstance(entry, URLPattern):
            yield Pattern(f"{namespace}{entry.name}" if entry.name else "", here, entry.callback, names)


def url_patterns() -> list[Pattern]:
    return list(_walk(get_resolver()))


def is_post_only(pattern: Pattern) -> bool:
    """A class-based view that does not answer GET (no ``get`` method, or GET not allowed)."""
    view_class = getattr(pattern.callback, "view_class", None)
    if view_class is None:
        return False
    allowed = getattr(pattern.callback, "view_initkwargs", {}).get("http_method_names", view_class.http_method_names)
    return "get" not in allowed or not hasattr(view_class, "get")


def is_public(pattern: Pattern) -> bool:
    return getattr(pattern.callback, "login_required", True) is False


def roles_for(pattern: Pattern) -> tuple[Role, ...]:
    if pattern.name in ROLE_OVERRIDES:
        return ROLE_OVERRIDES[pattern.name]
    if is_public(pattern):
        return (Role.SIGNED_OUT,)
    if "cohort_pk" in pattern.kwarg_names:
        access = _required_access(pattern.callback)
        if access == MEMBER:
            return (Role.PARTICIPANT, Role.FACILITATOR)
        if access == FACILITATOR:
            return (Role.FACILITATOR,)
        raise ValueError(f"{pattern.name}: unknown cohort_access {access!r}")
    return SIGNED_IN


@dataclass(frozen=True)
class Submit:
    """Fill fields (by label) and press a button (by name): how a page reaches an error state."""

    button: str
    fill: dict[str, str] = field(default_factory=dict)
    # Files to attach, by label: (file name, content).
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    # The state shown afterwards is an error summary (focus belongs on it).
    shows_errors: bool = True


@dataclass(frozen=True)
class Page:
    name: str
    role: Role
    label: str = ""
    kwargs: dict = field(default_factory=dict)
    """Values that replace the demo's for this page (e.g. another module number)."""
    query_key: str = ""
    """A demo value to append as the query string (e.g. a sign-in link's token)."""
    status: int = 200
    lands_on: str = ""
    """The URL name the browser must end on, after redirects and any submit (default: ``name``)."""
    submit: Submit | None = None

    def __str__(self):
        return f"{self.role}-{self.name}" + (f"-{self.label}" if self.label else "")

    @property
    def destination(self) -> str:
        return self.lands_on or self.name

    def path(self, values: dict) -> str:
        return page_path(self.name, values, self.kwargs, self.query_key)


@dataclass(frozen=True)
class Demo:
    """In a page's ``kwargs``: "the demo value called ``key``" (known only once the demo is loaded)."""

    key: str


def page_path(name: str, values: dict, overrides: dict | None = None, query_key: str = "") -> str:
    pattern = next(p for p in url_patterns() if p.name == name)
    named = values.get(name, {})
    kwargs = {}
    for kwarg in pattern.kwarg_names:
        if overrides and kwarg in overrides:
            value = overrides[kwarg]
            kwargs[kwarg] = values[value.key] if isinstance(value, Demo) else value
        elif kwarg in named:
            kwargs[kwarg] = named[kwarg]
        elif kwarg in values:
            kwargs[kwarg] = values[kwarg]
        else:
            raise KeyError(
                f"{name}: the demo has no value for the URL keyword {kwarg!r}; add one to tests/pages.py "
                "(demo_prepare) so that this page is checked"
            )
    path = reverse(name, kwargs=kwargs)
    return f"{path}?{values[query_key]}" if query_key else path


# A registration list with one good row and one with problems: the preview shows both.
REGISTRATION_LIST = (
    b"full_name,email,job_title,profession,team\r\n"
    b"Morwenna Kitto,morwenna.kitto@tamarvale.example,Ward Manager,nurse,Harbour View Ward\r\n"
    b",not-an-address,,astronaut,\r\n"
)

# States the default page of each pattern does not show.
VARIANTS = [
    # Module 4 has taken place and waits to be marked delivered: its register is open.
    Page("modules:module_detail", Role.FACILITATOR, "waiting", kwargs={"number": 4}),
    Page("modules:module_mark_delivered", Role.FACILITATOR, "confirm", kwargs={"number": 4}),
    # Module 4's survey was opened by hand (demo_prepare): open, nobody has answered yet.
    Page("surveys:survey_detail", Role.FACILITATOR, "open", kwargs={"number": 4}),
    Page("surveys:survey_results", Role.FACILITATOR, "no-answers-yet", kwargs={"number": 4}),
    Page("surveys:invitation_delivery", Role.FACILITATOR, "open", kwargs={"number": 4}),
    # Module 5 has no survey yet: the page offers to prepare one, and it cannot open before the module.
    Page("surveys:survey_detail", Role.FACILITATOR, "no-survey", kwargs={"number": 5}),
    Page("surveys:survey_open", Role.FACILITATOR, "not-started", kwargs={"number": 5}),
    # Error states of the main forms.
    Page("cohorts:participant_add", Role.FACILITATOR, "errors", submit=Submit("Add participant")),
    Page(
        "cohorts:participant_import",
        Role.FACILITATOR,
        "preview-with-row-errors",
        lands_on="cohorts:participant_import_preview",
        submit=Submit(
            "Upload and preview",
            files={"Registration list (CSV or Excel .xlsx)": ("registration.csv", REGISTRATION_LIST)},
        ),
    ),
    # A space passes the browser's own check of a required field; the server's check catches it.
    Page("surveys:question_set_detail", Role.FACILITATOR, "errors", submit=Submit("Add question", {"Question": " "})),
    Page("surveys:question_update", Role.FACILITATOR, "errors", submit=Submit("Save question", {"Question": " "})),
    # The data point form posts to its own URL, which shows the measure page again with the errors.
    Page(
        "projects:measure_detail",
        Role.PARTICIPANT,
        "errors",
        lands_on="projects:data_point_create",
        submit=Submit("Add data point"),
    ),
    Page(
        "surveys:answer_start",
        Role.SIGNED_OUT,
        "errors",
        lands_on="surveys:answer",
        submit=Submit("Send my answers"),
    ),
    Page(
        "modules:cohort_create",
        Role.STAFF,
        "errors",
        submit=Submit("Create the cohort", {"Name": " "}),
    ),
    Page("login", Role.SIGNED_OUT, "errors", submit=Submit("Sign in", {"Username": "facilitator", "Password": "no"})),
    # Links that no longer work.
    Page("surveys:answer_start", Role.SIGNED_OUT, "link-not-valid", kwargs={"token": "no-such-link"}, status=404),
    Page("password_reset_confirm", Role.SIGNED_OUT, "link-not-valid", kwargs={"token": "no-such-link"}),
    Page("accounts:sign_in_link_use", Role.SIGNED_OUT, "no-token"),
    # Error pages: someone else's project (403) and a cohort that is not theirs (404).
    Page(
        "projects:project_update",
        Role.PARTICIPANT,
        "forbidden",
        kwargs={"project_pk": Demo("other_project")},
        status=403,
    ),
    Page(
        "modules:cohort_detail", Role.FACILITATOR, "not-found", kwargs={"cohort_pk": Demo("other_cohort")}, status=404
    ),
    # The finished cohort's impact report is published (reports/demo.py): no edit controls, a staff action.
    Page("reports:report_detail", Role.FACILITATOR, "published", kwargs={"cohort_pk": Demo("finished_cohort")}),
    Page("reports:report_detail", Role.STAFF, "published", kwargs={"cohort_pk": Demo("finished_cohort")}),
    Page("reports:report_unpublish", Role.STAFF, "published", kwargs={"cohort_pk": Demo("finished_cohort")}),
    Page("reports:report_publish", Role.FACILITATOR, "published", kwargs={"cohort_pk": Demo("finished_cohort")}),
]

# How a pattern is reached when it cannot be opened directly (None: only through another page).
DEFAULT_PAGE_OPTIONS = {
    # The link page is the answering page itself: it keeps its token in a cookie and its script
    # replaces the address with the answering page's, which cannot be opened without that cookie.
    # Both are checked by opening a real link (the browser must end on the clean address).
    "surveys:answer_start": {"lands_on": "surveys:answer"},
    "surveys:answer": None,
    # The preview shows an uploaded list: checked after an upload (VARIANTS).
    "cohorts:participant_import_preview": None,
    # A sign-in link carries its token in the query string.
    "accounts:sign_in_link_use": {"query_key": "sign_in_query"},
    # Key impacts exist in the finished cohort's impact report (reports/demo.py); the running one has none.
    **{
        f"reports:{name}": {"kwargs": {"cohort_pk": Demo("finished_cohort"), "impact_pk": Demo("key_impact")}}
        for name in ("key_impact_update", "key_impact_delete")
    },
    # The evaluation's surveys (named by kind) exist in the finished cohort: its post self-assessment.
    "surveys:invitation_delivery_by_kind": {"kwargs": {"cohort_pk": Demo("finished_cohort"), "kind": "self_post"}},
}


def pages() -> list[Page]:
    """The generated pages: one per GET pattern and role, then the variants."""
    found, seen = [], set()
    for pattern in url_patterns():
        if not pattern.name or pattern.name in seen or pattern.name in EXCLUDED or is_post_only(pattern):
            continue
        seen.add(pattern.name)
        options = DEFAULT_PAGE_OPTIONS.get(pattern.name, {})
        if options is None:
            continue
        found += [Page(pattern.name, role, **options) for role in roles_for(pattern)]
    return found + VARIANTS


def covered_names(page_list: list[Page]) -> set[str]:
    """URL names checked: each page's own and, for a page that redirects, where it lands (the test
    asserts that it lands there)."""
    return {name for page in page_list for name in (page.name, page.destination)}


def uncovered() -> list[str]:
    """Patterns with no page checked and no reason to be left out."""
    covered = covered_names(pages())
    return sorted(
        pattern.name or f"(unnamed) {pattern.route}"
        for pattern in url_patterns()
        if pattern.name not in covered and pattern.name not in EXCLUDED and not is_post_only(pattern)
    )


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@contextlib.contextmanager
def demo_loaded():
    """The demo, committed, for a group of tests that share it; afterwards the demo and what the
    tests added meanwhile (sessions, the mail log, the audit trail) are removed again.

    Needs the database unblocked. Not a flush: the database tests that run afterwards expect the
    rows the migrations made, and find the same rows as before (checked).
    """
    sessions = set(Session.objects.values_list("session_key", flat=True))
    last_mail = SentEmail.objects.aggregate(last=Max("pk"))["last"] or 0
    last_audit = LogEntry.objects.aggregate(last=Max("pk"))["last"] or 0
    before = _row_counts()
    call_command("load_demo", "--force", verbosity=0)
    try:
        yield Cohort.objects.get(name=demo.COHORT)
    finally:
        demo.reset()
        Session.objects.exclude(session_key__in=sessions).delete()
        SentEmail.objects.filter(pk__gt=last_mail).delete()
        LogEntry.objects.filter(pk__gt=last_audit).delete()
        left = {label: (before.get(label), count) for label, count in _row_counts().items() if count != before[label]}
        assert not left, f"rows left behind (before, after): {left}"


def demo_prepare() -> dict:
    """Bring a freshly loaded demo to the state the pages are checked in; return the URL values.

    Needs the database. The demo has no survey open for answering, so module 4's survey is opened
    the way a facilitator's "open it now" button does (its invitations are sent).
    """
    cohort = Cohort.objects.get(name=demo.COHORT)
    survey = survey_open_and_invite(module=cohort.modules.get(number=4))
    participant = Membership.objects.select_related("person__user").get(
        cohort=cohort, person__user__username=demo.PARTICIPANT_LOGIN[0]
    )
    own_set = ActionLearningSet.objects.get(set_memberships__membership=participant)
    project = own_set.projects.order_by("pk").first()
    question_set = cohort.modules.get(number=1).survey.question_set
    questions = question_set.questions.order_by("order")
    # Someone who never signs in during the checks, so that the reset link stays valid.
    reset_user = get_user_model().objects.get(username=demo.FACILITATOR2_LOGIN[0])
    return {
        # Values by URL keyword name, from the participant's point of view (her set, its project):
        # facilitators may open all of these too.
        "cohort_pk": cohort.pk,
        "programme_pk": cohort.programme_id,
        "membership_pk": participant.pk,
        "number": 1,  # delivered, with attendance, a PDSA record and survey results
        # "pk" in a GET URL is a question set so far; a page that means something else by it
        # gets a 404 and fails, and needs its own entry below.
        "pk": question_set.pk,
        "question_pk": (questions.filter(condition_question__isnull=False).first() or questions.first()).pk,
        "set_pk": own_set.pk,
        "meeting_pk": own_set.meetings.order_by("date").first().pk,
        "project_pk": project.pk,
        "measure_pk": (measure := project.measures.order_by("order", "pk").first()).pk,
        "point_pk": measure.data_points.order_by("date").first().pk,
        "cycle_pk": project.pdsa_cycles.order_by("start_date").first().pk,
        "presentation_pk": Presentation.objects.filter(action_learning_set=own_set).first().pk,
        "moment_pk": participant.practice_moments.order_by("date", "pk").first().pk,
        "token": invitation_issue_token(invitation=survey.invitations.exclude(membership=participant).first()),
        # Values for one URL name, where a keyword means something else there.
        "password_reset_confirm": {
            "uidb64": urlsafe_base64_encode(force_bytes(reset_user.pk)),
            "token": default_token_generator.make_token(reset_user),
        },
        # Referred to by Demo(...) and query_key.
        "other_cohort": Cohort.objects.get(name=demo.SECOND_COHORT).pk,
        "other_project": ImprovementProject.objects.filter(action_learning_set__cohort=cohort)
        .exclude(action_learning_set=own_set)
        .first()
        .pk,
        "sign_in_query": get_query_string(participant.person.user).removeprefix("?"),
        "finished_cohort": Cohort.objects.get(name=demo_finished.NAME).pk,
        "key_impact": KeyImpact.objects.filter(report__cohort__name=demo_finished.NAME).order_by("order").first().pk,
    }


def role_users() -> dict[Role, object]:
    """The demo account that plays each signed-in role."""
    usernames = {
        Role.FACILITATOR: demo.FACILITATOR_LOGIN[0],
        Role.PARTICIPANT: demo.PARTICIPANT_LOGIN[0],
        Role.STAFF: demo.ADMIN_LOGIN[0],
    }
    users = get_user_model().objects.in_bulk(list(usernames.values()), field_name="username")
    return {role: users[username] for role, username in usernames.items()}
