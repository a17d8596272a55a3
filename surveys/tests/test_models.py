"""Rules the survey models own: each is written once, here, and used everywhere."""

import datetime

import pytest
from django.utils import timezone

from cohorts.services import membership_withdraw
from surveys.models import Invitation, Survey
from surveys.tests.factories import InvitationFactory, SurveyFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("privacy", "responded", "final"),
    [
        (Survey.Privacy.ANONYMOUS, True, True),
        (Survey.Privacy.ANONYMOUS, False, False),
        (Survey.Privacy.PSEUDONYMOUS, True, False),
        (Survey.Privacy.NAMED, True, False),
    ],
)
def test_invitation_answer_is_final_only_once_an_anonymous_survey_is_answered(privacy, responded, final):
    invitation = InvitationFactory(survey__privacy=privacy, responded_at=timezone.now() if responded else None)

    assert invitation.answer_is_final is final


def test_survey_results_url_names_the_cohort_and_module_number():
    survey = SurveyFactory(module__number=3)

    assert survey.results_url() == f"/cohorts/{survey.module.cohort_id}/surveys/3/results/"


def test_invitations_with_active_membership_and_not_responded():
    survey = SurveyFactory()
    waiting, answered, withdrawn = InvitationFactory.create_batch(3, survey=survey)
    Invitation.objects.filter(pk=answered.pk).update(responded_at=timezone.now() - datetime.timedelta(hours=1))
    membership_withdraw(membership=withdrawn.membership)

    rows = Invitation.objects.with_active_membership().not_responded()

    assert list(rows) == [waiting]
