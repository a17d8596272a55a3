"""The access rule, checked on every URL the project has (new URLs are covered automatically).

- Nobody signed out reaches anything but the public pages listed below.
- Every URL with a ``cohort_pk`` answers 404 to a facilitator of another cohort and to a
  participant of another cohort, for GET and POST alike.
- Facilitator-only cohort URLs answer 404 to the cohort's own participants.
"""

import uuid

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from cohorts.access import FACILITATOR
from cohorts.middleware import _required_access
from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

# Views anyone may open without signing in. Adding a public view means adding it here, on purpose.
PUBLIC_URL_NAMES = {
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "surveys:answer_start",
    "surveys:answer",
    "surveys:answer_next",
    "accounts:sign_in_link_request",
    "accounts:sign_in_link_sent",
    "accounts:sign_in_link_use",
    "accounts:calendar_feed",
    "healthz",
    "accessibility_statement",
}

SAMPLE_VALUES = {"int": 1, "str": "sample", "slug": "sample", "path": "sample", "uuid": uuid.uuid4()}


def _converter_kind(converter):
    return {
        "IntConverter": "int",
        "StringConverter": "str",
        "SlugConverter": "slug",
        "PathConverter": "path",
        "UUIDConverter": "uuid",
    }.get(type(converter).__name__, "str")


def _walk(resolver, namespace="", converters=None):
    converters = dict(converters or {})
    for entry in resolver.url_patterns:
        entry_converters = {**converters, **getattr(entry.pattern, "converters", {})}
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            child_namespace = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, child_namespace, entry_converters)
        elif isinstance(entry, URLPattern) and entry.name:
            kwargs = {name: SAMPLE_VALUES[_converter_kind(conv)] for name, conv in entry_converters.items()}
            yield f"{namespace}{entry.name}", kwargs


def project_urls(cohort_pk):
    urls = []
    for name, kwargs in _walk(get_resolver()):
        if "cohort_pk" in kwargs:
            kwargs["cohort_pk"] = cohort_pk
        urls.append((name, reverse(name, kwargs=kwargs), "cohort_pk" in kwargs))
    return urls


@pytest.fixture
def cohort():
    return CohortFactory()


@pytest.fixture
def other_cohort_facilitator():
    user = UserFactory()
    MembershipFactory(role="facilitator", person__user=user)
    return user


@pytest.fixture
def other_cohort_participant():
    user = UserFactory()
    MembershipFactory(role="participant", person__user=user)
    return user


def test_every_url_is_reachable_by_the_walk(cohort):
    urls = project_urls(cohort.pk)
    cohort_scoped = [name for name, _url, scoped in urls if scoped]
    assert "home" in {name for name, _url, _scoped in urls}
    assert cohort_scoped, "the walk found no cohort URL: the test would check nothing"


def test_signed_out_visitor_reaches_only_public_pages(cohort):
    client = Client()
    for name, url, _scoped in project_urls(cohort.pk):
        response = client.get(url)
        if name in PUBLIC_URL_NAMES:
            assert not (response.status_code == 302 and "/accounts/login/" in response["Location"]), name
        else:
            assert response.status_code == 302, (name, response.status_code)
            assert response["Location"].startswith(reverse("login")), name


def test_public_pages_are_exactly_the_listed_ones(cohort):
    for name, url, _scoped in project_urls(cohort.pk):
        match = resolve(url)
        is_public = getattr(match.func, "login_required", True) is False
        assert is_public == (name in PUBLIC_URL_NAMES), name


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("outsider", ["other_cohort_facilitator", "other_cohort_participant"])
def test_cohort_urls_are_404_to_people_of_other_cohorts(cohort, request, outsider, method):
    client = Client(raise_request_exception=True)
    client.force_login(request.getfixturevalue(outsider))
    checked = 0
    for name, url, scoped in project_urls(cohort.pk):
        if not scoped:
            continue
        response = getattr(client, method)(url)
        assert response.status_code == 404, (name, method, response.status_code)
        checked += 1
    assert checked > 0


@pytest.mark.parametrize("method", ["get", "post"])
def test_facilitator_urls_are_404_to_the_cohorts_own_participants(cohort, method):
    participant = UserFactory()
    MembershipFactory(cohort=cohort, role="participant", person__user=participant)
    client = Client()
    client.force_login(participant)
    for name, url, scoped in project_urls(cohort.pk):
        if scoped and _required_access(resolve(url).func) == FACILITATOR:
            response = getattr(client, method)(url)
            assert response.status_code == 404, (name, method, response.status_code)


def test_withdrawn_facilitator_loses_access(cohort):
    user = UserFactory()
    MembershipFactory(
        cohort=cohort, role="facilitator", person__user=user, status="withdrawn", withdrawn_on="2026-02-01"
    )
    client = Client()
    client.force_login(user)
    for name, url, scoped in project_urls(cohort.pk):
        if scoped:
            assert client.get(url).status_code == 404, name


def test_admin_is_closed_to_non_staff(other_cohort_facilitator):
    client = Client()
    client.force_login(other_cohort_facilitator)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
