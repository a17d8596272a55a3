"""The answer page of a post self-assessment: "then" ratings beside "now", and quote consent."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from cohorts.tests.factories import MembershipFactory
from surveys.models import Answer, Question, Survey
from surveys.services import invitation_issue_token
from surveys.tests.factories import CohortSurveyFactory, InvitationFactory, QuestionFactory, QuestionSetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def post_survey():
    question_set = QuestionSetFactory()
    QuestionFactory(question_set=question_set, code="coach", kind=Question.Kind.LIKERT5, asks_then=True)
    QuestionFactory(question_set=question_set, code="story", kind=Question.Kind.LONG_TEXT, required=False)
    return CohortSurveyFactory(kind=Survey.Kind.SELF_POST, question_set=question_set)


def _client(survey):
    invitation = InvitationFactory(survey=survey, membership=MembershipFactory(cohort=survey.cohort))
    client = Client()
    client.get(reverse("surveys:answer_start", kwargs={"token": invitation_issue_token(invitation=invitation)}))
    return client


def test_answer_page_shows_now_and_then_side_by_side_and_consent_by_privacy(post_survey):
    page = _client(post_survey).get(reverse("surveys:answer")).content.decode()
    assert "Self-assessment after the programme" in page
    assert 'name="q_coach"' in page
    assert 'name="q_coach__then"' in page
    assert "Before the programme (looking back)" in page
    assert 'class="survey-then"' in page
    # Pseudonymous: anonymously or with the role, never the name.
    assert 'value="role"' in page
    assert 'value="name_and_role"' not in page


def test_answer_saves_then_rating_and_quote_consent_and_consent_can_change(post_survey):
    client = _client(post_survey)
    data = {"q_coach": "4", "q_coach__then": "2", "q_story": "I coach my team now.", "q_story__consent": "role"}
    saved = client.post(reverse("surveys:answer"), data)
    assert saved.status_code == 200
    assert "Thank you – your answers are saved" in saved.content.decode()
    answers = {a.question.code: a for a in Answer.objects.select_related("question")}
    assert (answers["coach"].number, answers["coach"].then_number) == (4, 2)
    assert answers["story"].quote_consent == Answer.QuoteConsent.ROLE
    page = client.get(reverse("surveys:answer")).content.decode()
    assert re.search(r'name="q_story__consent" value="role"[^>]*checked', page)
    assert re.search(r'name="q_coach__then" value="2"[^>]*checked', page)
    assert client.post(reverse("surveys:answer"), {**data, "q_story__consent": "none"}).status_code == 200
    assert Answer.objects.get(question__code="story").quote_consent == Answer.QuoteConsent.NONE


def test_answer_refuses_missing_then_and_name_consent_on_pseudonymous_survey(post_survey):
    client = _client(post_survey)
    data = {"q_coach": "4", "q_story": "Text", "q_story__consent": "name_and_role"}
    response = client.post(reverse("surveys:answer"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Rate where you were before the programme too." in page
    assert not Answer.objects.exists()


def test_anonymous_survey_offers_only_anonymous_quotes():
    survey = CohortSurveyFactory(kind=Survey.Kind.EVALUATION, privacy=Survey.Privacy.ANONYMOUS)
    assert survey.quote_consent_levels == [Answer.QuoteConsent.NONE, Answer.QuoteConsent.ANONYMOUS]
    named = CohortSurveyFactory(kind=Survey.Kind.FOLLOW_UP, privacy=Survey.Privacy.NAMED)
    assert Answer.QuoteConsent.NAME_AND_ROLE in named.quote_consent_levels
