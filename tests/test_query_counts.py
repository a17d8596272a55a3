"""Every page's query count, pinned at two data sizes (issue 14: "Query counts, pinned by tests").

Generated from the URLconf, so a page added later is checked without anyone listing it:

* every signed-in GET page as the roles that open it (``bench.pages.discover``: the cohort's
  facilitator, and a participant where participants may open it), with every id in its URL taken
  from one cohort of the benchmarks' scale data;
* the public GET pages that need no link, signed out;
* the admin's changelist and change form of every registered model, as staff.

The scale loader (bench/scale.py) fills the database twice, each time in a transaction rolled back
afterwards: a small provider whose checked cohort has 5 participants, then one whose checked cohort
has 50, with ten times the survey responses, attendance, invitations and measure data points. Each
page is requested once to warm the process (caches of content types, question sets...), then once
counted. The count must be the same at both sizes and at most ``MAX_QUERIES``: a page that shows
more rows as a cohort grows must get them in the same queries, or paginate.

A GET pattern that is not measured is listed in ``LEFT_OUT`` with the reason; ``test_every_get_page_is
_measured_or_left_out_with_a_reason`` fails for a new one that is neither.
"""

import re
from collections import Counter
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldError
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse

from bench.pages import FACILITATOR, NOT_APP_PAGES, BigCohort, _answers_get, _required_access, _walk, discover
from bench.scale import Plan, load

pytestmark = pytest.mark.django_db

MAX_QUERIES = 20
# The checked cohort's participants at each size; the other cohort is as big, responses and data
# points follow the number of people.
SIZES = {"small": 5, "large": 50}

# GET patterns not measured here, and why.
LEFT_OUT = {
    "surveys:answer_start": "a participant's survey link: the answering journey's counts are pinned step by step in "
    "surveys/tests/test_answer_page.py",
    "surveys:answer": "reached through a survey link only (surveys/tests/test_answer_page.py)",
    "password_reset_confirm": "Django's own page, reached from a mailed link",
    "accounts:sign_in_link_use": "a mailed sign-in link, used once; it redirects",
    "logout": "Django's own sign-out (POST)",
    "password_change": "Django's own page",
    "password_change_done": "Django's own page",
    "accounts:calendar_feed": "fetched by calendar programs with a personal token, not opened as a page; one "
    "person's modules (accounts/tests/test_calendar.py)",
}

# Pages allowed more than MAX_QUERIES, still the same at both sizes: {URL name: (count, why)}. None
# now: the draft impact report, which draws its nine sections from every app, reads each kind of row
# once (reports/reads.py) and keeps to MAX_QUERIES like the rest.
COMPOSITE: dict[str, tuple[int, str]] = {}


def _plan(people: int) -> Plan:
    cohorts = 2
    return Plan(
        organisations=4,
        cohorts=cohorts,
        participants=people * cohorts,
        memberships=people * cohorts,
        responses=10**6,  # capped by the invitations: every closed survey fully answered
        data_points=people * 10,
        big_cohort=people,
    )


@dataclass(frozen=True)
class Measured:
    status: int
    queries: int
    sql: tuple[str, ...]


def _public_names() -> list[str]:
    names = []
    for name, kwarg_names, callback in _walk(get_resolver()):
        public = getattr(callback, "login_required", True) is False and _answers_get(callback)
        if public and not kwarg_names and name not in LEFT_OUT and name not in names:
            names.append(name)
    return names


def _page_keys() -> list[tuple[str, str]]:
    """(URL name, role) of every page measured, known before any data exists (for the test ids)."""
    keys, seen = [], set()
    for name, _kwarg_names, callback in _walk(get_resolver()):
        if name in seen or name in NOT_APP_PAGES or name in LEFT_OUT or not _answers_get(callback):
            continue
        seen.add(name)
        if getattr(callback, "login_required", True) is False:
            continue
        keys.append((name, "facilitator"))
        if _required_access(callback) != FACILITATOR:
            keys.append((name, "participant"))
    keys += [(name, "signed-out") for name in _public_names()]
    for model in admin.site._registry:
        label = f"{model._meta.app_label}_{model._meta.model_name}"
        keys += [(f"admin:{label}_changelist", "staff"), (f"admin:{label}_change", "staff")]
    return keys


def _shape(sql: str) -> str:
    """A statement without its values, to tell which one repeats."""
    return re.sub(r"'[^']*'|\b\d+\b", "?", sql)


def _count(client: Client, url: str) -> Measured:
    client.get(url)  # warm: the first request of a page may fill the process's caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    sql = tuple(q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"])
    return Measured(response.status_code, len(sql), sql)


