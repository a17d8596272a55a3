"""Survey mail services against the database, with Django's locmem backend or a real SMTP server."""

import collections
import datetime
import re
import smtplib

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from cohorts.models import Membership
from cohorts.services import membership_withdraw
from cohorts.tests.factories import MembershipFactory, PersonFactory
from common.mail import mail_error_is_transient
from common.models import SentEmail
from modules.models import Module
from modules.tests.factories import ModuleFactory
from surveys import services
from surveys.models import Invitation, Survey
from surveys.services.publishing import _chunks
from surveys.tests.factories import InvitationFactory, SurveyFactory
from surveys.tokens import token_hash
from tests.acceptance.smtp import SMTPServer

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/s/[\w-]+/")


@pytest.fixture
def module(cohort):
    return ModuleFactory(
        cohort=cohort, number=2, title="Leading change", starts_at=timezone.now() - datetime.timedelta(hours=8)
    )


@pytest.fixture
def participants(cohort):
    return [MembershipFactory(cohort=cohort) for _ in range(3)]


def open_and_invite(module, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.survey_open_and_invite(module=module)


def sent_invitation(**kwargs):
    """An invitation delivered two days ago to a survey open for five more days, reminding after two."""
    now = timezone.now()
    defaults = {
        "survey__reminder_after_days": 2,
        "survey__opens_at": now - datetime.timedelta(days=2, hours=1),
        "survey__closes_at": now + datetime.timedelta(days=5),
        "status": Invitation.Status.SENT,
        "sent_at": now - datetime.timedelta(days=2),
    }
    return InvitationFactory(**{**defaults, **kwargs})


# -- opening and inviting --------------------------------------------------------------------


def test_survey_open_and_invite_mails_each_participant_once_after_commit(
    module, participants, django_capture_on_commit_callbacks
):
    survey = open_and_invite(module, django_capture_on_commit_callbacks)

    assert survey.status == Survey.Status.OPEN
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.person.email for p in participants)
    assert set(Invitation.objects.filter(survey=survey).values_list("status", flat=True)) == {"sent"}
    message = mail.outbox[0]
    assert "Leading change" in message.subject
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    closing = timezone.localtime(survey.closes_at).strftime("%-d %B %Y")
    for body in (message.body, html):
        assert LINK.search(body)
        assert closing in body


def test_survey_open_and_invite_mail_is_personal(module, participants, django_capture_on_commit_callbacks):
    open_and_invite(module, django_capture_on_commit_callbacks)

    links = set()
    for message in mail.outbox:
        person = next(p.person for p in participants if p.person.email == message.to[0])
        assert person.full_name in message.body
        links.add(LINK.search(message.body).group(0))
    assert len(links) == len(participants)


