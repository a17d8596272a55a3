"""The evaluation's surveys (self-assessments, end-of-programme, follow-up) follow no module, so their
mail pages are named by kind: the delivery state, resending one invitation, resending the failed ones."""

import datetime

import pytest
from django.urls import reverse

from cohorts.tests.factories import MembershipFactory
from surveys.models import Invitation, Survey
from surveys.services import reminders_due, reminders_send
from surveys.tests.factories import InvitationFactory, QuestionSetFactory, SurveyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def self_pre(cohort):
    survey = SurveyFactory(
        module=None,
        cohort=cohort,
        kind=Survey.Kind.SELF_PRE,
        privacy=Survey.Privacy.PSEUDONYMOUS,
        question_set=QuestionSetFactory(),
    )
    for status in (Invitation.Status.SENT, Invitation.Status.FAILED, Invitation.Status.FAILED):
        InvitationFactory(survey=survey, membership=MembershipFactory(cohort=cohort), status=status)
    return survey


def url(name, survey, **kwargs):
    return reverse(f"surveys:{name}", kwargs={"cohort_pk": survey.cohort_id, "kind": survey.kind, **kwargs})


def test_the_mail_page_of_a_self_assessment_shows_its_delivery_and_resend_buttons(facilitator_client, self_pre):
    response = facilitator_client.get(url("invitation_delivery_by_kind", self_pre))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"Survey mail: {self_pre.title}" in html
    assert url("invitations_resend_failed_by_kind", self_pre) in html
    for invitation in self_pre.invitations.all():
        assert url("invitation_resend_by_kind", self_pre, pk=invitation.pk) in html


def test_resending_the_failed_invitations_of_a_self_assessment_queues_them(
    facilitator_client, self_pre, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        response = facilitator_client.post(url("invitations_resend_failed_by_kind", self_pre))

    assert response.status_code == 302
    assert response.url == url("invitation_delivery_by_kind", self_pre)
    assert not self_pre.invitations.filter(status=Invitation.Status.FAILED).exists()
    assert self_pre.invitations.filter(status=Invitation.Status.QUEUED).count() == 2


def test_resending_one_invitation_of_a_self_assessment(
    facilitator_client, self_pre, django_capture_on_commit_callbacks
):
    invitation = self_pre.invitations.filter(status=Invitation.Status.FAILED).first()

    with django_capture_on_commit_callbacks():
        response = facilitator_client.post(url("invitation_resend_by_kind", self_pre, pk=invitation.pk))

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.QUEUED


@pytest.mark.parametrize("kind", [Survey.Kind.MODULE, "no-such-kind", Survey.Kind.FOLLOW_UP])
def test_a_module_kind_an_unknown_kind_or_a_survey_not_made_yet_is_404(facilitator_client, self_pre, kind):
    path = reverse("surveys:invitation_delivery_by_kind", kwargs={"cohort_pk": self_pre.cohort_id, "kind": kind})
    assert facilitator_client.get(path).status_code == 404


def test_the_evaluation_overview_links_each_surveys_mail_page(facilitator_client, self_pre):
    html = facilitator_client.get(reverse("evaluation:evaluation_overview", args=[self_pre.cohort_id])).content.decode()
    assert url("invitation_delivery_by_kind", self_pre) in html


def test_an_evaluation_survey_gets_its_reminder_naming_the_survey(self_pre, mailoutbox):
    """The reminder job treats the evaluation's surveys like module surveys: a participant who has not
    answered a few days after the invitation gets one reminder, which names the survey and carries a
    working link."""
    sent = self_pre.invitations.get(status=Invitation.Status.SENT)
    sent.sent_at = self_pre.opens_at
    sent.save(update_fields=["sent_at"])
    later = sent.sent_at + datetime.timedelta(days=self_pre.reminder_after_days, minutes=1)
    self_pre.closes_at = later + datetime.timedelta(days=5)
    self_pre.save(update_fields=["closes_at"])

    assert reminders_due(now=later) == [sent.pk]
    result = reminders_send(invitation_ids=[sent.pk], now=later)

    assert result.sent == [sent.pk]
    (message,) = mailoutbox
    assert message.to == [sent.membership.person.email]
    html = next(content for content, mimetype in message.alternatives if mimetype == "text/html")
    for part in (message.body, html):
        assert str(self_pre.title) in part
        assert "/s/" in part
    sent.refresh_from_db()
    assert sent.reminders_sent == 1
    assert reminders_due(now=later) == []