def _measure_all() -> dict[tuple[str, str], Measured]:
    big = BigCohort.find()
    pages, skipped = discover(big)
    assert skipped == [], skipped
    clients = {"signed-out": Client()}
    for role, membership in (("facilitator", big.facilitator), ("participant", big.participant)):
        clients[role] = Client()
        clients[role].force_login(membership.person.user)
    staff = get_user_model().objects.create_user("query-count-staff", is_staff=True, is_superuser=True)
    clients["staff"] = Client()
    clients["staff"].force_login(staff)

    results = {}
    for page in pages:
        results[page.name, page.role] = _count(clients[page.role], page.url)
    for name in _public_names():
        results[name, "signed-out"] = _count(clients["signed-out"], reverse(name))
    for model in admin.site._registry:
        label = f"{model._meta.app_label}_{model._meta.model_name}"
        results[f"admin:{label}_changelist", "staff"] = _count(clients["staff"], reverse(f"admin:{label}_changelist"))
        # The object of the checked cohort where the model has one, else the first.
        obj = _object_of_cohort(model, big.cohort) or model._default_manager.order_by("pk").first()
        # A model the data has no row of: its add form instead (the same form, empty).
        url = reverse(f"admin:{label}_change", args=[obj.pk]) if obj else reverse(f"admin:{label}_add")
        results[f"admin:{label}_change", "staff"] = _count(clients["staff"], url)
    return results


def _rows_of_big_cohort() -> dict[str, int]:
    from cohorts.models import Membership
    from modules.models import Attendance
    from projects.models import DataPoint
    from surveys.models import Answer, Invitation, Response

    cohort = BigCohort.find().cohort
    return {
        "participants": Membership.objects.filter(cohort=cohort, role=Membership.Role.PARTICIPANT).count(),
        "responses": Response.objects.filter(survey__cohort=cohort).count(),
        "answers": Answer.objects.filter(response__survey__cohort=cohort).count(),
        "attendance": Attendance.objects.filter(module__cohort=cohort).count(),
        "invitations": Invitation.objects.filter(survey__cohort=cohort).count(),
        "data points": DataPoint.objects.filter(measure__project__action_learning_set__cohort=cohort).count(),
    }


COHORT_PATHS = ("cohort", "module__cohort", "survey__cohort", "membership__cohort", "action_learning_set__cohort")


def _object_of_cohort(model, cohort):
    if model._meta.label == "cohorts.Cohort":
        return cohort
    fields = {f.name for f in model._meta.get_fields()}
    for path in COHORT_PATHS:
        if path.split("__")[0] in fields:
            try:
                return model._default_manager.filter(**{path: cohort}).order_by("pk").first()
            except FieldError:  # the field is not a relation to a cohort here: try the next path
                pass
    return None


@pytest.fixture(scope="module")
def counts(django_db_setup, django_db_blocker, tmp_path_factory):
    """{size: {(name, role): Measured}}, each size loaded and rolled back in turn."""
    results = {}
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    with django_db_blocker.unblock(), media:
        for size, people in SIZES.items():
            with transaction.atomic():
                load(plan=_plan(people), analyze=False)
                results[size] = {"pages": _measure_all(), "rows": _rows_of_big_cohort()}
                transaction.set_rollback(True)
    return results


def test_every_get_page_is_measured_or_left_out_with_a_reason():
    keys = {name for name, _role in _page_keys()}
    walked = {name for name, _k, callback in _walk(get_resolver()) if _answers_get(callback)}
    assert walked - keys - set(LEFT_OUT) == set()
    assert set(LEFT_OUT) - walked == set(), "LEFT_OUT names a pattern that no longer exists"


def test_the_sizes_differ_where_it_matters(counts):
    """The large data set is ten times the small one where pages could grow."""
    small, large = counts["small"]["rows"], counts["large"]["rows"]
    for what in ("participants", "responses", "answers", "attendance", "invitations", "data points"):
        assert large[what] >= 9 * small[what] > 0, (what, small[what], large[what])
    assert len(counts["small"]["pages"]) == len(counts["large"]["pages"]) > 100


@pytest.mark.parametrize(("name", "role"), _page_keys(), ids=lambda value: str(value))
def test_query_count_is_the_same_at_both_sizes_and_small(counts, name, role):
    small, large = counts["small"]["pages"].get((name, role)), counts["large"]["pages"].get((name, role))
    assert small is not None, f"{name} as {role} was not measured (no object to show?)"
    assert large is not None
    assert small.status == large.status
    assert large.status < 500
    grown = Counter(map(_shape, large.sql)) - Counter(map(_shape, small.sql))
    assert large.queries == small.queries, (
        f"{small.queries} queries at {SIZES['small']} people, {large.queries} at {SIZES['large']}; "
        f"repeated more often: {[f'{n}x {shape[:300]}' for shape, n in grown.most_common(3)]}"
    )
    assert large.queries <= COMPOSITE.get(name, (MAX_QUERIES, ""))[0], large.sql
