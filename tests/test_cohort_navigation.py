"""One cohort sub-navigation and breadcrumbs back to the cohort on every cohort page (issue 11).

Every GET page of the URLconf under ``/cohorts/<pk>/`` (tests/pages.py, so a page added later is
checked without anyone listing it) is opened, as the role that uses it, on the demo, and must show:

* exactly one cohort navigation (a ``<nav>`` named after the cohort), with exactly one link marked
  ``aria-current="page"``: the page's own section;
* breadcrumbs (a ``<nav>`` named "Breadcrumb") whose links lead back to the cohort.
"""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from common.navigation import SECTIONS, current_section
from tests import pages
from tests.pages import Role
from tests.test_permissions import _walk

pytestmark = pytest.mark.django_db
from django.urls import get_resolver  # noqa: E402

COHORT_PAGES = [
    page
    for page in pages.pages()
    if page.status == 200
    and page.submit is None
    and "cohort_pk" in next(p for p in pages.url_patterns() if p.name == page.name).kwarg_names
    # The print version of the showcase hides navigation on paper, but shows it on screen too.
]


class _Navs(HTMLParser):
    """The ``<nav>`` elements of a page: their names, links and which link is current."""

    def __init__(self):
        super().__init__()
        self.navs, self._depth = [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav":
            self.navs.append({"label": attrs.get("aria-label", ""), "links": [], "current": []})
            self._depth += 1
        elif tag == "a" and self._depth:
            self.navs[-1]["links"].append(attrs.get("href", ""))
            if attrs.get("aria-current") == "page":
                self.navs[-1]["current"].append(attrs.get("href", ""))

    def handle_endtag(self, tag):
        if tag == "nav":
            self._depth -= 1


@pytest.fixture(scope="module")
def demo_site(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), pages.demo_loaded():
        values = pages.demo_prepare()
        clients = {}
        for role, user in pages.role_users().items():
            clients[role] = Client()
            clients[role].force_login(user)
        yield values, clients


def test_every_cohort_url_belongs_to_a_section():
    names = [name for name, kwargs in _walk(get_resolver()) if "cohort_pk" in kwargs]
    assert len(names) > 50
    assert [name for name in names if current_section(name) is None] == []


def test_sections_are_matched_by_name_before_namespace():
    assert current_section("surveys:pdsa_timeline") == "pdsa"
    assert current_section("surveys:survey_list") == "surveys"
    assert current_section("projects:presentation_delete") == "showcase"
    assert current_section("projects:data_point_update") == "projects"
    assert current_section("evaluation:practice_moment_list") == "practice"
    assert current_section("evaluation:practice_summary") == "evaluation"
    assert current_section("reports:report_detail") == "report"
    assert current_section("reports:key_impact_update") == "report"
    assert {s.key for s in SECTIONS} >= {"overview", "modules", "participants", "surveys", "pdsa", "projects"}


@pytest.mark.parametrize("spec", COHORT_PAGES, ids=str)
def test_cohort_page_has_one_cohort_navigation_and_breadcrumbs_back_to_the_cohort(demo_site, spec):
    values, clients = demo_site
    response = clients[spec.role].get(spec.path(values), follow=True)
    assert response.status_code == 200
    parser = _Navs()
    parser.feed(response.content.decode())
    cohort_navs = [nav for nav in parser.navs if nav["label"].startswith("Cohort: ")]
    assert len(cohort_navs) == 1, [nav["label"] for nav in parser.navs]
    (cohort_nav,) = cohort_navs
    assert len(cohort_nav["current"]) == 1, cohort_nav
    crumbs = [nav for nav in parser.navs if nav["label"] == "Breadcrumb"]
    assert len(crumbs) == 1
    # The page's own cohort (a few pages are checked in another cohort of the demo, e.g. the finished one).
    cohort_pk = re.match(r"/cohorts/(\d+)/", spec.path(values)).group(1)
    cohort_home = (
        f"/cohorts/{cohort_pk}/" if spec.role in (Role.FACILITATOR, Role.STAFF) else f"/cohorts/{cohort_pk}/sets/"
    )
    on_cohort_home = re.fullmatch(rf"/cohorts/{cohort_pk}/", response.request["PATH_INFO"])
    assert on_cohort_home or cohort_home in crumbs[0]["links"], crumbs[0]["links"]
