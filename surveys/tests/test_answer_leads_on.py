"""The post self-assessment's thank-you page leads on to the end-of-programme evaluation."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cohorts.tests.factories import MembershipFactory
from surveys.models import Answer, InvitationLink, Question, Survey
from surveys.services import invitation_issue_token
from surveys.tests.factories import CohortSurveyFactory, InvitationFactory, QuestionFactory, QuestionSetFactory

pytestmark = pytest.mark.django_db

NEXT = reverse("surveys:answer_next")
GO_ON = "Go on to “End-of-programme evaluation”"


@pytest.fixture
def post_survey():
    question_set = QuestionSetFactory()
    QuestionFactory(question_set=question_set, code="coach", kind=Question.Kind.LIKERT5, asks_then=True)
    return CohortSurveyFactory(kind=Survey.Kind.SELF_POST, question_set=question_set)


def _answered(invitation):
    """A client that opened ``invitation``'s link and sent the post self-assessment, and the
    thank-you page that answered the post."""
    client = Client()
    client.get(reverse("surveys:answer_start", kwargs={"token": invitation_issue_token(invitation=invitation)}))
    response = client.post(reverse("surveys:answer"), {"q_coach": "4", "q_coach__then": "2"})
    assert response.status_code == 200
    return client, response.content.decode()


def test_post_self_assessment_thank_you_page_leads_to_the_participants_evaluation(post_survey):
    member = MembershipFactory(cohort=post_survey.cohort)
    evaluation = CohortSurveyFactory(
        kind=Survey.Kind.EVALUATION, cohort=post_survey.cohort, privacy=Survey.Privacy.NAMED
    )
    mine = InvitationFactory(survey=evaluation, membership=member)
    theirs = InvitationFactory(survey=evaluation)
    client, page = _answered(InvitationFactory(survey=post_survey, membership=member))

    assert "Thank you – your answers are saved" in page
    assert GO_ON in page
    assert f'action="{NEXT}"' in page

    response = client.post(NEXT)

    assert response.status_code == 302
    token = response["Location"].rstrip("/").rsplit("/", 1)[1]
    assert response["Location"] == reverse("surveys:answer_start", kwargs={"token": token})
    assert set(InvitationLink.objects.filter(invitation__survey=evaluation).values_list("invitation", flat=True)) == {
        mine.pk
    }
    evaluation_page = client.get(response["Location"])
    assert evaluation_page.status_code == 200
    assert evaluation_page.context["survey"] == evaluation
    assert evaluation_page.context["form"] is not None
    # The cookie now holds the evaluation's link: the answering page (the form's action) is its.
    # (Drawn once already: the page, not a context, shows whose it is.)
    answering = client.get(reverse("surveys:answer")).content.decode()
    assert str(evaluation.title) in answering
    assert str(post_survey.title) not in answering
    assert theirs.links.count() == 0
    assert Answer.objects.get().then_number == 2


def test_thank_you_page_without_an_evaluation_invitation_offers_nothing_and_next_refuses(post_survey):
    member = MembershipFactory(cohort=post_survey.cohort)
    # An evaluation of the cohort that this participant was not invited to, and one of another cohort.
    InvitationFactory(survey=CohortSurveyFactory(kind=Survey.Kind.EVALUATION, cohort=post_survey.cohort))
    InvitationFactory(survey=CohortSurveyFactory(kind=Survey.Kind.EVALUATION), membership__person=member.person)
    client, page = _answered(InvitationFactory(survey=post_survey, membership=member))

    assert "Thank you – your answers are saved" in page
    assert GO_ON not in page
    assert client.post(NEXT).status_code == 404
    assert not InvitationLink.objects.filter(invitation__survey__kind=Survey.Kind.EVALUATION).exists()


def test_evaluation_closed_offers_nothing(post_survey):
    member = MembershipFactory(cohort=post_survey.cohort)
    evaluation = CohortSurveyFactory(kind=Survey.Kind.EVALUATION, cohort=post_survey.cohort)
    InvitationFactory(survey=evaluation, membership=member)
    Survey.objects.filter(pk=evaluation.pk).update(status=Survey.Status.CLOSED, closed_at=timezone.now())
    client, page = _answered(InvitationFactory(survey=post_survey, membership=member))

    assert "Thank you – your answers are saved" in page
    assert GO_ON not in page
    assert client.post(NEXT).status_code == 404


def test_next_without_a_link_cookie_or_from_another_site_is_refused(post_survey):
    assert Client().post(NEXT).status_code == 404
    member = MembershipFactory(cohort=post_survey.cohort)
    InvitationFactory(
        survey=CohortSurveyFactory(kind=Survey.Kind.EVALUATION, cohort=post_survey.cohort), membership=member
    )
    client, _page = _answered(InvitationFactory(survey=post_survey, membership=member))
    assert client.post(NEXT, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 404
    assert client.get(NEXT).status_code == 405