def test_survey_open_and_invite_reply_to_comes_from_settings(
    module, participants, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_REPLY_TO = ["programme-team@trust.example"]

    open_and_invite(module, django_capture_on_commit_callbacks)

    assert {tuple(m.reply_to) for m in mail.outbox} == {("programme-team@trust.example",)}


def test_survey_open_and_invite_rollback_sends_nothing(module, participants, django_capture_on_commit_callbacks):
    def deliver_then_fail():
        with transaction.atomic():
            services.survey_open_and_invite(module=module)
            raise RuntimeError("the module could not be marked delivered")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        deliver_then_fail()

    assert callbacks == []
    assert mail.outbox == []
    assert not Invitation.objects.exists()
    assert not Survey.objects.filter(status=Survey.Status.OPEN).exists()


def test_survey_open_and_invite_queues_nothing_before_commit(module, participants, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.survey_open_and_invite(module=module)
        # Inside the transaction: rows recorded, nothing sent.
        assert Invitation.objects.filter(status=Invitation.Status.QUEUED).count() == 3
        assert mail.outbox == []

    assert len(callbacks) == 1


def test_survey_open_and_invite_twice_sends_each_invitation_once(
    module, participants, django_capture_on_commit_callbacks
):
    open_and_invite(module, django_capture_on_commit_callbacks)
    open_and_invite(module, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 3


def test_survey_open_and_invite_module_six_has_no_survey(cohort, django_capture_on_commit_callbacks):
    module = ModuleFactory(cohort=cohort, number=6)

    assert open_and_invite(module, django_capture_on_commit_callbacks) is None
    assert mail.outbox == []


def test_survey_open_and_invite_skips_withdrawn_participants(module, participants, django_capture_on_commit_callbacks):
    membership_withdraw(membership=participants[0])

    open_and_invite(module, django_capture_on_commit_callbacks)

    assert participants[0].person.email not in [m.to[0] for m in mail.outbox]
    assert len(mail.outbox) == 2


# -- the link ----------------------------------------------------------------------------------


def test_invitation_link_opens_the_participants_survey(module, participants, django_capture_on_commit_callbacks):
    open_and_invite(module, django_capture_on_commit_callbacks)
    message = next(m for m in mail.outbox if m.to[0] == participants[1].person.email)
    link = LINK.search(message.body).group(0)

    response = Client().get(link.removeprefix(settings.SITE_URL), follow=True)

    assert response.status_code == 200
    assert response.context["survey"] == module.survey
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert Invitation.objects.by_token_hash(token_hash(token)).get().membership == participants[1]
    assert "Leading change" in response.content.decode()


def test_invitation_log_never_stores_the_link(module, participants, django_capture_on_commit_callbacks):
    open_and_invite(module, django_capture_on_commit_callbacks)

    logged = list(SentEmail.objects.filter(kind=services.KIND_INVITATION))
    assert len(logged) == 3
    tokens = {LINK.search(m.body).group(0).rstrip("/").rsplit("/", 1)[1] for m in mail.outbox}
    for row in logged:
        assert row.status == SentEmail.Status.SENT
        assert row.redacted
        assert not any(token in row.body for token in tokens)
        assert row.target.survey == module.survey


# -- idempotent sending ----------------------------------------------------------------------


def test_invitations_send_twice_sends_one_email_each():
    invitations = InvitationFactory.create_batch(3)
    ids = [i.pk for i in invitations]

    first = services.invitations_send(invitation_ids=ids)
    second = services.invitations_send(invitation_ids=ids)

    assert sorted(first.sent) == sorted(ids)
    assert second.sent == []
    assert sorted(second.skipped) == sorted(ids)
    assert len(mail.outbox) == 3


def test_invitations_send_leaves_a_row_another_worker_is_sending():
    invitation = InvitationFactory(status=Invitation.Status.SENDING, sending_started_at=timezone.now())

    result = services.invitations_send(invitation_ids=[invitation.pk])

    assert result.skipped == [invitation.pk]
    assert mail.outbox == []


def test_invitations_send_takes_over_a_row_whose_worker_died():
    started = timezone.now() - services.sending_stale_after() - datetime.timedelta(seconds=1)
    invitation = InvitationFactory(status=Invitation.Status.SENDING, sending_started_at=started, attempts=1)

    result = services.invitations_send(invitation_ids=[invitation.pk])

    assert result.sent == [invitation.pk]
    invitation.refresh_from_db()
    assert (invitation.status, invitation.attempts) == (Invitation.Status.SENT, 2)


def _invitation_to_a_closed_survey():
    now = timezone.now()
    return InvitationFactory(
        survey__status=Survey.Status.CLOSED,
        survey__closed_at=now,
        survey__opens_at=now - datetime.timedelta(days=7),
        survey__closes_at=now,
    )


def test_invitations_send_does_not_send_to_a_closed_survey():
    invitation = _invitation_to_a_closed_survey()

    result = services.invitations_send(invitation_ids=[invitation.pk])

    assert result.failed == [invitation.pk]
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.FAILED
    assert "closed" in invitation.last_error
    assert mail.outbox == []


def test_invitations_send_runs_constant_queries_per_invitation(django_assert_max_num_queries):
    ten = [i.pk for i in InvitationFactory.create_batch(10)]
    twenty = [i.pk for i in InvitationFactory.create_batch(20)]
    with django_assert_max_num_queries(80) as ten_queries:
        services.invitations_send(invitation_ids=ten)
    with django_assert_max_num_queries(160) as twenty_queries:
        services.invitations_send(invitation_ids=twenty)

    # Per invitation on PostgreSQL: one statement that marks it sent and logs it (the claim, which
    # counts the attempts, and the links are one statement each per batch). SQLite claims each row
    # on its own, and marks and logs in a savepoint (two more in a test).
    per_invitation = (len(twenty_queries) - len(ten_queries)) / 10
    assert per_invitation <= (1 if connection.vendor == "postgresql" else 5)
    assert len(mail.outbox) == 30


# -- SMTP errors (real SMTP server) ----------------------------------------------------------


def test_invitations_send_temporary_refusal_requeues_that_invitation_alone(smtp_server):
    first, second, third = InvitationFactory.create_batch(3)
    smtp_server.reply(second.membership.person.email, "451 4.3.0 Mailbox busy, try later", times=1)

    result = services.invitations_send(invitation_ids=[first.pk, second.pk, third.pk])

    assert result.sent == [first.pk, third.pk]
    assert result.deferred == [second.pk]
    assert result.retry_alone == {second.pk: 1}
    assert result.transient_error is None
    second.refresh_from_db()
    assert second.status == Invitation.Status.QUEUED
    assert "451" in second.last_error
    assert sorted(smtp_server.recipients()) == sorted(i.membership.person.email for i in (first, third))
    assert SentEmail.objects.get(to=second.membership.person.email).status == SentEmail.Status.DEFERRED

    retry = services.invitations_send(invitation_ids=[second.pk])

    assert retry.sent == [second.pk]
    assert sorted(smtp_server.recipients()) == sorted(i.membership.person.email for i in (first, second, third))


def test_invitations_send_one_full_mailbox_does_not_hold_back_the_others(smtp_server):
    survey = SurveyFactory()
    # Two chunks: the full mailbox in the first.
    invitations = InvitationFactory.create_batch(services.SEND_CHUNK_SIZE + 5, survey=survey)
    full = invitations[0]  # the lowest id: tried first
    smtp_server.reply(full.membership.person.email, "452 4.2.2 Mailbox full")
    ids = [i.pk for i in invitations]

    results = [services.invitations_send(invitation_ids=chunk) for chunk in _chunks(ids)]

    others = invitations[1:]
    assert sorted(smtp_server.recipients()) == sorted(i.membership.person.email for i in others)
    assert sorted(pk for r in results for pk in r.sent) == sorted(i.pk for i in others)
    assert [r.transient_error for r in results] == [None, None]
    assert results[0].retry_alone == {full.pk: 1}
    full.refresh_from_db()
    assert (full.status, full.attempts) == (Invitation.Status.QUEUED, 1)
    assert "452 4.2.2 Mailbox full" in full.last_error
    rows = Invitation.objects.filter(pk__in=[i.pk for i in others])
    assert set(rows.values_list("status", "attempts")) == {(Invitation.Status.SENT, 1)}


def test_invitations_send_connection_drop_leaves_untried_rows_queued_and_uncounted(smtp_server):
    survey = SurveyFactory()
    invitations = InvitationFactory.create_batch(5, survey=survey)
    dropped = invitations[2]
    smtp_server.disconnect(dropped.membership.person.email)

    result = services.invitations_send(invitation_ids=[i.pk for i in invitations])

    assert result.sent == [invitations[0].pk, invitations[1].pk]
    assert isinstance(result.transient_error, smtplib.SMTPServerDisconnected)
    assert result.deferred == [i.pk for i in invitations[2:]]
    assert result.retry_alone == {}
    assert result.retry_together == [i.pk for i in invitations[2:]]
    attempts = dict(Invitation.objects.filter(survey=survey).values_list("pk", "attempts"))
    assert [attempts[i.pk] for i in invitations] == [1, 1, 1, 0, 0]
    statuses = dict(Invitation.objects.filter(survey=survey).values_list("pk", "status"))
    assert [statuses[i.pk] for i in invitations[2:]] == [Invitation.Status.QUEUED] * 3

    retry = services.invitations_send(invitation_ids=result.retry_together)

    # The row that was in flight when the connection dropped goes last.
    assert retry.sent == [invitations[3].pk, invitations[4].pk, dropped.pk]
    counts = collections.Counter(smtp_server.recipients())
    assert sorted(counts) == sorted(i.membership.person.email for i in invitations)
    assert set(counts.values()) == {1}
    attempts = dict(Invitation.objects.filter(survey=survey).values_list("pk", "attempts"))
    assert [attempts[i.pk] for i in invitations] == [1, 1, 2, 1, 1]


def test_invitations_send_service_unavailable_stops_the_batch(smtp_server):
    survey = SurveyFactory()
    first, second, third = InvitationFactory.create_batch(3, survey=survey)
    smtp_server.reply(second.membership.person.email, "421 4.3.2 Service not available, closing channel")

    result = services.invitations_send(invitation_ids=[first.pk, second.pk, third.pk])

    assert result.sent == [first.pk]
    assert isinstance(result.transient_error, smtplib.SMTPRecipientsRefused)
    assert result.retry_together == [second.pk, third.pk]
    third.refresh_from_db()
    assert (third.status, third.attempts) == (Invitation.Status.QUEUED, 0)


def test_invitations_send_refused_message_leaves_no_link_behind(smtp_server):
    invitation = InvitationFactory()
    smtp_server.reply(invitation.membership.person.email, "452 4.2.2 Mailbox full", times=1)

    services.invitations_send(invitation_ids=[invitation.pk])
    assert not invitation.links.exists()
    services.invitations_send(invitation_ids=[invitation.pk])

    (message,) = smtp_server.messages_to(invitation.membership.person.email)
    link = LINK.search(message.get_body(preferencelist=("plain",)).get_content()).group(0)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert list(invitation.links.values_list("token_hash", flat=True)) == [token_hash(token)]


def test_invitations_send_permanent_error_marks_failed_and_goes_on(smtp_server):
    first, second = InvitationFactory.create_batch(2)
    smtp_server.reply(first.membership.person.email, "550 5.1.1 No such user here")

    result = services.invitations_send(invitation_ids=[first.pk, second.pk])

    assert result.failed == [first.pk]
    assert result.sent == [second.pk]
    assert result.transient_error is None
    first.refresh_from_db()
    assert first.status == Invitation.Status.FAILED
    assert first.last_error.startswith(f"{first.membership.person.email}: 550")
    assert smtp_server.recipients() == [second.membership.person.email]


def test_invitations_send_mail_server_down_defers_everything(settings):
    settings.EMAIL_BACKEND = "common.mail.SMTPEmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", SMTPServer().port  # nothing listens there
    invitations = InvitationFactory.create_batch(2)

    result = services.invitations_send(invitation_ids=[i.pk for i in invitations])

    assert sorted(result.deferred) == sorted(i.pk for i in invitations)
    assert isinstance(result.transient_error, ConnectionRefusedError)
    assert set(Invitation.objects.values_list("status", flat=True)) == {Invitation.Status.QUEUED}


def test_invitations_send_message_is_plain_text_with_html_alternative(smtp_server):
    invitation = InvitationFactory(survey__module__title="Systems thinking")

    services.invitations_send(invitation_ids=[invitation.pk])

    (message,) = smtp_server.messages_to(invitation.membership.person.email)
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert "Systems thinking" in message["Subject"]
    assert message["Message-ID"].strip() == SentEmail.objects.get().message_id


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (smtplib.SMTPResponseException(421, b"Service not available"), True),
        (smtplib.SMTPDataError(451, b"Local error"), True),
        (smtplib.SMTPSenderRefused(452, b"Insufficient storage", "a@b.example"), True),
        (smtplib.SMTPRecipientsRefused({"a@b.example": (450, b"Mailbox busy")}), True),
        (smtplib.SMTPRecipientsRefused({"a@b.example": (550, b"No such user")}), False),
        (smtplib.SMTPDataError(554, b"Message rejected"), False),
        (smtplib.SMTPAuthenticationError(535, b"Bad credentials"), False),
        (smtplib.SMTPConnectError(554, b"No service"), False),
        (smtplib.SMTPNotSupportedError("STARTTLS not supported"), False),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True),
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError("timed out"), True),
    ],
)
def test_mail_error_is_transient(error, transient):
    assert mail_error_is_transient(error) is transient


