"""Browser test (issue 12): on a 375-pixel phone, a participant logs a practice moment in a minute."""

import datetime
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from conftest import sign_in
from evaluation.models import PracticeMoment
from evaluation.tests.factories import PracticeMomentFactory, participant
from projects.tests.factories import ActionLearningSetFactory, participant_in_set

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"  # UserFactory's password
REFLECTION = "Asked my team what went well on the late shift before we looked at the incidents."


@pytest.fixture
def participant_user(transactional_db):
    cohort = CohortFactory(name="Tamar Vale Cohort 1", start_date=timezone.localdate() - datetime.timedelta(days=60))
    set_facilitator = MembershipFactory(cohort=cohort, role="set_facilitator", person__full_name="Helen Ashworth")
    the_set = ActionLearningSetFactory(cohort=cohort, name="Set B", set_facilitator=set_facilitator)
    return cohort, participant_in_set(the_set, person__user=UserFactory(username="ward-manager"))


def test_participant_logs_a_practice_moment_on_a_phone(phone_page, live_server, participant_user):
    cohort, user = participant_user
    page = phone_page
    sign_in(page, live_server, user)
    page.wait_for_url(re.compile(r"/me/$"))

    page.get_by_role("link", name="My practice log").click()
    page.wait_for_url(re.compile(rf"/cohorts/{cohort.pk}/practice/$"))
    assert page.get_by_text("You have not logged a moment yet.").is_visible()
    page.get_by_role("link", name="Log a practice moment").click()

    assert page.get_by_label("Date").input_value() == timezone.localdate().isoformat()
    assert page.get_by_label("Keep it private: only you can read it").is_checked()
    page.get_by_label("Appreciative Inquiry").check()
    page.get_by_label("My team").check()
    page.get_by_label("Reflection (optional)").fill(REFLECTION)
    page.get_by_label("Share it with my set, Set B: its members and its facilitator, Helen Ashworth").check()
    # Everything fits the phone's width: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.get_by_role("button", name="Log it").click()

    page.get_by_text("Practice moment logged. Thank you.").wait_for()
    entry = page.locator(".practice-moment")
    assert entry.count() == 1
    assert "Appreciative Inquiry" in entry.inner_text()
    assert "My team" in entry.inner_text()
    assert "shared with my set" in entry.inner_text()
    assert REFLECTION in entry.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    moment = PracticeMoment.objects.get()
    assert (moment.membership.person.user, moment.date) == (user, timezone.localdate())
    assert (moment.method, moment.with_whom, moment.shared_with_set) == ("appreciative_inquiry", "team", True)


WCAG_22_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}


@pytest.mark.parametrize("width", [375, 1280])
def test_practice_pages_have_no_wcag_violations(browser, live_server, participant_user, width):
    cohort, user = participant_user
    moment = PracticeMomentFactory(
        membership=user.person.memberships.get(), reflection=REFLECTION, shared_with_set=True
    )
    for _ in range(3):
        PracticeMomentFactory(membership=participant(cohort))
    facilitator = MembershipFactory(cohort=cohort, role="facilitator", person__user=UserFactory()).person.user
    pages = {
        user: [
            reverse("evaluation:practice_moment_list", kwargs={"cohort_pk": cohort.pk}),
            reverse("evaluation:practice_moment_create", kwargs={"cohort_pk": cohort.pk}),
            reverse("evaluation:practice_moment_update", kwargs={"cohort_pk": cohort.pk, "moment_pk": moment.pk}),
            reverse("evaluation:practice_moment_delete", kwargs={"cohort_pk": cohort.pk, "moment_pk": moment.pk}),
            reverse("evaluation:practice_nudges_update", kwargs={"cohort_pk": cohort.pk}),
            reverse("evaluation:practice_set_reflections", kwargs={"cohort_pk": cohort.pk}),
        ],
        facilitator: [reverse("evaluation:practice_summary", kwargs={"cohort_pk": cohort.pk})],
    }
    violations = []
    for who, urls in pages.items():
        # axe is injected by the test driver, so this context lets it past the page's CSP.
        context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True, locale="en-GB")
        context.add_cookies([_session_cookie(live_server, who)])
        page = context.new_page()
        for url in urls:
            assert page.goto(live_server.url + url).status == 200, url
            results = Axe().run(page, options=WCAG_22_AA)
            violations += [f"{url}: {v['id']}: {v['help']}" for v in results.response["violations"]]
            if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
                violations.append(f"{url}: the page scrolls sideways at {width} px")
        context.close()
    assert violations == []


def _session_cookie(live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    return {"name": "sessionid", "value": cookie.value, "url": live_server.url}
