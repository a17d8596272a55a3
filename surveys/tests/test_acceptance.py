"""Browser test (issue 3): a participant answers on a phone, comes back and changes an answer,
and a facilitator sees the result."""

import re

import pytest

from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from modules.tests.factories import ModuleFactory
from surveys.models import Answer, Response, Survey
from surveys.services import invitation_issue_token, response_submit, survey_open_for_module
from surveys.tests.answering import answer_module_survey, group
from surveys.tests.factories import ANSWERS

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"  # UserFactory's password


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
    group(phone, "The module was useful for my work.").get_by_label("4 – Agree").check()
    group(phone, "I feel confident to apply").get_by_label("5 – Strongly agree").check()
    group(phone, "How did the pace of the day feel?").get_by_label("Too fast").check()
    conditional.fill("The afternoon group work")
    group(phone, "How likely are you to recommend").get_by_label("9", exact=True).check()
    phone.get_by_label("What went well?").fill("Time away from the ward to think.")
    phone.get_by_role("button", name="Send my answers").click()
    phone.get_by_text("Thank you – your answers are saved").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # Coming back through the same link shows the saved answers, which can be changed.
    phone.goto(f"{live_server.url}/s/{token}/")
    phone.wait_for_url(re.compile(r"/s/answer/$"))
    useful = group(phone, "The module was useful for my work.")
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


def test_the_link_leaves_no_token_in_the_address_a_reload_or_the_tabs_history(page, live_server):
    """The link shows the form at once; its script replaces the address, and the tab's history
    entry, with /s/answer/: a reload asks for /s/answer/ (the token is in the cookie), and going
    back to the page from elsewhere never asks for, or shows, the link's address again."""
    cohort = CohortFactory()
    participant = MembershipFactory(cohort=cohort)
    survey = survey_open_for_module(module=ModuleFactory(cohort=cohort, number=1, title="Leading self"))
    token = invitation_issue_token(invitation=survey.invitations.get(membership=participant))
    link, answering = f"{live_server.url}/s/{token}/", f"{live_server.url}/s/answer/"
    documents = []
    page.on("request", lambda r: documents.append(r.url) if r.resource_type == "document" else None)

    def shows_the_form():
        assert page.get_by_role("heading", level=1).inner_text().startswith("Your feedback on module 1")
        assert page.get_by_role("button", name="Send my answers").is_visible()

    page.goto(link)
    page.wait_for_url(answering)
    shows_the_form()
    assert page.evaluate("location.href") == answering
    assert token not in page.evaluate("document.URL")

    with page.expect_request(answering) as reloaded:
        page.reload()
    assert reloaded.value.method == "GET"
    shows_the_form()
    assert page.url == answering

    page.goto(f"{live_server.url}/accessibility/")
    page.go_back()
    page.wait_for_url(answering)
    shows_the_form()
    page.go_forward()
    page.wait_for_url(f"{live_server.url}/accessibility/")
    page.go_back()
    page.wait_for_url(answering)
    shows_the_form()

    answer_module_survey(page)
    assert page.url == answering
    assert Response.objects.filter(survey=survey).count() == 1

    # Only the first navigation asked for the link's address; the reload and the way back, /s/answer/.
    assert [url for url in documents if token in url] == [link]
    # Walked back to its start, the tab's history holds the thank-you page, the answering page (the
    # link's own entry, its address replaced) and the new tab's blank page: never the link.
    entries = [page.url]
    for _ in range(page.evaluate("history.length") - 1):
        page.go_back()
        entries.append(page.url)
    assert entries == [answering, answering, "about:blank"]
    assert [url for url in documents if token in url] == [link]


def test_a_link_to_an_anonymous_answer_already_given_leaves_no_token_in_the_address(page, live_server):
    """Another link of an invitation whose anonymous answer is final shows "already answered": its
    script replaces the address too, so that no link lingers in the address bar or the history."""
    cohort = CohortFactory()
    participant = MembershipFactory(cohort=cohort)
    survey = survey_open_for_module(module=ModuleFactory(cohort=cohort, number=1))
    Survey.objects.filter(pk=survey.pk).update(privacy=Survey.Privacy.ANONYMOUS)
    invitation = survey.invitations.get(membership=participant)
    first = invitation_issue_token(invitation=invitation)
    response_submit(invitation=invitation, token=first, raw_answers=ANSWERS)
    second = invitation_issue_token(invitation=invitation)

    page.goto(f"{live_server.url}/s/{second}/")

    page.wait_for_url(f"{live_server.url}/s/answer/")
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you, you have already answered"
    assert second not in page.evaluate("document.URL")
    assert Response.objects.count() == 1