# -- sweeping up -----------------------------------------------------------------------------


def test_invitations_sweep_sends_what_was_left_behind():
    now = timezone.now()
    long_ago = now - datetime.timedelta(minutes=30)
    never_published = InvitationFactory(queued_at=long_ago)
    dead_worker = InvitationFactory(
        status=Invitation.Status.SENDING, queued_at=long_ago, sending_started_at=now - services.sending_stale_after()
    )
    just_queued = InvitationFactory(queued_at=now)
    being_sent = InvitationFactory(status=Invitation.Status.SENDING, queued_at=long_ago, sending_started_at=now)
    waiting_for_retry = InvitationFactory(queued_at=long_ago, sending_started_at=now - datetime.timedelta(seconds=5))

    swept = services.invitations_sweep(now=now + datetime.timedelta(seconds=1))

    assert swept == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        i.membership.person.email for i in (never_published, dead_worker)
    )
    for untouched in (just_queued, being_sent, waiting_for_retry):
        untouched.refresh_from_db()
        assert untouched.status != Invitation.Status.SENT


def test_invitations_sweep_ignores_closed_surveys():
    now = timezone.now()
    InvitationFactory(
        queued_at=now - datetime.timedelta(hours=1),
        survey__status=Survey.Status.CLOSED,
        survey__closed_at=now,
        survey__opens_at=now - datetime.timedelta(days=7),
        survey__closes_at=now - datetime.timedelta(minutes=1),
    )

    assert services.invitations_sweep(now=now) == 0
    assert mail.outbox == []


