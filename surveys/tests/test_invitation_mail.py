"""A batch renders what its survey's mails have in common once and puts in each participant's name
and link: every message it sends must be the one ``invitation_message`` renders in full."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.dateformat import format as date_format

from common.mime import BuiltMIME
from surveys import services
from surveys.models import Invitation, Survey
from surveys.tests.factories import CohortSurveyFactory, InvitationFactory, SurveyFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/s/([\w-]+)/")
# Names the templates escape in HTML and leave alone in plain text, with doubled and outer spaces.
NAMES = ["Siobhán O'Neill", 'Ana "Nan" <b>Smith</b> & Co', "  Zoë  Double  Space ", "Plain Name"]
# As long as a name may be, with characters that a header would have to encode.
LONG_NAME = ("Zoë Long-Name " * 15)[:200]


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
    # The bytes handed to the server too (common.mime), but for the date and the multipart boundary.
    full.extra_headers["Message-ID"] = sent.extra_headers["Message-ID"]
    built = sent.message()
    assert isinstance(built, BuiltMIME)
    assert _comparable(built.as_bytes(linesep="\r\n")) == _comparable(full.message().as_bytes(linesep="\r\n"))


def _comparable(data: bytes) -> bytes:
    boundary = re.search(rb'boundary="([^"]+)"', data).group(1)
    return re.sub(rb"\r\nDate: [^\r]*\r\n", b"\r\nDate: -\r\n", data.replace(boundary, b"-"))


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
    names = [*NAMES, LONG_NAME]
    invitations = [InvitationFactory(survey=survey, membership__person__full_name=name) for name in names]
    invitations.append(InvitationFactory(survey=other_survey, membership__person__full_name="Other Survey"))

    result = services.invitations_send(invitation_ids=[i.pk for i in invitations])

    assert sorted(result.sent) == sorted(i.pk for i in invitations)
    assert len(mail.outbox) == len(invitations)
    assert len({LINK.search(m.body).group(1) for m in mail.outbox}) == len(invitations)
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


def test_a_later_batch_shows_what_was_edited_between_batches():
    """Skeletons are kept per process across batches: an edit of the module, the survey or the cohort
    (even by a bulk update that moves no time stamp) is in the next batch's messages."""
    survey = SurveyFactory(module__title="Leading change")
    first, second, third = (InvitationFactory(survey=survey) for _ in range(3))

    services.invitations_send(invitation_ids=[first.pk])
    Module = type(survey.module)
    Module.objects.filter(pk=survey.module_id).update(title="Leading through change")
    services.invitations_send(invitation_ids=[second.pk])
    new_close = survey.closes_at + datetime.timedelta(days=3)
    Survey.objects.filter(pk=survey.pk).update(closes_at=new_close)
    type(survey.cohort).objects.filter(pk=survey.cohort_id).update(name="Renamed cohort")
    services.invitations_send(invitation_ids=[third.pk])

    first_mail, second_mail, third_mail = mail.outbox
    assert '"Leading change"' in first_mail.body
    assert '"Leading through change"' in second_mail.body
    assert "Renamed cohort" in third_mail.body
    assert "Renamed cohort" not in second_mail.body
    assert date_format(timezone.localtime(new_close), "l j F Y, H:i") in third_mail.body
    assert date_format(timezone.localtime(new_close), "l j F Y, H:i") not in second_mail.body
    assert_rendered_in_full(third_mail, reminder=False)


def test_batches_of_one_survey_render_its_mail_once_per_process(monkeypatch):
    from surveys.services import invitation_mail

    survey = SurveyFactory()
    invitations = [InvitationFactory(survey=survey) for _ in range(3)]
    invitation_mail._SKELETONS.clear()
    rendered = []
    original = invitation_mail._Skeleton.render
    monkeypatch.setattr(
        invitation_mail._Skeleton, "render", classmethod(lambda cls, *a, **k: rendered.append(1) or original(*a, **k))
    )

    for invitation in invitations:
        services.invitations_send(invitation_ids=[invitation.pk])

    assert len(mail.outbox) == 3
    assert len(rendered) == 1
