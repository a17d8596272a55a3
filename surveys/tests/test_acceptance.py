"""Browser test (issue 3): a participant answers on a phone, comes back and changes an answer,
and a facilitator sees the result."""

import re

import pytest

from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from modules.tests.factories import ModuleFactory
from surveys.models import Answer, Response, Survey
from surveys.services import invitation_issue_token, survey_open_for_module

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"  # UserFactory's password


def _group(page, name):
    return page.get_by_role("group", name=re.compile(rf"^{re.escape(name)}"))


def test_participant_answers_on_phone_changes_answer_and_facilitator_sees_it(phone_page, page, live_server):
    cohort = CohortFactory(name="Tamar Vale Cohort 1")
    module = ModuleFactory(cohort=cohort, number=1, title="Leading self")
    facilitator = UserFactory(username="facilitator-surveys")
    MembershipFactory(cohort=cohort, role="facilitator", person__user=facilitator)
    participant = MembershipFactory(cohort=cohort, person__full_name="Aisha Khan")
    survey = survey_open_for_module(module=module)
    Survey.objects.filter(pk=survey.pk).update(privacy=Survey.Privacy.NAMED)
    token = invitation_issue_token(invitation=survey.invitations.get(membership=participant))

    phone = phone_page
    phone.goto(f"{live_server.url}/s/{token}/")
    phone.wait_for_url(re.compile(r"/s/answer/$"))
    assert token not in phone.url
    assert phone.get_by_role("heading", level=1).inner_text().startswith("Your feedback on module 1")

    conditional = phone.get_by_label("Which part of the day felt rushed?")
    assert conditional.is_hidden()
    _group(phone, "The module was useful for my work.").get_by_label("4 – Agree").check()
    _group(phone, "I feel confident to apply").get_by_label("5 – Strongly agree").check()
    _group(phone, "How did the pace of the day feel?").get_by_label("Too fast").check()
    conditional.fill("The afternoon group work")
    _group(phone, "How likely are you to recommend").get_by_label("9", exact=True).check()
    phone.get_by_label("What went well?").fill("Time away from the ward to think.")
    phone.get_by_role("button", name="Send my answers").click()
    phone.get_by_text("Thank you – your answers are saved").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # Coming back through the same link shows the saved answers, which can be changed.
    phone.goto(f"{live_server.url}/s/{token}/")
    phone.wait_for_url(re.compile(r"/s/answer/$"))
    useful = _group(phone, "The module was useful for my work.")
    assert useful.get_by_label("4 – Agree").is_checked()
    useful.get_by_label("2 – Disagree").check()
    phone.get_by_role("button", name="Save my changes").click()
    phone.get_by_text("Thank you – your answers are saved").wait_for()
    assert Response.objects.count() == 1
    assert Answer.objects.get(question__code="usefulness").number == 2

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(facilitator.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    page.goto(f"{live_server.url}/cohorts/{cohort.pk}/surveys/1/results/")
    assert "1 of 1 invited have responded" in page.locator("#response-rate").inner_text()
    usefulness = page.locator("section[data-code='usefulness']")
    assert "Mean 2.00" in usefulness.inner_text()
    row = usefulness.get_by_role("row", name=re.compile(r"^2 – Disagree"))
    assert row.get_by_role("cell").first.inner_text() == "1"
    went_well = page.locator("section[data-code='went_well']").inner_text()
    assert "Time away from the ward to think." in went_well
    assert "Aisha Khan" in went_well