# -- resending -------------------------------------------------------------------------------


def test_invitation_resend_sends_a_new_link_and_the_first_keeps_working(django_capture_on_commit_callbacks):
    invitation = InvitationFactory()
    services.invitations_send(invitation_ids=[invitation.pk])
    old_link = LINK.search(mail.outbox[0].body).group(0)

    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_resend(invitation=invitation)

    assert len(mail.outbox) == 2
    new_link = LINK.search(mail.outbox[1].body).group(0)
    assert new_link != old_link
    for link in (old_link, new_link):
        opened = Client().get(link.removeprefix(settings.SITE_URL))
        assert opened.status_code == 200
        assert "data-answer-address" in opened.content.decode()  # the answering form itself


def test_invitation_resend_refuses_a_closed_survey():
    invitation = _invitation_to_a_closed_survey()

    with pytest.raises(Exception, match="not open"):
        services.invitation_resend(invitation=invitation)
    assert mail.outbox == []


# -- reminders -------------------------------------------------------------------------------


def test_reminders_due_only_non_responders_still_taking_part():
    due = sent_invitation()
    survey = due.survey
    now = timezone.now()
    responded = sent_invitation(survey=survey, responded_at=now - datetime.timedelta(days=1))
    withdrawn = sent_invitation(survey=survey)
    membership_withdraw(membership=withdrawn.membership)
    too_recent = sent_invitation(survey=survey, sent_at=now - datetime.timedelta(days=1))
    enough = sent_invitation(survey=survey, reminders_sent=2, last_reminder_at=now - datetime.timedelta(days=4))
    not_delivered = sent_invitation(survey=survey, status=Invitation.Status.FAILED)

    assert services.reminders_due(now=now) == [due.pk]
    assert {responded.pk, withdrawn.pk, too_recent.pk, enough.pk, not_delivered.pk}.isdisjoint(
        services.reminders_due(now=now)
    )


