"""WCAG 2.2 A/AA checks (axe-core, run in Chromium) on the demo's pages, at desktop and phone widths.

axe finds what a machine can (contrast, names, labels, landmarks, headings, ARIA); keyboard
use and reading order are covered by the browser tests of each page.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.urls import reverse

from cohorts.models import Cohort
from demo import scenario as demo
from projects.models import ImprovementProject
from surveys.models import Invitation
from surveys.services import invitation_issue_token

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]

WCAG_22_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}


@pytest.fixture
def demo_data(transactional_db):
    call_command("load_demo", "--force", verbosity=0)
    return Cohort.objects.get(name=demo.COHORT)


def _violations(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    results = Axe().run(page, options=WCAG_22_AA)
    return [
        f"{url}: {violation['id']} ({violation['impact']}): {violation['help']} at "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
    ]


PASSWORDS = {username: password for username, password, _who in demo.DEMO_LOGINS}


def _context(browser, live_server, viewport, username=None):
    # axe is injected by the test driver, so this context lets it past the page's CSP.
    context = browser.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    if username:
        page.goto(f"{live_server.url}{reverse('login')}")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORDS[username])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/**")
    return context, page


def _violations_on_current(page):
    results = Axe().run(page, options=WCAG_22_AA)
    found = [
        f"{page.url}: {violation['id']} ({violation['impact']}): {violation['help']} at "
        + "; ".join(str(node["target"][0]) for node in violation["nodes"][:3])
        for violation in results.response["violations"]
    ]
    # WCAG 1.4.10 Reflow: at 320-400 px nothing but wide tables and charts (which scroll in
    # their own focusable box) may make the whole page scroll sideways.
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
        found.append(f"{page.url}: the page scrolls sideways at {page.viewport_size['width']} px")
    return found


def _violations(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    return _violations_on_current(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_facilitator_pages_have_no_wcag_violations(browser, live_server, demo_data, viewport):
    cohort = demo_data
    project = ImprovementProject.objects.filter(action_learning_set__cohort=cohort).first()
    measure = project.measures.first()
    c = {"cohort_pk": cohort.pk}
    paths = [
        reverse("home"),
        reverse("modules:cohort_detail", kwargs=c),
        reverse("cohorts:participant_add", kwargs=c),
        reverse("cohorts:participant_import", kwargs=c),
        reverse(
            "cohorts:participant_update",
            kwargs={**c, "membership_pk": cohort.memberships.filter(role="participant").first().pk},
        ),
        reverse("modules:module_detail", kwargs={**c, "number": 4}),
        reverse("modules:pdsa_cycle_update", kwargs={**c, "number": 2}),
        reverse("modules:pdsa_timeline", kwargs=c),
        reverse("surveys:survey_list", kwargs=c),
        reverse("surveys:survey_results", kwargs={**c, "number": 1}),
        reverse("surveys:survey_trends", kwargs=c),
        reverse("surveys:invitation_delivery", kwargs={**c, "number": 1}),
        reverse("projects:set_list", kwargs=c),
        reverse("projects:project_detail", kwargs={**c, "project_pk": project.pk}),
        reverse("projects:measure_detail", kwargs={**c, "project_pk": project.pk, "measure_pk": measure.pk}),
        reverse("projects:showcase", kwargs=c),
    ]
    context, page = _context(browser, live_server, viewport, "facilitator")
    try:
        violations = [v for path in paths for v in _violations(page, live_server.url + path)]
    finally:
        context.close()
    assert violations == [], "\n".join(violations)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_participant_and_public_pages_have_no_wcag_violations(browser, live_server, demo_data, viewport):
    invitation = Invitation.objects.filter(
        survey__module__cohort=demo_data, survey__module__number=1, responded_at__isnull=True
    ).first()
    survey = invitation.survey
    survey.status = "open"
    survey.closes_at = survey.closes_at.replace(year=2100)
    survey.save(update_fields=["status", "closes_at"])
    token = invitation_issue_token(invitation=invitation)
    context, page = _context(browser, live_server, viewport)
    try:
        violations = _violations(page, live_server.url + reverse("login"))
        violations += _violations(page, live_server.url + reverse("accounts:sign_in_link_request"))
        violations += _violations(page, live_server.url + reverse("surveys:answer_start", kwargs={"token": token}))
        page.get_by_role("button", name="Send my answers").click()  # nothing filled in: the error summary
        page.wait_for_selector("#error-summary, .alert-danger")
        violations += _violations_on_current(page)
    finally:
        context.close()
    context, page = _context(browser, live_server, viewport, "participant")
    try:
        violations += _violations(page, live_server.url + reverse("accounts:my_programme"))
    finally:
        context.close()
    assert violations == [], "\n".join(violations)
