"""A batch renders what its survey's mails have in common once and puts in each participant's name
and link: every message it sends must be the one ``invitation_message`` renders in full."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from surveys import services
from surveys.models import Invitation, Survey
from surveys.tests.factories import CohortSurveyFactory, InvitationFactory, SurveyFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/s/([\w-]+)/")
# Names the templates escape in HTML and leave alone in plain text, with doubled and outer spaces.
NAMES = ["Siobhán O'Neill", 'Ana "Nan" <b>Smith</b> & Co', "  Zoë  Double  Space "]


def assert_rendered_in_full(sent, *, reminder: bool):
    invitation = Invitation.objects.select_related("survey__module", "survey__cohort", "membership__person").get(
        pk=int(sent.extra_headers["X-LC-Invitation"])
    )
    token = LINK.search(sent.body).group(1)
    full = services.invitation_message(invitation, token, reminder=reminder)

    assert (sent.to, sent.subject, sent.body, sent.alternatives) == (
        full.to,
        full.subject,
        full.body,
        full.alternatives,
    )
    assert {k: v for k, v in sent.extra_headers.items() if k != "Message-ID"} == {
        k: v for k, v in full.extra_headers.items() if k != "Message-ID"
    }


@pytest.mark.parametrize(
    "make_survey",
    [
        lambda: SurveyFactory(module__title='Leading <change> & "culture"'),
        lambda: CohortSurveyFactory(kind=Survey.Kind.SELF_POST, privacy=Survey.Privacy.ANONYMOUS),
    ],
    ids=["module survey", "self-assessment"],
)
def test_invitations_send_each_message_is_the_full_rendering(make_survey):
    survey = make_survey()
    other_survey = SurveyFactory(module__title="Another module")
    invitations = [InvitationFactory(survey=survey, membership__person__full_name=name) for name in NAMES]
    invitations.append(InvitationFactory(survey=other_survey, membership__person__full_name="Other Survey"))

    result = services.invitations_send(invitation_ids=[i.pk for i in invitations])

    assert sorted(result.sent) == sorted(i.pk for i in invitations)
    assert len(mail.outbox) == 4
    assert len({LINK.search(m.body).group(1) for m in mail.outbox}) == 4
    for sent in mail.outbox:
        assert_rendered_in_full(sent, reminder=False)


def test_reminders_send_each_message_is_the_full_rendering():
    now = timezone.now()
    survey = SurveyFactory(
        reminder_after_days=2,
        max_reminders=3,
        opens_at=now - datetime.timedelta(days=5),
        closes_at=now + datetime.timedelta(days=5),
    )
    sent = {"status": Invitation.Status.SENT, "sent_at": now - datetime.timedelta(days=4)}
    first = InvitationFactory(survey=survey, membership__person__full_name=NAMES[0], **sent)
    second = InvitationFactory(
        survey=survey,
        membership__person__full_name=NAMES[1],
        reminders_sent=1,
        last_reminder_at=now - datetime.timedelta(days=2),
        **sent,
    )

    result = services.reminders_send(invitation_ids=[first.pk, second.pk], now=now)

    assert sorted(result.sent) == sorted([first.pk, second.pk])
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert message.subject.startswith("Reminder")
        assert_rendered_in_full(message, reminder=True)