def test_reminders_due_respects_the_surveys_interval_and_maximum():
    invitation = sent_invitation(survey__reminder_after_days=2, survey__max_reminders=2)
    now = timezone.now()

    assert services.reminders_due(now=now) == [invitation.pk]
    services.reminders_send(invitation_ids=[invitation.pk], now=now)
    assert services.reminders_due(now=now + datetime.timedelta(days=1)) == []
    assert services.reminders_due(now=now + datetime.timedelta(days=2)) == [invitation.pk]
    services.reminders_send(invitation_ids=[invitation.pk], now=now + datetime.timedelta(days=2))
    assert services.reminders_due(now=now + datetime.timedelta(days=4)) == []
    invitation.refresh_from_db()
    assert invitation.reminders_sent == 2


def test_reminders_never_after_close():
    invitation = sent_invitation()
    after_close = invitation.survey.closes_at + datetime.timedelta(minutes=1)

    result = services.reminders_send(invitation_ids=[invitation.pk], now=after_close)

    assert result.sent == []
    assert mail.outbox == []


def test_reminders_send_twice_reminds_once():
    invitation = sent_invitation()
    now = timezone.now()

    first = services.reminders_send(invitation_ids=[invitation.pk], now=now)
    second = services.reminders_send(invitation_ids=[invitation.pk], now=now)

    assert (first.sent, second.sent) == ([invitation.pk], [])
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("Reminder")
    assert LINK.search(mail.outbox[0].body)
    invitation.refresh_from_db()
    assert (invitation.reminders_sent, invitation.last_reminder_at) == (1, now)


