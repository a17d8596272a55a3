"""Browser test (issue 12): on a 375-pixel phone, a participant logs a practice moment in a minute."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from evaluation.models import PracticeMoment
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
    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
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
