"""The facilitators' survey-mail page: who may see it, what it shows, resending."""

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cohorts.services import membership_withdraw
from cohorts.tests.factories import MembershipFactory, UserFactory
from modules.tests.factories import ModuleFactory
from surveys.models import Invitation, Survey
from surveys.tests.factories import InvitationFactory, SurveyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(cohort):
    return SurveyFactory(module=ModuleFactory(cohort=cohort, number=4, title="Coaching conversations"))


def page_url(survey):
    return reverse("surveys:invitation_delivery", args=[survey.module.cohort_id, survey.module.number])


def resend_url(invitation):
    module = invitation.survey.module
    return reverse("surveys:invitation_resend", args=[module.cohort_id, module.number, invitation.pk])


def test_invitation_delivery_shows_each_state(facilitator_client, survey):
    now = timezone.now()
    InvitationFactory(survey=survey, membership__person__full_name="Asha Queued")
    InvitationFactory(
        survey=survey,
        membership__person__full_name="Ben Sending",
        status=Invitation.Status.SENDING,
        sending_started_at=now,
    )
    InvitationFactory(
        survey=survey,
        membership__person__full_name="Cara Sent",
        status=Invitation.Status.SENT,
        sent_at=now,
        reminders_sent=2,
        last_reminder_at=now,
    )
    InvitationFactory(
        survey=survey,
        membership__person__full_name="Dev Failed",
        status=Invitation.Status.FAILED,
        last_error="dev@example.org: 550 5.1.1 No such user",
    )
    InvitationFactory(
        survey=survey,
        membership__person__full_name="Esi Responded",
        status=Invitation.Status.SENT,
        sent_at=now,
        responded_at=now,
    )

    response = facilitator_client.get(page_url(survey))

    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "Asha Queued",
        "Queued",
        "Sending",
        "Sent",
        "Failed",
        "550 5.1.1 No such user",
        "Coaching conversations",
    ):
        assert text in page
    counts = response.context["counts"]
    assert (counts.invited, counts.queued, counts.sending, counts.sent, counts.failed) == (5, 1, 1, 2, 1)
    assert (counts.responded, counts.reminders) == (1, 2)
    assert page.count("Resend") >= 4  # not for the one being sent right now


def test_invitation_delivery_queries_do_not_grow_with_invitations(
    facilitator_client, survey, django_assert_max_num_queries
):
    InvitationFactory.create_batch(3, survey=survey)
    with django_assert_max_num_queries(20) as few:
        facilitator_client.get(page_url(survey))
    InvitationFactory.create_batch(30, survey=survey)
    with django_assert_max_num_queries(20) as many:
        facilitator_client.get(page_url(survey))

    assert len(many) == len(few)


def test_invitation_delivery_shows_retries_reminders_and_withdrawn_people_without_a_query_a_row(
    facilitator_client, survey, django_assert_num_queries
):
    InvitationFactory(survey=survey)
    with CaptureQueriesContext(connection) as one:
        facilitator_client.get(page_url(survey))
    sent = datetime.datetime(2026, 3, 4, 9, 30, tzinfo=datetime.UTC)  # 09:30 in London too (GMT)
    InvitationFactory(survey=survey, status=Invitation.Status.QUEUED, attempts=2)
    InvitationFactory(
        survey=survey, status=Invitation.Status.SENT, sent_at=sent, reminders_sent=1, last_reminder_at=sent
    )
    left = InvitationFactory(survey=survey, membership__person__email="left@example.org")
    membership_withdraw(membership=left.membership)
    InvitationFactory(survey=survey, status=Invitation.Status.FAILED, last_error="550 No such user")

    with django_assert_num_queries(len(one)):
        page = facilitator_client.get(page_url(survey)).content.decode()

    assert "retrying after 2 attempts" in page
    assert "(last 4 Mar 09:30)" in page
    assert "4 Mar 09:30</span>" in page  # sent at
    assert "left@example.org" in page
    assert "Withdrawn</span>" in page
    assert "550 No such user" in page


def test_invitation_delivery_hidden_from_participants_and_strangers(cohort, survey):
    participant = MembershipFactory(cohort=cohort, person__user=UserFactory()).person.user
    other_cohort_facilitator = MembershipFactory(role="facilitator", person__user=UserFactory()).person.user
    for user in (participant, other_cohort_facilitator):
        client = Client()
        client.force_login(user)
        assert client.get(page_url(survey)).status_code == 404
    assert Client().get(page_url(survey)).status_code == 302  # to the sign-in page