def test_reminders_send_temporary_error_uncounts_the_reminder(smtp_server):
    invitation = sent_invitation()
    smtp_server.reply(invitation.membership.person.email, "421 4.7.0 Too many connections", times=1)

    result = services.reminders_send(invitation_ids=[invitation.pk])

    assert result.deferred == [invitation.pk]
    invitation.refresh_from_db()
    assert (invitation.reminders_sent, invitation.last_reminder_at) == (0, None)
    assert services.reminders_send(invitation_ids=[invitation.pk]).sent == [invitation.pk]
    assert len(smtp_server.messages_to(invitation.membership.person.email)) == 1


def test_reminders_send_one_full_mailbox_does_not_hold_back_the_others(smtp_server):
    first = sent_invitation()
    others = [sent_invitation(survey=first.survey) for _ in range(2)]
    smtp_server.reply(first.membership.person.email, "452 4.2.2 Mailbox full")
    now = timezone.now()

    result = services.reminders_send(invitation_ids=[first.pk] + [i.pk for i in others], now=now)

    assert result.sent == [i.pk for i in others]
    assert result.deferred == [first.pk]
    assert result.transient_error is None
    assert sorted(smtp_server.recipients()) == sorted(i.membership.person.email for i in others)
    first.refresh_from_db()
    # Not counted, so still due: the next run of reminders_queue_due offers it again.
    assert (first.reminders_sent, first.last_reminder_at) == (0, None)
    assert services.reminders_due(now=now) == [first.pk]
    assert set(Invitation.objects.filter(pk__in=[i.pk for i in others]).values_list("reminders_sent", flat=True)) == {1}


def test_reminders_queue_due_sends_them(django_capture_on_commit_callbacks):
    due = sent_invitation()
    sent_invitation(survey=due.survey, responded_at=timezone.now())

    assert services.reminders_queue_due() == 1
    assert [m.to[0] for m in mail.outbox] == [due.membership.person.email]


# -- closing and the summary -----------------------------------------------------------------


def test_surveys_close_due_closes_and_mails_each_facilitator_once(django_capture_on_commit_callbacks):
    now = timezone.now()
    survey = SurveyFactory(opens_at=now - datetime.timedelta(days=7), closes_at=now - datetime.timedelta(minutes=1))
    cohort = survey.module.cohort
    facilitators = [MembershipFactory(cohort=cohort, role="facilitator") for _ in range(2)]
    MembershipFactory(cohort=cohort, role="set_facilitator")
    gone = MembershipFactory(cohort=cohort, role="facilitator")
    membership_withdraw(membership=gone)
    InvitationFactory.create_batch(3, survey=survey, status=Invitation.Status.SENT)
    InvitationFactory(survey=survey, status=Invitation.Status.SENT, responded_at=now)
    never_sent = InvitationFactory(survey=survey, queued_at=now - datetime.timedelta(days=7))

    with django_capture_on_commit_callbacks(execute=True):
        assert services.surveys_close_due(now=now) == [survey.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.surveys_close_due(now=now) == []
    services.summary_send(survey_id=survey.pk)

    survey.refresh_from_db()
    assert survey.status == Survey.Status.CLOSED
    assert survey.summary_sent_at is not None
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f.person.email for f in facilitators)
    body = mail.outbox[0].body
    assert "20%" in body  # 1 of 5 invited answered
    assert f"/cohorts/{cohort.pk}/surveys/{survey.module.number}/results/" in body
    never_sent.refresh_from_db()
    assert never_sent.status == Invitation.Status.FAILED


def test_summary_send_one_full_mailbox_does_not_hold_back_the_other_facilitators(smtp_server):
    now = timezone.now()
    survey = SurveyFactory(
        status=Survey.Status.CLOSED, closed_at=now, opens_at=now - datetime.timedelta(days=7), closes_at=now
    )
    full, other = (
        MembershipFactory(cohort=survey.module.cohort, role="facilitator", person__full_name=name)
        for name in ("Alice Full", "Zoe Other")
    )
    smtp_server.reply(full.person.email, "452 4.2.2 Mailbox full", times=1)

    first = services.summary_send(survey_id=survey.pk)

    assert smtp_server.recipients() == [other.person.email]
    assert first.transient_error is not None
    survey.refresh_from_db()
    assert survey.summary_sent_at is None

    services.summary_send(survey_id=survey.pk)

    assert sorted(smtp_server.recipients()) == sorted([full.person.email, other.person.email])
    survey.refresh_from_db()
    assert survey.summary_sent_at is not None


