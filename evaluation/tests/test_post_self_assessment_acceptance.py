"""Browser test (issue 12): on a 375-pixel phone, a participant answers the self-assessment after the
programme through their link, rating each item "now" and "before the programme", lets a free-text
answer be quoted, and then signs in and logs a practice moment."""

import datetime
import re

import pytest
from django.utils import timezone

from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from conftest import sign_in
from evaluation.models import PracticeMoment
from evaluation.services import evaluation_question_sets_ensure
from modules.services import module_mark_delivered
from modules.tests.factories import ModuleFactory
from projects.tests.factories import ActionLearningSetFactory, participant_in_set
from surveys.models import Answer, Question, Survey
from surveys.services import invitation_issue_token

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"  # UserFactory's password
CHANGE = "I now start my one-to-ones with a GROW question instead of a list of problems."
NOW = "4 – Agree"
THEN = "2 – Disagree"


def _post_self_assessment_with_a_free_text_question():
    """The library's post self-assessment (28 ratings, each with "then") and, as staff or a
    facilitator's copy may add, one optional free-text question at the end."""
    question_set = evaluation_question_sets_ensure()[Survey.Kind.SELF_POST]
    Question.objects.create(
        question_set=question_set,
        order=1000,
        code="self-change",
        kind=Question.Kind.LONG_TEXT,
        text="What is the biggest change in how you lead?",
        required=False,
    )
    return question_set


def _delivered_programme():
    cohort = CohortFactory(name="Tamar Vale Cohort 1", start_date=timezone.localdate() - datetime.timedelta(days=180))
    set_facilitator = MembershipFactory(cohort=cohort, role="set_facilitator", person__full_name="Helen Ashworth")
    the_set = ActionLearningSetFactory(cohort=cohort, name="Set B", set_facilitator=set_facilitator)
    user = participant_in_set(the_set, person__user=UserFactory(username="ward-manager"))
    last = ModuleFactory(cohort=cohort, number=6, starts_at=timezone.now() - datetime.timedelta(hours=8))
    module_mark_delivered(module=last)
    return cohort, user


def test_participant_answers_post_self_assessment_with_then_ratings_and_logs_practice_on_a_phone(
    phone_page, live_server
):
    question_set = _post_self_assessment_with_a_free_text_question()
    cohort, user = _delivered_programme()
    survey = Survey.objects.get(cohort=cohort, kind=Survey.Kind.SELF_POST)
    membership = user.person.memberships.get()
    token = invitation_issue_token(invitation=survey.invitations.get(membership=membership))
    ratings = list(question_set.questions.filter(asks_then=True).order_by("order"))
    assert len(ratings) == 28

    page = phone_page
    page.goto(f"{live_server.url}/s/{token}/")
    page.wait_for_url(re.compile(r"/s/answer/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Self-assessment after the programme"
    for number, question in enumerate(ratings):
        item = page.get_by_role("group", name=re.compile(rf"^{re.escape(question.text)}"))
        if number == 0:
            # The first by keyboard: Space selects the focused radio, the arrow keys move the choice.
            item.get_by_role("radiogroup", name="Now").get_by_label("3 – Neither agree nor disagree").focus()
            page.keyboard.press("Space")
            page.keyboard.press("ArrowRight")
            item.get_by_role("radiogroup", name="Before the programme (looking back)").get_by_label(
                "1 – Strongly disagree"
            ).focus()
            page.keyboard.press("Space")
            page.keyboard.press("ArrowRight")
            continue
        item.get_by_role("radiogroup", name="Now").get_by_label(NOW).check()
        item.get_by_role("radiogroup", name="Before the programme (looking back)").get_by_label(THEN).check()
    page.get_by_label("What is the biggest change in how you lead?").fill(CHANGE)
    consent = page.get_by_role("group", name="May we quote this in the impact report?")
    assert consent.get_by_label("No", exact=True).is_checked()
    # A pseudonymous survey does not offer the name: it would unmask the other answers.
    assert consent.get_by_label("Yes, with my name and role").count() == 0
    consent.get_by_label("Yes, with my role").check()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_text("Thank you – your answers are saved").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    answers = {a.question.code: a for a in Answer.objects.filter(response__survey=survey).select_related("question")}
    assert len(answers) == 29
    first, *others = ratings
    # Space chose 3 and 1; ArrowRight moved each to the next choice: 4 now, 2 then.
    assert (answers[first.code].number, answers[first.code].then_number) == (4, 2)
    assert {(answers[q.code].number, answers[q.code].then_number) for q in others} == {(4, 2)}
    assert answers["self-change"].text == CHANGE
    assert answers["self-change"].quote_consent == Answer.QuoteConsent.ROLE
    # Pseudonymous: the stored response carries the pseudonym, not the membership.
    response = answers["self-change"].response
    assert (response.membership_id, bool(response.pseudonym)) == (None, True)

    # The thank-you page leads straight on to the end-of-programme evaluation.
    page.get_by_role("button", name="Go on to “End-of-programme evaluation”").click()
    page.wait_for_url(re.compile(r"/s/answer/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "End-of-programme evaluation"

    sign_in(page, live_server, user)
    page.wait_for_url(re.compile(r"/me/$"))
    page.get_by_role("link", name="My practice log").click()
    page.wait_for_url(re.compile(rf"/cohorts/{cohort.pk}/practice/$"))
    page.get_by_role("link", name="Log a practice moment").click()
    page.get_by_label("A GROW coaching conversation").check()
    page.get_by_label("My team").check()
    page.get_by_role("button", name="Log it").click()
    page.get_by_text("Practice moment logged. Thank you.").wait_for()
    moment = PracticeMoment.objects.get()
    assert (moment.membership, moment.date, moment.method) == (
        membership,
        timezone.localdate(),
        PracticeMoment.Method.GROW,
    )
    assert not moment.shared_with_set