def test_invitation_delivery_404_for_a_module_without_survey(facilitator_client, cohort):
    module = ModuleFactory(cohort=cohort, number=2)

    url = reverse("surveys:invitation_delivery", args=[cohort.pk, module.number])

    assert facilitator_client.get(url).status_code == 404


def test_invitation_resend_sends_again_with_a_message(facilitator_client, survey, django_capture_on_commit_callbacks):
    invitation = InvitationFactory(survey=survey, status=Invitation.Status.FAILED, last_error="550 No such user")

    with django_capture_on_commit_callbacks(execute=True):
        response = facilitator_client.post(resend_url(invitation), follow=True)

    assert response.redirect_chain[-1][0] == page_url(survey)
    assert "is on its way" in response.content.decode()
    invitation.refresh_from_db()
    assert (invitation.status, invitation.last_error) == (Invitation.Status.SENT, "")
    assert [m.to[0] for m in mail.outbox] == [invitation.membership.person.email]


def test_invitation_resend_refused_when_survey_closed(facilitator_client, survey):
    now = timezone.now()
    Survey.objects.filter(pk=survey.pk).update(
        status=Survey.Status.CLOSED, closed_at=now, closes_at=now, opens_at=now - datetime.timedelta(days=7)
    )
    invitation = InvitationFactory(survey=survey, status=Invitation.Status.FAILED)

    response = facilitator_client.post(resend_url(invitation), follow=True)

    assert "not open" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.FAILED
    assert mail.outbox == []


def test_invitation_resend_refused_for_a_withdrawn_participant(facilitator_client, survey):
    invitation = InvitationFactory(survey=survey, status=Invitation.Status.FAILED)
    membership_withdraw(membership=invitation.membership)

    response = facilitator_client.post(resend_url(invitation), follow=True)

    assert "withdrawn" in response.content.decode()
    assert mail.outbox == []


def test_invitation_resend_is_post_only(facilitator_client, survey):
    invitation = InvitationFactory(survey=survey)

    assert facilitator_client.get(resend_url(invitation)).status_code == 405


def test_invitation_resend_cannot_reach_another_cohorts_invitation(facilitator_client, survey):
    elsewhere = InvitationFactory()
    module = survey.module
    url = reverse("surveys:invitation_resend", args=[module.cohort_id, module.number, elsewhere.pk])

    assert facilitator_client.post(url).status_code == 404
    assert mail.outbox == []


def test_invitations_resend_failed_sends_every_failed_one(
    facilitator_client, survey, django_capture_on_commit_callbacks
):
    failed = InvitationFactory.create_batch(2, survey=survey, status=Invitation.Status.FAILED)
    InvitationFactory(survey=survey, status=Invitation.Status.SENT)
    url = reverse("surveys:invitations_resend_failed", args=[survey.module.cohort_id, survey.module.number])

    with django_capture_on_commit_callbacks(execute=True):
        response = facilitator_client.post(url, follow=True)

    assert "2 failed invitations are being sent again" in response.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(i.membership.person.email for i in failed)


def test_invitation_resend_refused_for_an_anonymous_respondent(facilitator_client, survey):
    Survey.objects.filter(pk=survey.pk).update(privacy=Survey.Privacy.ANONYMOUS)
    invitation = InvitationFactory(survey=survey, status=Invitation.Status.SENT, responded_at=timezone.now())

    response = facilitator_client.post(resend_url(invitation), follow=True)

    assert "anonymous survey" in response.content.decode()
    assert mail.outbox == []


def test_invitation_delivery_offers_no_resend_to_who_answered_an_anonymous_survey(facilitator_client, survey):
    Survey.objects.filter(pk=survey.pk).update(privacy=Survey.Privacy.ANONYMOUS, status=Survey.Status.OPEN)
    now = timezone.now()
    answered = InvitationFactory(survey=survey, status=Invitation.Status.SENT, sent_at=now, responded_at=now)
    waiting = InvitationFactory(survey=survey, status=Invitation.Status.SENT, sent_at=now)

    response = facilitator_client.get(page_url(survey))

    assert response.status_code == 200
    # A new link could not reach an anonymous answer (Invitation.answer_is_final).
    assert resend_url(answered) not in response.text
    assert resend_url(waiting) in response.text