def test_surveys_close_due_leaves_open_surveys():
    survey = SurveyFactory()

    assert services.surveys_close_due() == []
    survey.refresh_from_db()
    assert survey.status == Survey.Status.OPEN


# -- delivered modules whose survey never opened ----------------------------------------------


def test_surveys_open_for_delivered_modules_opens_each_missing_survey_once(cohort, django_capture_on_commit_callbacks):
    now = timezone.now()

    def module(number, hours_ago, **kwargs):
        return ModuleFactory(
            cohort=cohort, number=number, starts_at=now - datetime.timedelta(hours=hours_ago), **kwargs
        )

    delivered = {"state": Module.State.DELIVERED, "delivered_at": now - datetime.timedelta(hours=1)}
    without_survey = module(2, 10, **delivered)
    with_draft = module(3, 9, **delivered)
    SurveyFactory(module=with_draft, status=Survey.Status.DRAFT, opens_at=None, closes_at=None)
    module(1, 9)  # ended but not marked delivered: the modules app marks it, which opens its survey
    module(6, 9, **delivered)  # no survey
    module(4, 24 * 60, **delivered)  # long past
    already_open = module(5, 9, **delivered)
    SurveyFactory(module=already_open)
    person = PersonFactory()
    MembershipFactory(cohort=cohort, person=person)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.surveys_open_for_delivered_modules(now=now) == [without_survey.pk, with_draft.pk]

    assert Survey.objects.get(module=without_survey).status == Survey.Status.OPEN
    assert Survey.objects.get(module=with_draft).status == Survey.Status.OPEN
    assert not Survey.objects.filter(module__number__in=[1, 4, 6]).exists()
    assert [m.to[0] for m in mail.outbox] == [person.email, person.email]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.surveys_open_for_delivered_modules(now=now) == []
    assert len(mail.outbox) == 2


def test_retry_countdowns_are_shorter_than_the_visibility_timeout():
    visibility_timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    countdowns = [services.mail_retry_countdown(retries) for retries in range(20)]

    assert countdowns == sorted(countdowns)
    assert countdowns[0] > 0
    assert max(countdowns) < visibility_timeout
    # The sweeper waits out the longest backoff, so it never races a live retry.
    assert services.sending_stale_after().total_seconds() > settings.CELERY_TASK_TIME_LIMIT


def test_invitations_send_fails_the_unsendable_and_sends_the_rest_of_one_batch():
    now = timezone.now()
    sendable = InvitationFactory.create_batch(2)
    withdrawn = InvitationFactory(membership__status=Membership.Status.WITHDRAWN, membership__withdrawn_on=now.date())
    closed = _invitation_to_a_closed_survey()
    past_closing = InvitationFactory(survey__closes_at=now - datetime.timedelta(minutes=1))
    # A stale "sending" row of a closed survey is neither sent nor failed: only queued rows fail.
    stale_closed = _invitation_to_a_closed_survey()
    Invitation.objects.filter(pk=stale_closed.pk).update(
        status=Invitation.Status.SENDING, sending_started_at=now - services.sending_stale_after() * 2
    )
    ids = [i.pk for i in [*sendable, withdrawn, closed, past_closing, stale_closed]]

    result = services.invitations_send(invitation_ids=ids, now=now)

    assert sorted(result.sent) == sorted(i.pk for i in sendable)
    assert sorted(result.failed) == sorted([withdrawn.pk, closed.pk, past_closing.pk])
    assert result.skipped == [stale_closed.pk]
    errors = dict(Invitation.objects.filter(pk__in=result.failed).values_list("pk", "last_error"))
    assert "withdrawn" in errors[withdrawn.pk]
    assert "closed" in errors[closed.pk]
    assert "closed" in errors[past_closing.pk]
    assert Invitation.objects.get(pk=stale_closed.pk).status == Invitation.Status.SENDING
    assert sorted(m.to[0] for m in mail.outbox) == sorted(i.membership.person.email for i in sendable)
