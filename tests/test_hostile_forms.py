"""Random and hostile data posted to every form of the URLconf, as the role that uses it.

Every POST pattern is found by walking the URLconf (tests/hostile.py); its fields are those the
pages really show that role (found by opening every page of tests/pages.py), so a new form, or a
new field on a form, is fuzzed without anyone listing it. A POST pattern that is neither fuzzed nor
excluded with a reason fails ``test_every_post_pattern_is_fuzzed_or_excluded``.

For each post: never a 500 (the test client raises the view's exception), and a post refused (4xx)
says why and changes no row of any table (sessions aside). Every post runs
in a transaction rolled back afterwards, so each starts from the same demo.

Two passes: a fixed one (each hostile value in every field at once, nothing, every field twice)
and hypothesis's random mixes of valid values, hostile values and arbitrary text per field, with
fields left out or sent twice.
"""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import hostile, pages
from tests.pages import Role

# Each test in a transaction (rolled back) over the module's committed demo; the mark also makes
# pytest-django create the test database when only these tests run.
pytestmark = pytest.mark.django_db

PATTERNS = {pattern.name: pattern for pattern in hostile.post_patterns()}
# Public survey pages are answered with the link's cookie; the others as the role that uses them.
SURVEY_LINK_PAGES = {"surveys:answer", "surveys:answer_next"}
CASES = [
    (name, role)
    for name, pattern in PATTERNS.items()
    if name not in hostile.EXCLUDED_POST
    for role in pages.roles_for(pattern)
]
# Statistics for the report at the end of the module (printed with -s).
TRIED = {"posts": 0, "refused": 0, "accepted": 0, "payloads": 0}
FIXED_POSTS, FIXED_POSTS_MAX = 5, 8


class Site:
    def __init__(self, values, clients, answer_client, forms):
        self.values, self.clients, self.answer_client, self.forms = values, clients, answer_client, forms

    def client(self, name, role) -> Client:
        return self.answer_client if name in SURVEY_LINK_PAGES else self.clients[role]

    def fields(self, name, role) -> dict[str, list[str]]:
        for key in ((name, role), *((name, other) for other in Role)):
            if key in self.forms:
                return self.forms[key]
        return hostile.form_class_fields(PATTERNS[name])

    def path(self, name) -> str:
        return hostile.post_path(name, self.values)


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), pages.demo_loaded():
        values = hostile.post_values(pages.demo_prepare())
        clients = hostile.role_clients()
        answer_client = Client(raise_request_exception=True)
        answer_client.get(reverse("surveys:answer_start", kwargs={"token": values["token"]}))
        site = Site(values, clients, answer_client, hostile.discover_forms(clients, values, answer_client))
        site.baseline = hostile.row_counts()
        yield site
    print(f"\nhostile forms: {len(CASES)} (URL, role) cases, {TRIED}")  # noqa: T201


def _post(site, name, role, data: list[tuple[str, str]]):
    client = site.client(name, role)
    cookies = {key: morsel.value for key, morsel in client.cookies.items()}
    # Every post is rolled back, so every post starts from the rows counted once at the start.
    before = site.baseline
    try:
        with transaction.atomic():
            response = client.post(
                site.path(name), data=hostile.encode_form(data), content_type="application/x-www-form-urlencoded"
            )
            after = hostile.row_counts() if response.status_code >= 400 else before
            transaction.set_rollback(True)
    finally:
        # A post may sign the client out, in or over (logout, login): each post starts as the role.
        client.cookies.clear()
        for key, value in cookies.items():
            client.cookies[key] = value
    TRIED["posts"] += 1
    status = response.status_code
    assert status < 500, (name, role, status)
    # Accepted: a redirect, or a page (the calendar feed shows its new address once, with 200).
    if status < 400:
        TRIED["accepted"] += 1
        return
    TRIED["refused"] += 1
    changed = {table: (before[table], after[table]) for table in before if before[table] != after[table]}
    assert not changed, f"{name} as {role} answered {status} but changed rows: {changed}"
    content = response.content.decode(errors="replace")
    assert hostile.shows_error(content), f"{name} as {role} answered {status} without saying what is wrong"


def test_every_post_pattern_is_fuzzed_or_excluded():
    fuzzed = {name for name, _role in CASES}
    assert set(PATTERNS) == fuzzed | set(hostile.EXCLUDED_POST)
    assert all(reason for reason in hostile.EXCLUDED_POST.values())
    # Forms with fields of their own are among them (the walk found forms, not just buttons).
    assert {"surveys:answer", "cohorts:participant_add", "projects:pdsa_cycle_update"} <= fuzzed


def test_every_form_shown_on_a_page_was_found(site):
    """The fields come from the pages: the main forms must have been seen there, as their role."""
    for name, role in [
        ("surveys:answer", Role.SIGNED_OUT),
        ("cohorts:participant_add", Role.FACILITATOR),
        ("modules:module_detail", Role.FACILITATOR),
        ("projects:project_update", Role.PARTICIPANT),
        ("projects:data_point_create", Role.PARTICIPANT),
        ("login", Role.SIGNED_OUT),
    ]:
        assert (name, role) in site.forms, (name, role)
    assert any(name.startswith("q_") for name in site.forms[("surveys:answer", Role.SIGNED_OUT)])


@pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{name}-{role}" for name, role in CASES])
def test_fixed_hostile_values_in_every_field(site, name, role):
    fields = list(site.fields(name, role).items())
    _post(site, name, role, [])
    _post(site, name, role, [(field, value) for field, options in fields for value in (options[:1] * 2)])
    # Each post gives each field another hostile value: each field gets FIXED_POSTS to
    # FIXED_POSTS_MAX of them, and a form of four fields or more gets every value in some field
    # (the random pass draws from all of them for every field).
    values = hostile.HOSTILE_VALUES
    posts = min(FIXED_POSTS_MAX, max(FIXED_POSTS, -(-len(values) // max(len(fields), 1))))
    for k in range(posts):
        _post(site, name, role, [(field, values[(k + posts * i) % len(values)]) for i, (field, _) in enumerate(fields)])
        TRIED["payloads"] += len(fields)


def _field_value(options):
    return st.one_of(
        st.sampled_from(options or [""]),
        st.sampled_from(hostile.HOSTILE_VALUES),
        st.text(max_size=300),
        st.integers().map(str),
        st.dates().map(str),
    )


@st.composite
def _form_data(draw, fields):
    data = []
    for field, options in fields.items():
        times = draw(st.sampled_from([0, 1, 1, 1, 2]))
        data += [(field, draw(_field_value(options))) for _ in range(times)]
    # Fields nobody asked for, now and then.
    data += draw(st.lists(st.tuples(st.sampled_from(["id", "pk", "version", "cohort", "x"]), st.text()), max_size=2))
    return data


@pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{name}-{role}" for name, role in CASES])
def test_random_data_never_breaks_a_form(site, name, role):
    fields = site.fields(name, role)

    @settings(
        max_examples=3,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=_form_data(fields))
    def check(data):
        _post(site, name, role, data)

    check()
